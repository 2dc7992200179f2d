"""makemore.py and the `makemore` binary side by side, for `make bench` (scripts/bench.sh).

    python tests/reference/bench_makemore.py MAKEMORE_PY MAKEMORE_BIN names.txt [STEPS] [TYPES...]

For each model type, both programs train at makemore.py's defaults (seed 3407, AdamW, batch 32)
for STEPS steps (default 2,000), each in a fresh process, one after the other, with the same
flags: `-i names.txt -o DIR --type T --max-steps STEPS+1` (makemore.py evaluates at step 2,000
only when a step 2,000 is taken). Each prints `step N | loss X | step time Yms` every 10 steps
and `step N train loss: X test loss: Y` every 500. Measured: the median step time over those
lines, the whole process (wall time, from start to exit), the test loss at step STEPS, and the
peak RSS of the process (ru_maxrss). Exits 1 if a test loss is more than 0.03 above makemore.py's:
the times are reported, never checked.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

TYPES = ['bigram', 'mlp', 'rnn', 'gru', 'bow', 'transformer']
STEP = re.compile(r'^step (\d+) \| loss [\d.]+ \| step time ([\d.]+)ms', re.M)
EVAL = re.compile(r'^step (\d+) train loss: ([\d.]+) test loss: ([\d.]+)', re.M)
TOLERANCE = 0.03


def run(cmd):
    """Runs `cmd` in a child; returns (stdout, wall seconds, peak RSS in MiB of that child)."""
    with tempfile.TemporaryFile('w+') as out, tempfile.TemporaryFile('w+') as err:
        t = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err, env=dict(os.environ, PYTHONWARNINGS='ignore'))
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - t
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if child.returncode != 0:
            sys.exit(f'{cmd[0]} failed ({child.returncode}): {err.read()[-2000:]}')
        return out.read(), wall, usage.ru_maxrss / 1024  # KiB on Linux


def measure(cmd, steps):
    stdout, wall, rss = run(cmd)
    times = [float(ms) for _, ms in STEP.findall(stdout)]
    losses = {int(s): float(test) for s, _, test in EVAL.findall(stdout)}
    if steps not in losses:
        sys.exit(f'{cmd[0]} printed no test loss at step {steps}:\n{stdout[-1500:]}')
    return {'ms': statistics.median(times), 'wall': wall, 'loss': losses[steps], 'rss': rss}


def main(makemore_py, binary, names, steps=2000, *types):
    steps = int(steps)
    types = list(types) or TYPES
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in types:
            flags = ['-i', names, '--type', kind, '--max-steps', str(steps + 1)]
            py = measure([sys.executable, makemore_py, '-o', f'{tmp}/py-{kind}', '--num-workers', '0'] + flags, steps)
            rs = measure([binary, '-o', f'{tmp}/rs-{kind}'] + flags, steps)
            rows.append((kind, py, rs))
            print(f'bench: {kind}: makemore.py {py["ms"]:.2f} ms/step, {py["wall"]:.1f} s; '
                  f'makemore {rs["ms"]:.2f} ms/step, {rs["wall"]:.1f} s', file=sys.stderr, flush=True)
    print_table(rows, steps)
    failed = [kind for kind, py, rs in rows if rs['loss'] > py['loss'] + TOLERANCE]
    if failed:
        print(f'\nFAILED: test loss more than {TOLERANCE} above makemore.py\'s: {", ".join(failed)}')
        sys.exit(1)
    print(f'\nall test losses within {TOLERANCE} of makemore.py\'s, or lower')


def print_table(rows, steps):
    head = ('type', 'ms/step py', 'ms/step rs', 'py/rs', 'process py', 'process rs', 'py/rs',
            f'test loss @{steps} py', 'rs', 'rs - py', 'peak RSS py', 'rs')
    table = []
    for kind, py, rs in rows:
        table.append((kind, f'{py["ms"]:.2f}', f'{rs["ms"]:.2f}', f'{py["ms"] / rs["ms"]:.2f}x',
                      f'{py["wall"]:.1f} s', f'{rs["wall"]:.1f} s', f'{py["wall"] / rs["wall"]:.2f}x',
                      f'{py["loss"]:.4f}', f'{rs["loss"]:.4f}', f'{rs["loss"] - py["loss"]:+.4f}',
                      f'{py["rss"]:.0f} MiB', f'{rs["rss"]:.0f} MiB'))
    widths = [max(len(str(r[i])) for r in [head] + table) for i in range(len(head))]
    line = lambda r: '| ' + ' | '.join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                      for i, (c, w) in enumerate(zip(r, widths))) + ' |'
    print(line(head))
    print('|' + '|'.join('-' * (w + 2) for w in widths) + '|')
    for r in table:
        print(line(r))


if __name__ == '__main__':
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
