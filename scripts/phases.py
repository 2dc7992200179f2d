"""Where a trivial cell's time goes on the project kernel, phase by phase.

    .venv/bin/python scripts/phases.py [CELLS] [--before 'COMMAND' ...]
    # CELLS trivial cells (default 12); each --before cell (an evcxr command such as
    # ':allow_static_linking 0' or ':opt 0') runs before `:dep`; MAKEMORE_EVCXR_SLOT=N picks the
    # first build slot to try (a slot with other settings rebuilds its dependencies once)

Starts the project kernel (scripts/kernel.py, a warm build slot) with three small wrappers first
on its PATH, runs `:dep makemore`, the crate's first cell, then CELLS trivial cells with evcxr's
`:timing` on, and prints the median of each phase over the trivial cells:

- the cell, as the notebook sees it (nbclient: `execute_input` to `execute_reply`);
- evcxr's own time (`:timing`), and the rest: the Jupyter messages around it;
- `cargo build` (the wrapper times each cargo process evcxr starts);
- `rustc` on the cell's crate `ctx` (inside cargo), with rustc's own passes
  (`-Z time-passes`, allowed on a stable rustc by RUSTC_BOOTSTRAP=1 for that crate only; the
  dependencies are untouched, so nothing else rebuilds): the front end, LLVM's codegen and the
  link, the link also timed by a linker wrapper (`-C linker`, which runs `cc` as rustc would);
- evcxr's work outside cargo: writing the crate, rust-analyzer's type inference for the cell's
  variables, loading the cell's library and running it (evcxr's time minus cargo's).

The wrappers are Python: each adds ~30 ms of its own start (measured and shown as `wrapper
start`), so the cargo and rustc rows are upper bounds by that much. Times only; nothing is
checked. evcxr finds cargo and rustc with `rustup which` first: a `rustup` wrapper that fails
sends it to PATH, where ours are.
"""
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent

CARGO = '''#!{python}
import os, subprocess, sys, time, json
t = time.time()
r = subprocess.run([{real!r}] + sys.argv[1:], close_fds=False)  # keep cargo's jobserver fds
cmd = next((a for a in sys.argv[1:] if not a.startswith('-')), '?')
with open({log!r}, 'a') as f:
    f.write(json.dumps({{'what': 'cargo ' + cmd, 'start': t, 'end': time.time()}}) + '\\n')
sys.exit(r.returncode)
'''
RUSTC = '''#!{python}
import os, subprocess, sys, time, json
t = time.time()
args = sys.argv[1:]
name = args[args.index('--crate-name') + 1] if '--crate-name' in args else '?'
env = dict(os.environ)
passes = []
if name == 'ctx':
    env['RUSTC_BOOTSTRAP'] = '1'
    args = args + ['-Ztime-passes', '-Clinker=' + {linker!r}]
    r = subprocess.run([{real!r}] + args, env=env, stderr=subprocess.PIPE, text=True, close_fds=False)
    for line in r.stderr.splitlines(keepends=True):
        if line.startswith('time:'):  # time:   0.012; rss: ...\tpass_name
            passes.append([line.split()[-1], float(line.split()[1].rstrip(';'))])
        else:
            sys.stderr.write(line)
else:
    r = subprocess.run([{real!r}] + args, env=env, close_fds=False)
with open({log!r}, 'a') as f:
    f.write(json.dumps({{'what': 'rustc ' + name, 'start': t, 'end': time.time(), 'passes': passes}}) + '\\n')
sys.exit(r.returncode)
'''
LINKER = '''#!{python}
import subprocess, sys, time, json
t = time.time()
r = subprocess.run(['cc'] + sys.argv[1:], close_fds=False)
with open({log!r}, 'a') as f:
    f.write(json.dumps({{'what': 'link', 'start': t, 'end': time.time()}}) + '\\n')
sys.exit(r.returncode)
'''
TRIVIAL = ['let a = 1 + 2;\na', 'words.len()', 'a * 2', 'let b = a + 1;\nb', 'SEED + 1',
           'words[0].len()', 'let t = Tensor::from_slice(&[1i64, 2, 3]);\nt.size()', 'vocab.len()']


