"""The GPT-2 lecture's final code (build-nanogpt at 6104ab1, MIT) run on the venv's torch on the
CPU: the values the crate's FineWeb shards, HellaSwag eval and training loop must give.

    python tests/reference/gpt2_final.py data/tinyshakespeare.txt target/gpt2_final_reference.json \
        [--steps N] [--shard-size N]

`bash data/fetch.sh build-nanogpt` puts the files in data/build-nanogpt/: fineweb.py, hellaswag.py
and steps/44_6104ab1_*.py (the final train_gpt2.py). Everything is written under target/gpt2_final/.
What is run, and what is changed (each change an exact text replacement, asserted to happen):

- "shards": fineweb.py from its `local_dir = ...` line to its end (the tokenizer, `tokenize`,
  `write_datafile`, the mp.Pool shard-writing loop), its imports given to it (`mp`: the fork
  context, whose workers inherit the exec'd `tokenize`), with two changes: `shard_size =
  --shard-size` (default 100,000, not 1e8) and `fw = ` tiny Shakespeare split into documents at
  blank lines (`{"text": d}` for each non-empty `d` of `text.split("\\n\\n")`), not FineWeb-Edu
  from `datasets`. Its tqdm bars are a silent stand-in (they only count). The shards land in
  target/gpt2_final/edu_fineweb10B/ (its DATA_CACHE_DIR, beside the `__file__` it is given).
- "hellaswag": hellaswag.py from after its imports up to `evaluate` (left out with the `__main__`
  code: it needs transformers' GPT2LMHeadModel): `download`, `render_example`, `iterate_examples`,
  unchanged. requests and tqdm are not imported (only `download_file` uses them, never called):
  its DATA_CACHE_DIR, target/gpt2_final/hellaswag/, holds tests/fixtures/hellaswag_mini.jsonl as
  hellaswag_val.jsonl, so `download("val")` finds it there. render_example of each example.
- "fp32", "bf16": the final train_gpt2.py, all of it, as module `train_gpt2` with RANK unset (its
  non-DDP path, device "cpu"), in target/gpt2_final/ (where its loaders find edu_fineweb10B), its
  `from hellaswag import ...` getting the module above. Changed: the model
  GPT(GPTConfig(block_size=64, vocab_size=50304, n_layer=2, n_head=4, n_embd=64)); B=4, T=32,
  total_batch_size=256 (grad_accum_steps 2); max_steps=--steps (default 20), warmup_steps=5
  (max_lr, min_lr as they are); the three `step % 250` (val loss, HellaSwag, samples) every --eval-every steps (default 5);
  val_loss_steps=3; checkpoints `step % 10` (not 5000); log_dir target/gpt2_final/<variant>/log.
  "bf16" keeps its four `torch.autocast(device_type=device_type, dtype=torch.bfloat16)` (active on
  the CPU); "fp32" has `contextlib.nullcontext()` for each. Kept: set_float32_matmul_precision(
  'high') (no bit changes on this CPU: 'highest' gives the same values; 'medium' would change
  fp32's). Read, not changed: stdout, split at "\\n" only (a sample's text may hold breaks; step
  lines cut after `norm: x.xxxx`, the timings dropped), log.txt, the checkpoints, and after each
  optimizer.step() (a global step hook) the module's `loss_accum`, `norm` and `lr`, exactly.
- "accum": play.ipynb's cells 15 and 16 (the gradient accumulation demo), their sources executed
  in turn, the first 10 of net[0].weight.grad after each. Cell 15 builds its MLP before its own
  torch.random.manual_seed(42) (a fresh torch 2.13 seeds itself at random): torch.manual_seed(42)
  first. The notebook is data/build-nanogpt/play.ipynb (`bash data/fetch.sh build-nanogpt`).

tiktoken's "gpt2" encoding is r50k_base's rank file that tiktoken-rs ships (the same ranks).
"""
import argparse
import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import shutil
import sys
import types

import numpy as np
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from offline import ROOT, tiktoken_offline  # noqa: E402

tiktoken_offline()
import tiktoken  # noqa: E402

_get = tiktoken.get_encoding
tiktoken.get_encoding = lambda name: _get("r50k_base" if name == "gpt2" else name)

