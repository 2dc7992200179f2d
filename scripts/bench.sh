#!/usr/bin/env bash
# `make bench`, two tables, each side by side in the same run, on the same data and libtorch:
#  1. the lecture's Python (tests/reference/bench.py, importing lecture.py and part2.py) against the crate
#     (examples/bench.rs) and the CLI, REPS runs each (medians): Python time, Rust time,
#     Python/Rust, and the result of both. Exits 1 if a loss differs by more than 1e-5 (the GPT
#     lecture's small model, fused attention against explicit: 1e-2) or the
#     sampled names differ.
#  2. makemore.py against the `makemore` binary, every model type, STEPS steps at makemore.py's
#     defaults (tests/reference/bench_makemore.py): ms per step, whole process, test loss, peak
#     RSS. Exits 1 if a test loss is more than 0.03 above makemore.py's.
# Nothing checks the times.
#   REPS=3 STEPS=1000 make bench   # quicker
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
DATA="$ROOT/data/names.txt"
REPS="${REPS:-5}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

STEPS="${STEPS:-2000}"
echo "bench: cargo build --release --example bench --bin makemore --bin makemore-torch"
cargo build --release --quiet --example bench --bin makemore --bin makemore-torch
BIN="$ROOT/target/release/examples/bench"
CLI="$ROOT/target/release/makemore"
bash data/fetch.sh makemore.py
LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"

py() { (cd tests/reference && "$PY" bench.py "$DATA" "$@"); }
echo "bench: Python, the lecture's loops ($REPS runs each; the 100-step trainings take a while)"
py "$REPS" > "$OUT/py.tsv"
echo "bench: Rust ($REPS runs each)"
"$BIN" "$DATA" "$REPS" > "$OUT/rs.tsv"
echo "bench: the one-hot training again, both on one thread"
py "$REPS" --one-thread >> "$OUT/py.tsv"
"$BIN" "$DATA" "$REPS" --one-thread >> "$OUT/rs.tsv"
echo "bench: peak RSS of one 100-step one-hot training, each in its own process"
py --rss >> "$OUT/py.tsv"
"$BIN" "$DATA" --rss onehot >> "$OUT/rs.tsv"
echo "bench: the CLI's 100 lecture steps as a whole process: makemore train --model neural"
"$PY" - "$CLI" "$DATA" "$REPS" "$OUT" >> "$OUT/rs.tsv" <<'PY'
import statistics, subprocess, sys, time
cli, data, reps, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
times = []
for _ in range(reps):
    t = time.perf_counter()
    run = subprocess.run([cli, 'train', '--input', data, '--model', 'neural', '--out', f'{out}/n.mm', '--overwrite'],
                         capture_output=True, text=True, check=True)
    times.append(time.perf_counter() - t)
