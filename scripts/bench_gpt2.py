"""`make bench-gpt2`: `makemore gpt2` against build-nanogpt's scripts, side by side in one run, on
the same data and the same torch (the scripts executed by tests/reference/gpt2_final.py):

1. `prepare` against fineweb.py's tokenize-and-shard loop (tiktoken, its multiprocessing pool of
   cpu_count // 2 processes) on tiny Shakespeare's paragraphs repeated: MB of text a second, and
   whether the shards are the same bytes;
2. training steps of the final train_gpt2.py against `makemore gpt2 train` at a small size and
   at GPT-2 (124M) (B and T this CPU holds), float32 and bfloat16 autocast: tokens a second (the
   median step, the evaluating first and last steps left out), the ratio, whether every printed
   loss, lr and norm is the same, and the model FLOP utilization against this CPU's peak, a large
   float32 (and bfloat16) matmul's FLOP/s measured here;
3. llm.c's CPU train_gpt2.c (OpenMP, its fixed B=4, T=64) on our GPT-2 (124M), its model file
   and token files written from ours: tokens a second against ours at the same size.

    python scripts/bench_gpt2.py target/release/makemore [STEPS]

Prints a markdown table for BENCHMARKS.md. Nothing checks the times; a differing line exits 1.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import gpt2_final as ref  # noqa: E402  (tiktoken offline, the lecture's files)
import torch  # noqa: E402

CLI = os.path.abspath(sys.argv[1])
STEPS = int(sys.argv[2]) if len(sys.argv) > 2 else 6
TEXT = os.path.join(ROOT, "data", "tinyshakespeare.txt")
SIZES = [  # name, GPTConfig, B, T, the flags of the same model
    ("small (2 x 64)", "block_size=64, vocab_size=50304, n_layer=2, n_head=4, n_embd=64", 4, 32,
     ["--n-layer", "2", "--n-head", "4", "--n-embd", "64", "--block-size", "64"]),
    ("GPT-2 124M (d12)", "vocab_size=50304", 4, 64, ["--model", "d12"]),
]


def peak(kind):
    """FLOP/s of a 2048 x 2048 matmul in `kind`, the best of 5."""
    a, b = torch.randn(2048, 2048, dtype=kind), torch.randn(2048, 2048, dtype=kind)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * 2048**3 / best


def prepare(work):
    """fineweb.py's loop and `makemore gpt2 prepare` on the same documents: MB/s each, same bytes."""
    text = open(TEXT).read() * 8
    docs = [d for d in text.split("\n\n") if d]
    jsonl = os.path.join(work, "docs.jsonl")
    with open(jsonl, "w") as f:
        f.writelines(json.dumps({"text": d}) + "\n" for d in docs)
    mb = len(text.encode()) / 1e6
    ref.WORK = os.path.join(work, "py")
    os.makedirs(ref.WORK)
    with open(os.path.join(work, "text.txt"), "w") as f:
        f.write(text)
    t = time.perf_counter()
    ref.shards(os.path.join(work, "text.txt"), 100_000_000)
    py = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run([CLI, "gpt2", "prepare", "-i", jsonl, "-o", os.path.join(work, "rs")], check=True,
                   capture_output=True)
    rs = time.perf_counter() - t
    ours = sorted(os.listdir(os.path.join(work, "rs")))
    same = ours == sorted(os.listdir(os.path.join(ref.WORK, "edu_fineweb10B"))) and all(
        open(os.path.join(work, "rs", n), "rb").read() == open(os.path.join(ref.WORK, "edu_fineweb10B", n), "rb").read()
        for n in ours)
    return mb, mb / py, mb / rs, same


def step_ms(dts):
    """The median step, without the first and last (they evaluate)."""
    return statistics.median(dts[1:-1] if len(dts) > 2 else dts)


def train(work, name, config, B, T, flags, variant):
    ref.WORK = os.path.join(work, "train")
    os.makedirs(ref.WORK, exist_ok=True)
    os.makedirs(os.path.join(ref.WORK, "edu_fineweb10B"), exist_ok=True)
    for f in os.listdir(os.path.join(work, "shards")):  # the small shards of tiny Shakespeare
        dst = os.path.join(ref.WORK, "edu_fineweb10B", f)
        if not os.path.exists(dst):
            os.symlink(os.path.join(work, "shards", f), dst)
    big = 10**9
    # in a process of its own, which ends before ours starts (its threads and memory gone)
    run = subprocess.run([sys.executable, __file__, CLI, str(STEPS), "--python", ref.WORK, variant, config, str(B), str(T)],
                         check=True, capture_output=True, text=True)
    py = json.loads(run.stdout)
    cmd = [CLI, "gpt2", "train", "--data", os.path.join(work, "shards"), "-B", str(B), "-T", str(T),
           "--total-batch-size", str(B * T), "--max-steps", str(STEPS), "--warmup-steps", "5",
           "--eval-every", str(big), "--val-steps", "1", "--log-dir", os.path.join(work, "log"),
           "--hellaswag", os.path.join(ROOT, "tests", "fixtures", "hellaswag_mini.jsonl"),
           "--dtype", "float32" if variant == "fp32" else "bfloat16", *flags]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split("\n")
    rs_dt = [float(l.split(" | dt: ")[1].split("ms")[0]) for l in out if l.startswith("step ")]
    rs_lines = [l.split(" | dt:")[0] for l in out[:-1]]
    same = rs_lines == py["printed"]
    return step_ms(py["dt"]), step_ms(rs_dt), same, rs_lines


