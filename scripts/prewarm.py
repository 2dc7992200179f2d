"""Pre-warms the project kernel's build slots: runs a one-cell notebook that `:dep`s the crate
and draws the heatmap, in slot 0 and slot 1, so a learner's first `:dep` cell takes seconds.

    python scripts/prewarm.py SLOT [SLOT ...]
"""
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEP = ':dep makemore = { path = ".." }'
CELL = """let words = makemore::read_words("../data/names.txt")?;
let vocab = makemore::Vocab::from_words(&words)?;
let png = makemore::heatmap(&makemore::count_bigrams(&words, &vocab)?, &vocab)?;
png.width"""


def warm(slot):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(DEP))
    nb.cells.append(nbformat.v4.new_code_cell(CELL))
    os.environ['MAKEMORE_EVCXR_SLOT'] = str(slot)
    client = NotebookClient(nb, kernel_name='rust-makemore', timeout=1200, startup_timeout=120,
                            resources={'metadata': {'path': str(ROOT / 'notebooks')}})
    t = time.time()
    client.execute()
    out = nb.cells[0].outputs + nb.cells[1].outputs
    text = ''.join(o.get('text', '') for o in out) + ''.join(str(o.get('data', '')) for o in out)
    if any(o.get('output_type') == 'error' for o in out) or '864' not in text:
        sys.exit(f'pre-warm of slot {slot} failed: {out}')
    print(f'  slot {slot}: warm in {time.time() - t:.0f} s')


if __name__ == '__main__':
    for s in sys.argv[1:]:
        warm(int(s))