loss = float(run.stdout.split('final loss:')[1])
print(f'rs\tcli_neural\t{statistics.median(times):.9f}\t{loss:.9f}')
PY
# cli_process OP ARGS...: `makemore ARGS` as a whole process, REPS times; its median and last test loss
cli_process() {
  "$PY" - "$CLI" "$REPS" "$@" >> "$OUT/rs.tsv" <<'PY'
import re, statistics, subprocess, sys, time
cli, reps, op, args = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
times = []
for _ in range(reps):
    t = time.perf_counter()
    run = subprocess.run([cli, *args, '--overwrite'], capture_output=True, text=True, check=True)
    times.append(time.perf_counter() - t)
loss = float(re.findall(r'test loss:? ([\d.]+)', run.stdout + run.stderr)[-1])
print(f'rs\t{op}\t{statistics.median(times):.9f}\t{loss:.9f}')
PY
}
WAVENET_STEPS="$("$PY" -c 'import sys; sys.path.insert(0, "tests/reference"); import bench; print(bench.WAVENET_CLI_STEPS)')"
echo "bench: the CLI's wavenet, $WAVENET_STEPS steps as a whole process: makemore train --type wavenet"
cli_process cli_wavenet train --input "$DATA" --type wavenet --max-steps "$WAVENET_STEPS" --out "$OUT/w.mm"
TEXT="$ROOT/data/tinyshakespeare.txt"
bash data/fetch.sh tinyshakespeare.txt
echo "bench: the GPT lecture's loops on tiny Shakespeare, Python then Rust ($REPS runs each; the 10.8 M model's 20 steps take a while)"
(cd tests/reference && "$PY" bench.py "$TEXT" "$REPS" --gpt) >> "$OUT/py.tsv"
"$BIN" "$TEXT" "$REPS" --gpt >> "$OUT/rs.tsv"
GPT_STEPS="$("$PY" -c 'import sys; sys.path.insert(0, "tests/reference"); import bench; print(bench.GPT_STEPS)')"
echo "bench: the CLI's GPT, $GPT_STEPS steps as a whole process: makemore --text (losses once, on one batch)"
cli_process cli_gpt --text "$TEXT" --max-steps "$GPT_STEPS" --eval-every 100000 --eval-batches 1 --out "$OUT/g.mm"
LOAD1="$(cut -d' ' -f1-3 /proc/loadavg)"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
mem="$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
torch="$("$PY" -c 'import torch; print(torch.__version__)')"
echo
echo "machine: $(nproc) cores, $cpu, $mem; torch $torch; load average $LOAD0 before, $LOAD1 after"

"$PY" - "$OUT/py.tsv" "$OUT/rs.tsv" "$REPS" <<'PY'
import sys

def read(path):
    rows = {}
    for line in open(path):
        side, op, seconds, result = line.rstrip('\n').split('\t')
        rows[op] = (float(seconds), result)
    return rows

py, rs, reps = read(sys.argv[1]), read(sys.argv[2]), sys.argv[3]
print(f"threads: torch.get_num_threads() = {py['threads'][1]}, "
      f"tch::get_num_threads() = {rs['threads'][1]}; medians of {reps} runs\n")

# (label, Python op, Rust op, target ratio, what the result is)
ROWS = [
    ('1. count bigrams', 'count', 'count', 100, 'total'),
    ('2. NLL, add-1 model', 'nll', 'nll', 100, 'loss'),
    ('3. sample 1,000 names', 'sample', 'sample', 25, 'names'),
    ('4. 100 steps, one-hot (lecture)', 'train', 'train_onehot', 1, 'loss'),
    ('5. 100 steps, Index (E04)', 'train', 'train_index', 10, 'loss'),
    ('5. 100 steps, CrossEntropy (E05)', 'train', 'train_crossentropy', 10, 'loss'),
    ('6. 100 steps, Counts (E06)', 'train', 'train_counts', 1000, 'loss'),
    ('7. CLI train --model neural, process', 'train', 'cli_neural', 10, 'loss'),
    ("8. part 2's MLP, 10,000 steps", 'mlp', 'mlp', 2, 'loss'),
    ("9. part 3's run A (BatchNorm), 10,000 steps", 'bn_mlp', 'bn_mlp', 2, 'loss'),
    ("10. part 3's run B (6 layers), 1,001 steps", 'deep', 'deep', 2, 'loss'),
    ("11. part 4's manual backward, 10,000 steps", 'manual', 'manual', 2, 'loss'),
    ("12. part 5's WaveNet (76,579), 10,000 steps", 'wavenet', 'wavenet', 2, 'loss'),
    ('13. CLI train --type wavenet, process', 'wavenet_cli', 'cli_wavenet', None, 'other'),
    ("14. GPT lecture's small model (209,729), 500 steps", 'gpt_small', 'gpt_small', 1.5, 'near'),
    ("15. gpt.py's model (10.8 M), 20 steps on the CPU", 'gpt_big', 'gpt_big', 1, 'other'),
    ('16. CLI --text, the small model, process', 'gpt_small', 'cli_gpt', 1.5, 'other'),
    ('4. one-hot, both on 1 thread', 'train_1t', 'train_onehot_1t', None, 'loss'),
]

def dshow(diff):
    return f'{diff:.1e}' if diff >= 1e-9 else '<1e-9'  # the results print 9 decimals