LLMC_ORDER = [  # train_gpt2.c's parameter tensors, in its file's order, and our names for layer i
    ("wte", "wte.weight"), ("wpe", "wpe.weight"), ("ln1w", "h.{i}.ln_1.weight"), ("ln1b", "h.{i}.ln_1.bias"),
    ("qkvw", "h.{i}.attn.c_attn.weight"), ("qkvb", "h.{i}.attn.c_attn.bias"),
    ("attprojw", "h.{i}.attn.c_proj.weight"), ("attprojb", "h.{i}.attn.c_proj.bias"),
    ("ln2w", "h.{i}.ln_2.weight"), ("ln2b", "h.{i}.ln_2.bias"), ("fcw", "h.{i}.mlp.c_fc.weight"),
    ("fcb", "h.{i}.mlp.c_fc.bias"), ("fcprojw", "h.{i}.mlp.c_proj.weight"), ("fcprojb", "h.{i}.mlp.c_proj.bias"),
    ("lnfw", "ln_f.weight"), ("lnfb", "ln_f.bias"),
]


def read_safetensors(path):
    """The float32 tensors of a .safetensors file, by name (numpy; the format is a JSON header)."""
    import numpy as np
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    return {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=np.float32).reshape(v["shape"])
            for k, v in header.items() if k != "__metadata__"}


def llmc(work, flags):
    """llm.c's CPU train_gpt2.c (its own B=4, T=64, OpenMP) on our GPT-2 (124M) and shards: its
    `step N: train loss ... (took X ms)` lines, the run stopped after STEPS of them."""
    import numpy as np
    src = os.environ.get("LLMC", os.path.join(ROOT, "..", "shared", "reference", "llm.c"))
    if not os.path.exists(os.path.join(src, "train_gpt2.c")):
        return None, f"llm.c not found at {src} (set LLMC to a checkout)"
    build = os.path.join(work, "llm.c")
    subprocess.run(["cp", "-r", src, build], check=True)
    subprocess.run(["make", "train_gpt2"], cwd=build, check=True, capture_output=True)
    log = os.path.join(work, "llmc_log")  # our model at seed 1337, saved after one step (the format wants a file)
    subprocess.run([CLI, "gpt2", "train", "--data", os.path.join(work, "shards"), "-B", "4", "-T", "64",
                    "--total-batch-size", "256", "--max-steps", "2", "--val-steps", "1", "--log-dir", log, *flags],
                   check=True, capture_output=True)
    sd = read_safetensors(os.path.join(log, "model_00001", "model.safetensors"))
    sd = {k.removeprefix("transformer."): v for k, v in sd.items()}
    config = json.load(open(os.path.join(log, "model_00001", "config.json")))
    L, C, Vp, maxT = config["n_layer"], config["n_embd"], config["vocab_size"], config["n_positions"]
    header = np.zeros(256, dtype=np.int32)
    header[:8] = [20240326, 3, maxT, 50257, L, config["n_head"], C, Vp]
    with open(os.path.join(build, "gpt2_124M.bin"), "wb") as f:
        f.write(header.tobytes())
        for _, ours in LLMC_ORDER:
            names = [ours.format(i=i) for i in range(L)] if "{i}" in ours else [ours]
            for name in names:  # ours are Hugging Face's Conv1D (in, out); llm.c's nn.Linear (out, in)
                t = sd[name].T if name.endswith(("attn.weight", "proj.weight", "fc.weight")) else sd[name]
                f.write(np.ascontiguousarray(t, dtype=np.float32).tobytes())
    data = os.path.join(build, "dev", "data", "tinyshakespeare")
    os.makedirs(data, exist_ok=True)
    for split in ["train", "val"]:
        shard = sorted(n for n in os.listdir(os.path.join(work, "shards")) if split in n)[0]
        tokens = np.load(os.path.join(work, "shards", shard))
        head = np.zeros(256, dtype=np.int32)
        head[:3] = [20240520, 1, len(tokens)]
        with open(os.path.join(data, f"tiny_shakespeare_{split}.bin"), "wb") as f:
            f.write(head.tobytes() + tokens.astype(np.uint16).tobytes())
    proc = subprocess.Popen(["./train_gpt2"], cwd=build, stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, OMP_NUM_THREADS=str(os.cpu_count())))
    took, first = [], None
    for line in proc.stdout:
        if line.startswith("step ") and "took" in line:
            first = first or line.split("train loss ")[1].split(" ")[0]
            took.append(float(line.split("(took ")[1].split(" ms")[0]))
            if len(took) >= STEPS:
                break
    proc.kill()
    proc.wait()
    return statistics.median(took[1:]), f"its first loss {first}"


