"""Hugging Face's `transformers` reads the GPT-2 folders the crate writes (`Gpt2::save_pretrained`,
`makemore gpt2 train`'s checkpoints): `GPT2LMHeadModel.from_pretrained(dir)` loads one without a
missing or unexpected tensor, and its logits on a batch equal those of the lecture's `GPT`
(build-nanogpt's final train_gpt2.py, executed) given the same tensors as the lecture's
`from_pretrained` copies them (the four Conv1D weights transposed).

    python tests/reference/hf_check.py DIR     # `make check-hf` installs transformers first

Prints the largest logit difference; exits 1 above 1e-4 or on a load warning.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_final as ref  # noqa: E402  (tiktoken offline, the lecture's files)
from transformers import GPT2LMHeadModel  # noqa: E402


def main(folder):
    hf, info = GPT2LMHeadModel.from_pretrained(folder, output_loading_info=True)
    problems = {k: v for k, v in info.items() if v}
    hf.eval()
    ref.hellaswag()  # the module the training file imports
    code = open(ref.TRAIN).read().split("# -----------------------------------------------------------------------------\nimport tiktoken")[0]
    scope = {"__name__": "train_gpt2", "master_process": True}
    exec(compile(code, ref.TRAIN, "exec"), scope)
    c = hf.config
    gpt = scope["GPT"](scope["GPTConfig"](block_size=c.n_positions, vocab_size=c.vocab_size, n_layer=c.n_layer,
                                          n_head=c.n_head, n_embd=c.n_embd))
    sd_hf, sd = hf.state_dict(), gpt.state_dict()
    transposed = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]
    with torch.no_grad():  # the lecture's from_pretrained, from this folder instead of the hub
        for k in sd:
            sd[k].copy_(sd_hf[k].t() if any(k.endswith(w) for w in transposed) else sd_hf[k])
    gpt.eval()
    torch.manual_seed(0)
    x = torch.randint(0, min(c.vocab_size, 50257), (2, min(16, c.n_positions)))
    with torch.no_grad():
        diff = (hf(x).logits - gpt(x)[0]).abs().max().item()
    print(f"{folder}: transformers {__import__('transformers').__version__} loads it "
          f"({sum(p.numel() for p in hf.parameters()):,} parameters; missing/unexpected: {problems or 'none'}); "
          f"largest logit difference against the lecture's GPT: {diff:.3g}")
    sys.exit(1 if problems or diff > 1e-4 else 0)


if __name__ == "__main__":
    main(sys.argv[1])