def tool(name):
    out = subprocess.run(['rustup', 'which', name], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else shutil.which(name)


def write(path, text):
    path.write_text(text)
    path.chmod(0o755)


def main(n_cells, before):
    tmp = pathlib.Path(tempfile.mkdtemp(prefix='phases-'))
    log = tmp / 'log.jsonl'
    bin_dir = tmp / 'bin'
    bin_dir.mkdir()
    py = sys.executable
    real_cargo, real_rustc = tool('cargo'), tool('rustc')
    write(bin_dir / 'cargo', CARGO.format(python=py, real=real_cargo, log=str(log)))
    write(bin_dir / 'rustc', RUSTC.format(python=py, real=real_rustc, log=str(log), linker=str(bin_dir / 'linker')))
    write(bin_dir / 'linker', LINKER.format(python=py, log=str(log)))
    write(bin_dir / 'rustup', '#!/bin/sh\nexit 1\n')
    # the project kernel's spec, with the wrappers first on its PATH, as a kernel of its own
    from jupyter_client.kernelspec import KernelSpecManager
    spec = KernelSpecManager().get_kernel_spec('rust-makemore')
    spec_dir = tmp / 'kernels' / 'rust-makemore-phases'
    spec_dir.mkdir(parents=True)
    env = dict(spec.env)
    env['PATH'] = f'{bin_dir}{os.pathsep}{env.get("PATH", "${PATH}")}'
    (spec_dir / 'kernel.json').write_text(json.dumps({'argv': spec.argv, 'display_name': 'phases',
                                                      'language': 'rust', 'env': env,
                                                      'interrupt_mode': spec.interrupt_mode}))
    os.environ['JUPYTER_PATH'] = f'{tmp}{os.pathsep}{os.environ.get("JUPYTER_PATH", "")}'

    cells = before + [':dep makemore = { path = "..", default-features = false }',
             'use makemore::prelude::*;\nlet words = read_words("../data/names.txt")?;\n'
             'let vocab = Vocab::from_words(&words)?;\nwords.len()', ':timing']
    cells += [TRIVIAL[k % len(TRIVIAL)] for k in range(n_cells)]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    client = NotebookClient(nb, kernel_name='rust-makemore-phases', timeout=900, startup_timeout=300,
                            record_timing=True, resources={'metadata': {'path': str(ROOT / 'notebooks')}})
    client.execute()
    events = [json.loads(line) for line in log.read_text().splitlines()]
    starts = []
    for _ in range(5):  # what a wrapper's own start costs: python, its imports, one subprocess
        t = time.time()
        subprocess.run([py, '-c', 'import os, subprocess, sys, time, json; subprocess.run(["true"])'])
        starts.append(time.time() - t)

    from dateutil import parser
    rows = []
    for cell in nb.cells[len(before) + 3:]:
        ex = cell.metadata['execution']
        a = parser.isoparse(ex['iopub.execute_input']).timestamp()
        b = parser.isoparse(ex['shell.execute_reply']).timestamp()
        text = ''.join(o.get('text', '') + json.dumps(o.get('data', {})) for o in cell.outputs)
        took = re.search(r'Took (\d+)ms', text)
        inside = [e for e in events if a - 0.05 <= e['start'] and e['end'] <= b + 0.05]
        dur = lambda what: sum(e['end'] - e['start'] for e in inside if e['what'] == what)
        ctx = [e for e in inside if e['what'] == 'rustc ctx']
        passes = {}
        for e in ctx:
            for p, s in e['passes']:
                passes[p] = passes.get(p, 0.0) + s
        other = sum(e['end'] - e['start'] for e in inside if e['what'].startswith('rustc') and e['what'] != 'rustc ctx')
        per_kind = {}
        for e in inside:
            if e['what'].startswith('cargo'):
                per_kind[e['what']] = per_kind.get(e['what'], 0) + 1
        rows.append({'kinds': per_kind, 'other rustc': other, 'cell': b - a, 'evcxr': int(took.group(1)) / 1000 if took else float('nan'),
                     'cargo': dur('cargo build') + dur('cargo check'),
                     'cargo runs': sum(e['what'].startswith('cargo') for e in inside),
                     'rustc': dur('rustc ctx'), 'link': dur('link'), 'passes': passes})
    med = lambda f: statistics.median(f(r) for r in rows)
    pnames = sorted({p for r in rows for p in r['passes']}, key=lambda p: -med(lambda r: r['passes'].get(p, 0)))
    start = statistics.median(starts)
    table = [
        ('the cell, as the notebook sees it', med(lambda r: r['cell'])),
        ('  Jupyter messages around evcxr (cell - evcxr)', med(lambda r: r['cell'] - r['evcxr'])),
        ("  evcxr's own time (`:timing`)", med(lambda r: r['evcxr'])),
        ('    evcxr outside cargo: crate files, rust-analyzer, load and run (evcxr - cargo)',
         med(lambda r: r['evcxr'] - r['cargo'])),
        ('    cargo (all its runs in the cell)', med(lambda r: r['cargo'])),
        ('      cargo itself: fingerprints of the dependencies, JSON (cargo - rustc)',
         med(lambda r: r['cargo'] - r['rustc'])),
        ("      rustc on the cell's crate", med(lambda r: r['rustc'])),
    ]
    for p in pnames[:8]:
        table.append((f'        rustc pass `{p}`', med(lambda r: r['passes'].get(p, 0.0))))
    table.append(('        the link (linker wrapper: cc, rust-lld)', med(lambda r: r['link'])))
    table.append(("      other rustc runs (cargo's `rustc -vV` and the like)", med(lambda r: r['other rustc'])))
    kinds = sorted({k for r in rows for k in r['kinds']})
    kinds = ', '.join(f'`{k}` {med(lambda r: r["kinds"].get(k, 0)):.0f}' for k in kinds)
    print(f'{len(rows)} trivial cells; cargo runs per cell: {med(lambda r: r["cargo runs"]):.0f} ({kinds}); '
          f'each wrapper adds ~{start * 1000:.0f} ms of its start to the rows it times\n')
    print('| phase | median (s) |\n|---|---|')
    for what, s in table:
        print(f'| {what} | {s:.3f} |')
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('cells', nargs='?', type=int, default=12)
    ap.add_argument('--before', action='append', default=[])
    args = ap.parse_args()
    main(args.cells, args.before)