NANOGPT = os.path.join(ROOT, "data", "build-nanogpt")
FINEWEB = os.path.join(NANOGPT, "fineweb.py")
HELLASWAG = os.path.join(NANOGPT, "hellaswag.py")
TRAIN = os.path.join(NANOGPT, "steps", "44_6104ab1_fix_guard_of_torch_cuda_based_on_device_type.py")
PLAY = os.path.join(NANOGPT, "play.ipynb")
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "hellaswag_mini.jsonl")
WORK = os.path.join(ROOT, "target", "gpt2_final")
AUTOCAST = "with torch.autocast(device_type=device_type, dtype=torch.bfloat16):"


def progress(line):
    print(line, file=sys.stderr, flush=True)


def replaced(code, changes):
    """`code` with each (old, new[, times]) made, old found exactly `times` (1) times."""
    for old, new, *times in changes:
        assert code.count(old) == (times or [1])[0], f"{old!r} found {code.count(old)} times"
        code = code.replace(old, new)
    return code


def module(name, file, code, path, **given):
    """`code` executed as module `name` (in sys.modules: pickling finds its functions and classes
    by name) with `__file__` = `file` and the names `given` (the imports it is not run with)."""
    m = types.ModuleType(name)
    m.__file__ = file
    m.__dict__.update(given)
    sys.modules[name] = m
    exec(compile(code, path, "exec"), m.__dict__)
    return m


class SilentBar:
    """fineweb.py's tqdm, without output."""

    def __init__(self, *args, **kwargs):
        pass

    def update(self, n):
        pass


def shards(text_path, shard_size):
    out = os.path.join(WORK, "edu_fineweb10B")
    shutil.rmtree(out, ignore_errors=True)  # no shards of an earlier --shard-size
    code = open(FINEWEB).read()
    code = code[code.index('local_dir = "edu_fineweb10B"'):]
    code = replaced(code, [
        ("shard_size = int(1e8)", f"shard_size = {shard_size}"),
        ('fw = load_dataset("HuggingFaceFW/fineweb-edu", name=remote_name, split="train")',
         "fw = DOCS"),
    ])
    text = open(text_path).read()
    docs = [{"text": d} for d in text.split("\n\n") if d]
    module("fineweb", os.path.join(WORK, "fineweb.py"), code, FINEWEB, os=os, np=np,
           mp=multiprocessing.get_context("fork"), tiktoken=tiktoken, tqdm=SilentBar, DOCS=docs)
    found = []
    for name in sorted(os.listdir(out)):
        data = open(os.path.join(out, name), "rb").read()
        found.append({"name": name, "tokens": len(np.load(os.path.join(out, name))),
                      "sha256": hashlib.sha256(data).hexdigest()})
    return {"documents": len(docs), "shard_size": shard_size, "files": found}


def hellaswag():
    """hellaswag.py's code from after its imports up to `evaluate`, as module `hellaswag`."""
    cache = os.path.join(WORK, "hellaswag")
    os.makedirs(cache, exist_ok=True)
    shutil.copyfile(FIXTURE, os.path.join(cache, "hellaswag_val.jsonl"))
    code = open(HELLASWAG).read()
    code = code[code.index("# ----"):code.index("@torch.no_grad()")]
    return module("hellaswag", os.path.join(WORK, "hellaswag.py"), code, HELLASWAG,
                  os=os, json=json, torch=torch, tiktoken=tiktoken)


def rendered(hs):
    out = []
    for example in hs.iterate_examples("val"):
        _, tokens, mask, label = hs.render_example(example)
        out.append({"tokens": tokens.tolist(), "mask": mask.tolist(), "label": label})
    return out


SMALL = "block_size=64, vocab_size=50304, n_layer=2, n_head=4, n_embd=64"