def n_params(flags_lines):
    for l in flags_lines:
        if l.startswith("num decayed parameter tensors"):
            decayed = int(l.split("with ")[1].split(" ")[0].replace(",", ""))
        if l.startswith("num non-decayed"):
            return decayed + int(l.split("with ")[1].split(" ")[0].replace(",", ""))
    return 0


def main():
    torch.set_num_threads(os.cpu_count())
    work = tempfile.mkdtemp(prefix="bench_gpt2_")
    print(f"bench-gpt2: {os.cpu_count()} cores, torch {torch.__version__}, {STEPS} steps a run", file=sys.stderr)
    peaks = {"fp32": peak(torch.float32), "bf16": peak(torch.bfloat16)}
    mb, py_mbs, rs_mbs, same = prepare(work)
    subprocess.run([CLI, "gpt2", "prepare", "-i", TEXT, "-o", os.path.join(work, "shards"), "--shard-size", "100000"],
                   check=True, capture_output=True)
    rows, ok = [], same
    for name, config, B, T, flags in SIZES:
        for variant in ["fp32", "bf16"]:
            print(f"bench-gpt2: {name} {variant}", file=sys.stderr)
            py_ms, rs_ms, equal, lines = train(work, name, config, B, T, flags, variant)
            ok &= equal
            tokens = B * T
            flops = 6 * n_params(lines) * tokens / (rs_ms / 1e3)  # 6 N per token, attention left out
            rows.append(f"| {name}, B={B}, T={T} | {variant} | {tokens / py_ms * 1e3:,.0f} | {tokens / rs_ms * 1e3:,.0f} "
                        f"| {py_ms / rs_ms:.2f}x | {'yes' if equal else 'NO'} | {flops / peaks[variant] * 100:.1f}% |")
    print("bench-gpt2: llm.c's train_gpt2.c", file=sys.stderr)
    ms, why = llmc(work, SIZES[1][4])  # why: where it is missing, or its first loss
    d12 = next(r for r in rows if r.startswith("| GPT-2 124M") and "| fp32 |" in r)
    if ms is None:
        rows.append(f"| GPT-2 124M (d12), B=4, T=64 | fp32 | llm.c train_gpt2.c: {why} | | | | |")
    else:
        ours = float(d12.split(" | ")[3].replace(",", ""))
        rows.append(f"| GPT-2 124M (d12), B=4, T=64 | fp32, llm.c train_gpt2.c (OpenMP) | {256 / ms * 1e3:,.0f} (llm.c) "
                    f"| {ours:,.0f} | {ours / (256 / ms * 1e3):.2f}x | ({why}; its AdamW, no clipping) | |")
    print(f"\nCPU peak (a 2048^2 matmul, best of 5): float32 {peaks['fp32'] / 1e9:,.0f} GFLOP/s, "
          f"bfloat16 {peaks['bf16'] / 1e9:,.0f} GFLOP/s\n")
    print("| prepare (tiny Shakespeare x 8, %.1f MB) | fineweb.py MB/s | makemore MB/s | ratio | same shards |" % mb)
    print("|---|---|---|---|---|")
    print(f"| one 100M-token shard file | {py_mbs:.2f} | {rs_mbs:.2f} | {rs_mbs / py_mbs:.2f}x | {'yes' if same else 'NO'} |\n")
    print("| training step | dtype | train_gpt2.py tok/s | makemore tok/s | ratio | same lines | MFU (ours) |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    sys.exit(0 if ok else 1)


def python_side(work, variant, config, B, T):
    """The lecture's loop alone (`--python`): its printed lines and step times as JSON."""
    ref.WORK = work
    ref.hellaswag()  # the module train_gpt2.py imports, reading the same 8 examples
    out = ref.train(variant, STEPS, 10**9, config=config, B=int(B), T=int(T), total=int(B) * int(T), val_steps=1)
    print(json.dumps({"printed": out["printed"], "dt": out["dt"]}))


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[3] == "--python":
        python_side(*sys.argv[4:])
    else:
        main()