def secs(s):
    return f'{s * 1e3:.2f} ms' if s < 1 else f'{s:.2f} s'

head = ('operation', 'Python', 'Rust', 'Py/Rust', 'target', 'Python result', 'Rust result', '|diff|')
table, failed = [], []
for label, pop, rop, target, kind in ROWS:
    (ps, pr), (rsec, rr) = py[pop], rs[rop]
    ratio = ps / rsec
    if kind == 'other':  # another training: its own result, nothing to compare
        ok, shown = True, 'n/a'
    elif kind == 'near':  # fused attention against the lecture's: float rounding drifts a little
        diff = abs(float(rr) - float(pr))
        ok = diff <= 1e-2
        shown = dshow(diff)
    elif kind == 'loss':
        ref = py['nll_f64'][1] if pop == 'nll' else pr  # NLL: the lecture's loop in float64
        diff = abs(float(rr) - float(ref))
        ok = diff <= 1e-5
        shown = dshow(diff)
    else:
        ok = pr == rr
        shown = 'same' if ok else 'DIFFERENT'
    if not ok:
        failed.append(label)
    met = '' if target is None else (f'>={target}x ' + ('met' if ratio >= target else 'NOT met'))
    table.append((label, secs(ps), secs(rsec), f'{ratio:,.1f}x', met, pr, rr, shown))

prss, rrss = int(py['rss_train_kib'][1]), int(rs['rss_train_kib'][1])
rss_ok = rrss <= prss
table.append(('peak RSS, one-hot training', f'{prss / 1024:.0f} MiB', f'{rrss / 1024:.0f} MiB',
              f'{prss / rrss:.2f}x', 'Rust <= Py ' + ('met' if rss_ok else 'NOT met'),
              py['rss_train_loss'][1], rs['rss_train_loss'][1],
              dshow(abs(float(py['rss_train_loss'][1]) - float(rs['rss_train_loss'][1])))))

widths = [max(len(str(r[i])) for r in [head] + table) for i in range(len(head))]
def fmt(r):
    return '| ' + ' | '.join(str(c).ljust(w) if i in (0, 4) else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths))) + ' |'
print(fmt(head))
print('|' + '|'.join('-' * (w + 2) for w in widths) + '|')
for r in table:
    print(fmt(r))
print(f"\nNLL: the Python result is the lecture's loop, a float32 running sum of 228,146 terms;"
      f" |diff| is against the same loop in float64 ({py['nll_f64'][1]}), which the crate sums.")
print("sample: the result is an FNV-1a digest of the 1,000 names; 'same' means identical names.")
rng, chars = rs['sample_rng'][0], int(rs['sample_rng'][1])
print(f"sample: torch's exponential_() alone takes {secs(rng)} for the 27 x {chars:,} exponentials that "
      f"torch.multinomial draws for those names (Python / that = {py['sample'][0] / rng:,.1f}x); the crate "
      f"draws the same numbers from its own copy of torch's generator (src/rng.rs).")
print(f"part 4: the same net and steps in Rust with autograd's backward pass: {secs(rs['autograd'][0])} "
      f"(last loss {rs['autograd'][1]}), the manual one {secs(rs['manual'][0])}: the manual pass takes "
      f"{rs['manual'][0] / rs['autograd'][0]:.2f}x autograd's time.")
print(f"row 13: the CLI trains makemore.py's way (AdamW, batches of 32 names: every position of each, "
      f"about 240 examples a step, test loss measured as it goes), the lecture's loop beside it 32 examples a "
      f"step with SGD, the same number of steps: Python result the last batch's loss, Rust's the CLI's test loss.")
if failed:
    print(f"\nFAILED: results differ: {', '.join(failed)}")
    sys.exit(1)
print("\nall results agree (losses to 1e-5, names exactly)")
PY

echo
echo "bench: makemore.py against makemore, $STEPS steps of each model type at makemore.py's defaults"
"$PY" tests/reference/bench_makemore.py data/makemore.py "$CLI" "$DATA" "$STEPS"
