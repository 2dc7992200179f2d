"""The lecture "Let's reproduce GPT-2 (124M)" (build-nanogpt), its code run on the venv's torch:
the values the crate's GPT-2 (src/gpt2/) must give, for tests/gpt2.rs.

    python tests/reference/gpt2.py data/tinyshakespeare.txt target/gpt2_reference.json [--steps N]

The lecture's code is build-nanogpt's train_gpt2.py at commit 9ac321e ("gpt-2 initialization",
MIT; `bash data/fetch.sh build-nanogpt` puts it in data/build-nanogpt/steps/): its classes
(CausalSelfAttention, MLP, Block, GPTConfig, GPT, DataLoaderLite) are executed from that file,
unmodified, and driven as its main code drives them: torch.manual_seed(1337), DataLoaderLite(B=4,
T=32) on tiny Shakespeare, GPT(config), torch.optim.AdamW(lr=3e-4), a step per batch, printing
`step {i}, loss: {loss.item()}`. Two changes, said here: tiktoken's "gpt2" encoding is read from
r50k_base's rank file that tiktoken-rs ships (the same ranks; nothing is downloaded), and the
GPT-2 (124M) loop runs `--steps` steps (default: the lecture's 50, a minute on 2 cores: the
committed tests/reference/gpt2_full.json; `make test` runs 5, and the notebook with them). Also
for tests/gpt2.rs: a small config (2 layers, 4 heads, 64 wide, block 32), 10 steps, and the
file's generation code on it.
"""
import argparse
import contextlib
import io
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from offline import ROOT, tiktoken_offline  # noqa: E402

tiktoken_offline()
import tiktoken  # noqa: E402

_get = tiktoken.get_encoding
tiktoken.get_encoding = lambda name: _get("r50k_base" if name == "gpt2" else name)

STEPS = os.path.join(ROOT, "data", "build-nanogpt", "steps")
STEP = os.path.join(STEPS, "10_9ac321e_gpt_2_initialization.py")
# commit 20: flash attention, configure_optimizers, get_lr and clipping (its loop: `optim`)
STEP20 = os.path.join(STEPS, "20_3a148e4_add_weight_decay__only_for_2D_params__and_add_fuse.py")
SMALL = dict(block_size=32, vocab_size=50257, n_layer=2, n_head=4, n_embd=64)


def lecture_code(step=STEP):
    """The classes of the lecture's file: everything before its main code runs."""
    code = open(step).read().split("# attempt to autodetect the device")[0]
    scope = {"__name__": "train_gpt2"}
    exec(compile(code, step, "exec"), scope)
    return scope


def optim(text_dir, config, steps):
    """Commit 20's loop on `config`, its classes and `get_lr` run as they are: seed 1337, the
    loader at B=4, T=32, `configure_optimizers(weight_decay=0.1, learning_rate=6e-4)`, per step
    the loss, `clip_grad_norm_(..., 1.0)`, `get_lr(step)` into the groups, `optimizer.step()`,
    the step line's loss, lr and norm. What the commit's main code adds for the GPU is left out,
    said here: `set_float32_matmul_precision('high')`, `torch.compile`, bfloat16 autocast (on
    this CPU 8x slower; float32 here) and `torch.cuda.synchronize()`."""
    scope = lecture_code(STEP20)
    main = open(STEP20).read()
    lr_code = main[main.index("max_lr = 6e-4"):main.index("# optimize!")]
    exec(compile(lr_code, STEP20, "exec"), scope)  # max_lr, min_lr, warmup_steps, max_steps, get_lr
    get_lr = scope["get_lr"]
    cwd = os.getcwd()
    os.chdir(text_dir)
    try:
        torch.manual_seed(1337)
        train_loader = scope["DataLoaderLite"](B=4, T=32)
        model = scope["GPT"](scope["GPTConfig"](**config))
    finally:
        os.chdir(cwd)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=6e-4, device="cpu")
    lines, exact = [], []
    for step in range(steps):
        x, y = train_loader.next_batch()
        optimizer.zero_grad()
        logits, loss = model(x, y)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        lr = get_lr(step)
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        optimizer.step()
        lines.append(f"step {step:4d} | loss: {loss.item():.6f} | lr {lr:.4e} | norm: {norm:.4f}")
        exact.append([repr(loss.item()), repr(norm.item())])
        print(lines[-1], flush=True)
    torch.manual_seed(0)
    big = scope["GPT"](scope["GPTConfig"](vocab_size=50304))
    with contextlib.redirect_stdout(io.StringIO()) as groups:
        big.configure_optimizers(weight_decay=0.1, learning_rate=6e-4, device="cpu")
    return {"config": config, "printed": printed.getvalue().splitlines(), "lines": lines, "exact": exact,
            "lrs": [repr(get_lr(i)) for i in range(scope["max_steps"] + 2)],
            "d12_groups": groups.getvalue().splitlines()[:2]}


def train(scope, text_dir, config, steps):
    """The file's main code at `config`: the step lines' losses, as Python prints them."""
    GPT, GPTConfig, DataLoaderLite = scope["GPT"], scope["GPTConfig"], scope["DataLoaderLite"]
    cwd = os.getcwd()
    os.chdir(text_dir)  # DataLoaderLite reads input.txt
    try:
        torch.manual_seed(1337)
        train_loader = DataLoaderLite(B=4, T=32)
        model = GPT(GPTConfig(**config))
    finally:
        os.chdir(cwd)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)
    losses = []
    for i in range(steps):
        x, y = train_loader.next_batch()
        optimizer.zero_grad()
        logits, loss = model(x, y)
        loss.backward()
        optimizer.step()
        losses.append(repr(loss.item()))
        print(f"step {i}, loss: {loss.item()}", flush=True)
    return {"config": config, "losses": losses, "n_params": sum(p.numel() for p in model.parameters())}


class LogitsOnly:
    """The model as the generation code calls it: `model(x)` gives the logits. The file keeps that
    code from commit 03 behind its early `sys.exit`, written for the forward of then, which gave
    the logits alone; since commit 06 forward gives `(logits, loss)` (commit 26 updates the
    sampling code for it)."""

    def __init__(self, model):
        self.model = model

    def eval(self):
        self.model.eval()

    def __call__(self, x):
        return self.model(x)[0]


def generate(scope, config):
    """The file's generation code, run as it is (the model's logits: LogitsOnly) on GPT(config)
    made after torch.manual_seed(1337): 5 sequences of 30 tokens from "Hello, I'm a language
    model," with top-k 50 after torch.manual_seed(42)."""
    code = open(STEP).read().split("# prefix tokens")[1]
    torch.manual_seed(1337)
    model = LogitsOnly(scope["GPT"](scope["GPTConfig"](**config)))
    run = dict(scope, model=model, enc=tiktoken.get_encoding("gpt2"), device="cpu")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, STEP, "exec"), run)
    return {"ids": run["x"].tolist(), "printed": printed.getvalue().splitlines()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("text")
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=50, help="steps of GPT-2 (124M)'s loop")
    args = ap.parse_args()
    text_dir = os.path.join(ROOT, "target", "gpt2_text")
    os.makedirs(text_dir, exist_ok=True)
    link = os.path.join(text_dir, "input.txt")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(args.text), link)
    scope = lecture_code()
    out = {"step": os.path.basename(STEP), "steps": args.steps}
    out["gpt2"] = train(scope, text_dir, {}, args.steps)
    out["small"] = train(scope, text_dir, SMALL, 10)
    out["generate"] = generate(scope, SMALL)
    out["optim"] = optim(text_dir, dict(SMALL, vocab_size=50304), 10)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
