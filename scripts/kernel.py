"""The project kernel's command (kernel.json's argv, run by the venv's python): evcxr_jupyter with
a persistent build dir of its own and libtorch on the dynamic loader's path.

Build dirs are slots under $MAKEMORE_EVCXR_DIR (slot-0, slot-1, ...). Each kernel takes the first
free one, from $MAKEMORE_EVCXR_SLOT (default 0), and holds a lock on slot-N/.lock while it runs,
so two notebooks open at once never share evcxr's `src/lib.rs`. Setup pre-warms slots 0 and 1,
so the first `:dep` cell takes seconds.

Only the standard library: no flock(1) (util-linux), no shell. The lock is flock(2) on an fd that
stays open, inherited, in evcxr_jupyter and its children: the slot is ours until they all exit.
The library path is set here and nowhere else: LD_LIBRARY_PATH on Linux, DYLD_LIBRARY_PATH on
macOS, with $LIBTORCH/lib in front. The cdylib evcxr builds for each cell links libtorch but has
no rpath to it (tch's dylibs are `@rpath/libtorch*.dylib` on macOS), so without this the cell
fails to load libtorch. This script runs from the venv's python by absolute path, not through
/usr/bin/env: macOS strips DYLD_* variables when it starts a protected binary, and here the
variable is set after the last of those.
"""
import errno
import fcntl
import os
import pathlib
import shutil
import signal
import sys
import time

import cpu_pins  # scripts/cpu_pins.py, beside this file

ROOT = pathlib.Path(__file__).resolve().parent.parent
SLOTS = 16  # slot-0 .. slot-15


def library_path_var(platform=None):
    """The dynamic loader's search-path variable on `platform` (a sys.platform value)."""
    platform = sys.platform if platform is None else platform
    return 'DYLD_LIBRARY_PATH' if platform == 'darwin' else 'LD_LIBRARY_PATH'


def library_path_env(libtorch, environ, platform=None):
    """{variable: value}: `libtorch`/lib in front of whatever `environ` already has there."""
    var = library_path_var(platform)
    lib = os.path.join(libtorch, 'lib')
    old = environ.get(var, '')
    parts = [lib] + [p for p in old.split(os.pathsep) if p and p != lib]
    return {var: os.pathsep.join(parts)}


def claim_slot(base, first=0):
    """(slot number, dir, fd) of the first free slot from `first` on, its lock held on fd;
    None when all are busy. The fd is inheritable: it must stay open for as long as the slot
    is in use (closing it, or the process exiting, frees the slot)."""
    for slot in range(first, SLOTS):
        d = os.path.join(base, f'slot-{slot}')
        os.makedirs(d, exist_ok=True)
        fd = os.open(os.path.join(d, '.lock'), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                continue
            raise
        os.set_inheritable(fd, True)
        return slot, d, fd
    return None


def warm_from_another(base, slot_dir):
    """A cold slot becomes a copy of a warm one before evcxr starts in it: the compiled tch,
    torch-sys and crate come along (as `prewarm.py --copy` makes setup's slot 1), so a third or
    fourth notebook open at once starts in seconds instead of compiling for minutes. The warm
    slot may be in use by a running kernel: what it writes meanwhile (its cells' own crate) is
    compiled again in the copy if cargo finds it changed, never used half-written. Returns a
    line to print, or None when there was nothing to do or nothing to copy from."""
    if os.path.exists(os.path.join(slot_dir, '.warm')):
        return None
    sources = (os.path.join(base, f'slot-{n}') for n in range(SLOTS))
    src = next((d for d in sources if d != slot_dir and os.path.exists(os.path.join(d, '.warm'))), None)
    if src is None:
        return None  # nothing warm yet (make setup warms slots 0 and 1): evcxr compiles it all
    t = time.time()
    try:
        for name in os.listdir(slot_dir):
            path = os.path.join(slot_dir, name)
            if name != '.lock':
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
        shutil.copytree(src, slot_dir, symlinks=True, dirs_exist_ok=True,
                        ignore=lambda folder, names: {'.lock', '.warm'} if folder == src else set())
        open(os.path.join(slot_dir, '.warm'), 'w').close()
    except OSError as e:  # a file that vanished meanwhile: cargo compiles what is missing
        return f'makemore kernel: copying {src} into {slot_dir} stopped ({e}); it compiles instead'
    return f'makemore kernel: {slot_dir} is a copy of the warm {src} ({time.time() - t:.0f} s)'


def main(args):
    def fail(msg):
        print(f'makemore kernel: {msg}', file=sys.stderr)
        sys.exit(1)

    base = os.environ.get('MAKEMORE_EVCXR_DIR')
    if not base:
        fail('MAKEMORE_EVCXR_DIR is not set (hint: reinstall the kernel with make setup)')
    libtorch = os.environ.get('LIBTORCH')
    if not libtorch or not os.path.isdir(os.path.join(libtorch, 'lib')):
        fail(f'LIBTORCH={libtorch!r} has no lib/ folder (hint: run make setup)')
    try:
        first = int(os.environ.get('MAKEMORE_EVCXR_SLOT', '0'))
    except ValueError:
        fail(f'MAKEMORE_EVCXR_SLOT={os.environ["MAKEMORE_EVCXR_SLOT"]!r} is not a number')
    claimed = claim_slot(base, first)
    if claimed is None:
        fail(f'all {SLOTS} build slots under {base} are busy (hint: close some notebooks)')
    _, slot_dir, _fd = claimed  # _fd stays open through exec
    note = warm_from_another(base, slot_dir)
    if note:
        print(note, file=sys.stderr)
    os.environ['EVCXR_TMPDIR'] = slot_dir
    os.environ.update(library_path_env(libtorch, os.environ))
    cpu_pins.apply()  # one kernel path on every x86-64 CPU: the committed outputs hold
    config = ROOT / 'scripts' / 'evcxr-config'
    if config.is_dir():
        os.environ['EVCXR_CONFIG_DIR'] = str(config)
    # Interrupt: the kernel (our patch to evcxr_jupyter) sends SIGINT to the process that runs
    # the cells, whose loops from the makemore crate take it (src/interrupt.rs installs their
    # handler); until then that process, and evcxr_jupyter itself, ignore it, and the kernel
    # ends the process if nothing took the interrupt within 5 s. Ignoring is inherited through
    # exec and by evcxr's child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.execvp('evcxr_jupyter', ['evcxr_jupyter'] + args)
    except OSError as e:
        fail(f'cannot run evcxr_jupyter: {e.strerror} (hint: run make setup, which builds it)')


if __name__ == '__main__':
    main(sys.argv[1:])
