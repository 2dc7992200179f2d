"""Pre-warms the project kernel's build slots, so a learner's first `:dep` cell takes seconds.

    python scripts/prewarm.py SLOT [SLOT ...]   # run a small notebook that `:dep`s the crate
    python scripts/prewarm.py --copy FROM TO     # make slot TO a copy of warm slot FROM

A pre-warm runs a three-cell notebook on the project kernel with MAKEMORE_EVCXR_SLOT=SLOT, which
compiles tch, torch-sys (libtorch's C++ wrapper) and the crate into that slot's target dir, then
marks the slot it ran in with `.warm` (setup.sh skips warm slots).

--copy makes the second slot without compiling it again (setup: slot 0 is warmed, then copied to
slot 1): a copy of every file with its mtime (shutil.copy2), which cargo's fingerprints accept as
fresh. Absolute paths under target/ that name the old slot need no fix-up: build-script `output`
files name slot-0's OUT_DIR, and cargo, replaying them, swaps the OUT_DIR recorded in
`root-output` for the new one; rustc's dep-info in `.fingerprint/` is stored relative to the
package or the target dir. Checked (2026-11-29): the pre-warm of a fresh copy rewrote only evcxr's
own crate (`ctx`, the cells' `libcode_N.so`) and took 14-16 s, as long as re-running it in the
original slot; with the original slot moved away as well. Should cargo ever disagree, the copy is
simply compiled again: slower, never wrong.
Both slots are locked (the kernel's own flock on slot-N/.lock) while copying; a busy slot is
left alone.

Build slots live under $MAKEMORE_EVCXR_DIR (setup.sh exports it), else the dir named in the
project kernel's kernel.json.
"""
import fcntl
import json
import os
import pathlib
import shutil
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNEL_JSON = ROOT / '.venv' / 'share' / 'jupyter' / 'kernels' / 'rust-makemore' / 'kernel.json'
DEP = ':dep makemore = { path = "..", default-features = false }'
# Only the crate's `tch` re-export: the rest of the crate's API may be renamed, and `:dep` above
# compiles the whole crate (and its dependencies) whatever the cell calls.
CELL = """let t = makemore::tch::Tensor::from_slice(&[3i64, 4, 5]);
t.sum(makemore::tch::Kind::Int64).int64_value(&[])"""
SLOT_OF_KERNEL = 'std::env::var("EVCXR_TMPDIR").unwrap_or_default()'


def evcxr_dir():
    base = os.environ.get('MAKEMORE_EVCXR_DIR')
    if not base:
        try:
            base = json.loads(KERNEL_JSON.read_text())['env']['MAKEMORE_EVCXR_DIR']
        except (OSError, KeyError, ValueError):
            sys.exit(f'prewarm: no MAKEMORE_EVCXR_DIR and no {KERNEL_JSON}: run make setup')
    return pathlib.Path(base)


def warm(slot):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    for source in (DEP, CELL, SLOT_OF_KERNEL):
        nb.cells.append(nbformat.v4.new_code_cell(source))
    os.environ['MAKEMORE_EVCXR_SLOT'] = str(slot)
    client = NotebookClient(nb, kernel_name='rust-makemore', timeout=1200, startup_timeout=120,
                            resources={'metadata': {'path': str(ROOT / 'notebooks')}})
    t = time.time()
    client.execute()
    out = [o for c in nb.cells for o in c.outputs]
    text = lambda cell: ''.join(o.get('text', '') + o.get('data', {}).get('text/plain', '')
                                for o in cell.outputs)
    if any(o.get('output_type') == 'error' for o in out) or '12' not in text(nb.cells[1]):
        sys.exit(f'pre-warm of slot {slot} failed: {out}')
    used = pathlib.Path(text(nb.cells[2]).strip().strip('"'))
    if not used.name.startswith('slot-'):
        sys.exit(f'pre-warm of slot {slot}: the kernel did not say which slot it used: {out}')
    (used / '.warm').touch()
    note = '' if used.name == f'slot-{slot}' else f' ({used.name}: slot-{slot} was busy)'
    print(f'  slot {slot}: warm in {time.time() - t:.0f} s{note}')


def try_lock(path):
    """An fd holding the kernel's lock on `path`, or None when a kernel holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except OSError:
        os.close(fd)
        return None


def copy(src, dst):
    base = evcxr_dir()
    s, d = base / f'slot-{src}', base / f'slot-{dst}'
    if not (s / '.warm').exists():
        sys.exit(f'prewarm --copy: slot {src} is not warm (run: prewarm.py {src})')
    t = time.time()
    fds = [try_lock(s / '.lock'), try_lock(d / '.lock')]
    try:
        if None in fds:
            print(f'  slot {dst}: not copied (slot {src if fds[0] is None else dst} is in use by a '
                  f'kernel); it will be compiled instead')
            return
        for child in d.iterdir():  # all but the lock we hold
            if child.name != '.lock':
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        shutil.copytree(s, d, symlinks=True, dirs_exist_ok=True,
                        ignore=lambda folder, names: {'.lock', '.warm'} if folder == str(s) else set())
    finally:
        for fd in fds:
            if fd is not None:
                os.close(fd)
    print(f'  slot {dst}: copied from slot {src} in {time.time() - t:.0f} s')


if __name__ == '__main__':
    args = sys.argv[1:]
    if args[:1] == ['--copy'] and len(args) == 3:
        copy(int(args[1]), int(args[2]))
    elif args and all(a.isdigit() for a in args):
        for a in args:
            warm(int(a))
    else:
        sys.exit(__doc__)