def train(variant, steps, every, config=SMALL, B=4, T=32, total=256, val_steps=3):
    """The final loop at these sizes (scripts/bench_gpt2.py times it at others): its printed
    lines (a step line without its times), log.txt, each step's exact values and `dt` (ms)."""
    code = open(TRAIN).read()
    changes = [
        ("total_batch_size = 524288", f"total_batch_size = {total}"),
        ("B = 64 # micro batch size", f"B = {B}"),
        ("T = 1024 # sequence length", f"T = {T}"),
        ("model = GPT(GPTConfig(vocab_size=50304))", f"model = GPT(GPTConfig({config}))"),
        ("warmup_steps = 715", "warmup_steps = 5"),
        ("max_steps = 19073", f"max_steps = {steps}"),
        ("if step % 250 == 0 or last_step:", f"if step % {every} == 0 or last_step:"),  # val loss
        ("if (step % 250 == 0 or last_step) and (not use_compile):",  # HellaSwag
         f"if (step % {every} == 0 or last_step) and (not use_compile):"),
        ("if ((step > 0 and step % 250 == 0) or last_step) and (not use_compile):",  # samples
         f"if ((step > 0 and step % {every} == 0) or last_step) and (not use_compile):"),
        ("val_loss_steps = 20", f"val_loss_steps = {val_steps}"),
        ("step % 5000 == 0", "step % 10 == 0"),  # checkpoints
        ('log_dir = "log"', f'log_dir = "{variant}/log"'),
    ]
    if variant == "fp32":
        changes.append((AUTOCAST, "with contextlib.nullcontext():", 4))
    code = replaced(code, changes)
    log_dir = os.path.join(WORK, variant, "log")
    shutil.rmtree(log_dir, ignore_errors=True)
    assert "RANK" not in os.environ, "RANK set: train_gpt2.py would take its DDP path"
    exact = []

    def after_step(optimizer, args, kwargs):  # the loop's values, read from its module
        scope = vars(sys.modules["train_gpt2"])
        exact.append({"step": scope["step"], "loss": repr(scope["loss_accum"].item()),
                      "norm": repr(scope["norm"].item()), "lr": repr(scope["lr"])})
        progress(f"{variant}: step {scope['step']} loss {scope['loss_accum'].item():.6f}")

    printed = io.StringIO()
    cwd, precision = os.getcwd(), torch.get_float32_matmul_precision()
    hook = register_optimizer_step_post_hook(after_step)
    os.chdir(WORK)
    try:
        with contextlib.redirect_stdout(printed):  # a fresh module: torch.save pickles GPTConfig
            module("train_gpt2", TRAIN, code, TRAIN, contextlib=contextlib)
    finally:
        os.chdir(cwd)
        hook.remove()
        torch.set_float32_matmul_precision(precision)
    lines, dt = [], []
    for line in printed.getvalue().split("\n")[:-1]:  # a sample may hold "\n" or other breaks
        if line.startswith("step "):
            assert " | dt: " in line and line.index(" | dt: ") > line.index("| norm: "), line
            dt.append(float(line.split(" | dt: ")[1].split("ms")[0]))
            line = line[:line.index(" | dt: ")]
        lines.append(line)
    checkpoints = sorted(f for f in os.listdir(log_dir) if f.endswith(".pt"))
    last = torch.load(os.path.join(log_dir, checkpoints[-1]), weights_only=False)
    return {"printed": lines, "log": open(os.path.join(log_dir, "log.txt")).read().splitlines(),
            "exact": exact, "checkpoints": checkpoints, "dt": dt,
            "last_checkpoint": {"step": last["step"], "val_loss": repr(last["val_loss"])}}


def accum():
    cells = json.load(open(PLAY))["cells"]
    sources = ["".join(cells[i]["source"]) for i in (15, 16)]
    assert "torch.random.manual_seed(42)" in sources[0] and "grad_accum_steps of 4" in sources[1]
    torch.manual_seed(42)  # the MLP's init: cell 15 makes it before seeding
    scope, grads, printed = {"__name__": "__main__"}, [], io.StringIO()
    with contextlib.redirect_stdout(printed):
        for i, source in zip((15, 16), sources):
            exec(compile(source, f"{PLAY} cell {i}", "exec"), scope)
            grads.append(scope["net"][0].weight.grad.view(-1)[:10].clone())
    return {"printed": printed.getvalue().split("\n")[:-1],
            "grads": [[repr(v) for v in g.tolist()] for g in grads],
            "equal": torch.equal(*grads), "allclose": torch.allclose(*grads)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("text")
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=20, help="max_steps of the training loop")
    ap.add_argument("--shard-size", type=int, default=100_000, help="fineweb.py's shard_size")
    ap.add_argument("--eval-every", type=int, default=5, help="steps between evaluations (the file's 250)")
    args = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    out = {"files": [os.path.relpath(p, ROOT) for p in (TRAIN, FINEWEB, HELLASWAG)],
           "steps": args.steps, "eval_every": args.eval_every}
    progress("shards")
    out["shards"] = shards(args.text, args.shard_size)
    hs = hellaswag()
    out["hellaswag"] = rendered(hs)
    for variant in ["fp32", "bf16"]:
        out[variant] = train(variant, args.steps, args.eval_every)
        del out[variant]["dt"]  # the machine's times: not a reference
    out["accum"] = accum()
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
