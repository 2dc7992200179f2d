"""Measures what a learner waits for on the project kernel: the `:dep` cell and the first crate
cell of N notebooks opened at once (each kernel takes a build slot; a cold slot starts as a copy
of a warm one, scripts/kernel.py), and the latency of trivial cells after them.

    .venv/bin/python scripts/latency.py [N] [--cold]   # N kernels at once (default 3)

--cold first deletes every build slot but 0 and 1 (the ones `make setup` warms), so slots 2 and up
start cold, as on a learner's machine opening a third notebook. Prints one line per kernel and
the median of the trivial cells. Times only: nothing is checked.
"""
import pathlib
import shutil
import statistics
import sys
import threading
import time

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import prewarm  # noqa: E402  (the build slots' folder)

ROOT = pathlib.Path(__file__).resolve().parent.parent
CELLS = [
    ':dep makemore = { path = "..", default-features = false }',
    'use makemore::prelude::*;\nlet words = read_words("../data/names.txt")?;\nwords.len()',
    'std::env::var("EVCXR_TMPDIR").unwrap_or_default()',
    'let a = 1 + 2;\na', 'words[0].len()', 'let v = Vocab::from_words(&words)?;\nv.len()',
    'SEED + 1', 'let t = Tensor::from_slice(&[1i64, 2, 3]);\nt.size()', 'a * 2',
]


def run(results, k):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    client = NotebookClient(nb, kernel_name='rust-makemore', timeout=1200, startup_timeout=300,
                            record_timing=True, resources={'metadata': {'path': str(ROOT / 'notebooks')}})
    t = time.time()
    client.execute()
    times = []
    from dateutil import parser
    for cell in nb.cells:
        ex = cell.metadata.get('execution', {})
        times.append((parser.isoparse(ex['shell.execute_reply'])
                      - parser.isoparse(ex['iopub.execute_input'])).total_seconds())
    slot = ''.join(o.get('data', {}).get('text/plain', '') for o in nb.cells[2].outputs).strip('"')
    results[k] = (time.time() - t, times, pathlib.Path(slot).name)


def main():
    n = next((int(a) for a in sys.argv[1:] if a.isdigit()), 3)
    if '--cold' in sys.argv:
        for d in prewarm.evcxr_dir().glob('slot-*'):
            if d.name not in ('slot-0', 'slot-1'):
                shutil.rmtree(d)
    results = {}
    threads = [threading.Thread(target=run, args=(results, k)) for k in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    trivial = []
    for k in sorted(results):
        wall, times, slot = results[k]
        print(f'kernel {k} ({slot}): `:dep` {times[0]:.1f} s, first crate cell {times[1]:.1f} s, '
              f'all {len(times)} cells {wall:.1f} s')
        trivial += times[3:]
    print(f'{n} kernels at once; trivial cells after them: median {statistics.median(trivial):.2f} s '
          f'({len(trivial)} cells, {min(trivial):.2f}-{max(trivial):.2f} s)')


if __name__ == '__main__':
    main()
