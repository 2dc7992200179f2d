"""A machine without GNU tools, simulated: setup and the project kernel must not need them.

    .venv/bin/python tests/portable.py      # make test-portable (make test runs it)

macOS has no flock (util-linux), no sha256sum/sha1sum/md5sum (GNU coreutils), no nproc, timeout,
setsid or stdbuf. This test makes a PATH without them: a folder of symlinks to every other
command on the current PATH (the first of each name, as a PATH lookup finds it). Under that PATH:

  1. `command -v` finds none of the hidden tools;
  2. `bash scripts/setup.sh` passes (on a set-up machine it only runs its checks) and leaves the
     kernelspec as it was; data/fetch.sh copies and sha256-checks names.txt into a scratch
     folder, and refuses a truncated copy with the expected message;
  3. the project kernel ("Rust (makemore)", started as JupyterLab starts it) runs a notebook:
     `:dep` the crate, a sum in libtorch through `makemore::tch`, and a report of the kernel's
     own environment: no hidden tool on its PATH, the loader's library path variable starting
     with $LIBTORCH/lib, a build slot as EVCXR_TMPDIR.

Besides, without any PATH change: scripts/kernel.py's library path variable is DYLD_LIBRARY_PATH
for sys.platform 'darwin' and LD_LIBRARY_PATH for 'linux' (prepended to what is there), its build
slot claim gives two kernels two slots and reuses a freed one; kernel.json's argv starts with the
venv's python by absolute path and its env sets no library path (kernel.py does); build.rs, built
alone with rustc and run as cargo would for target_os linux and macos, gives the rpath to
libtorch; the shell scripts that setup runs use none of a list of GNU-only commands and options.
What it cannot simulate: macOS itself (dyld, SIP, BSD userland flags it does not list, clang);
see the README's "macOS and Windows".
"""
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNEL = 'rust-makemore'
KERNEL_JSON = ROOT / '.venv' / 'share' / 'jupyter' / 'kernels' / KERNEL / 'kernel.json'
# GNU coreutils / util-linux commands a Mac does not have.
HIDDEN = ['flock', 'sha256sum', 'sha1sum', 'md5sum', 'sha224sum', 'sha384sum', 'sha512sum',
          'b2sum', 'nproc', 'timeout', 'setsid', 'stdbuf']
# The shell that setup runs, and GNU-only usage that must not come back into it.
SCRIPTS = ['scripts/setup.sh', 'data/fetch.sh', 'tests/browser/run.sh']
GNU_ONLY = [
    (r'\b(' + '|'.join(HIDDEN) + r')\b', 'a command macOS does not have'),
    (r'\bsed\s+(-[a-zA-Z]*\s+)*-i\b', "sed -i (BSD sed needs -i ''; write a new file instead)"),
    (r'\breadlink\s+-f\b', 'readlink -f (not before macOS 12.3)'),
    (r'\bgrep\s+(-\w+\s+)*-\w*P', 'grep -P (BSD grep has no Perl regexes)'),
    (r'%N', 'date +%N (BSD date has no nanoseconds)'),
    (r'\bstat\s+-c\b', 'stat -c (BSD stat is stat -f)'),
    (r'-printf\b', 'find -printf'),
    (r'\bxargs\s+(-\w+\s+)*-r\b', 'xargs -r'),
    (r'\bseq\b', 'seq (use a shell loop)'),
    (r'/proc/', '/proc (Linux only)'),
    (r'\bcp\s+.*--', 'a GNU long option of cp'),
    (r'\bmktemp\s+.*--', 'a GNU long option of mktemp'),
]
CODE = """let t = makemore::tch::Tensor::from_slice(&[1i64, 2, 3]);
t.sum(makemore::tch::Kind::Int64).int64_value(&[])"""
ENV_REPORT = """for k in ["PATH", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "EVCXR_TMPDIR", "LIBTORCH"] {
    println!("{k}={}", std::env::var(k).unwrap_or_default());
}"""

checked = []


def ok(what):
    checked.append(what)
    print(f'portable: ok   {what}', flush=True)


def fail(what, detail=''):
    print(f'portable: FAIL {what}' + (f'\n{detail}' if detail else ''), flush=True)
    sys.exit(1)


def load_kernel_py():
    sys.path.insert(0, str(ROOT / 'scripts'))  # its cpu_pins, as when it runs from there
    spec = importlib.util.spec_from_file_location('makemore_kernel', ROOT / 'scripts' / 'kernel.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def unit_checks():
    k = load_kernel_py()
    if k.library_path_var('darwin') != 'DYLD_LIBRARY_PATH' or k.library_path_var('linux') != 'LD_LIBRARY_PATH':
        fail('kernel.py library_path_var', f"darwin -> {k.library_path_var('darwin')}, "
                                            f"linux -> {k.library_path_var('linux')}")
    got = k.library_path_env('/t', {'DYLD_LIBRARY_PATH': '/a:/t/lib'}, 'darwin')
    if got != {'DYLD_LIBRARY_PATH': '/t/lib:/a'}:
        fail('kernel.py library_path_env on darwin', str(got))
    got = k.library_path_env('/t', {}, 'linux')
    if got != {'LD_LIBRARY_PATH': '/t/lib'}:
        fail('kernel.py library_path_env on linux', str(got))
    ok("kernel.py: 'darwin' -> DYLD_LIBRARY_PATH, 'linux' -> LD_LIBRARY_PATH, $LIBTORCH/lib first")

    pins = k.cpu_pins
    x86, arm = pins.pins('x86_64'), pins.pins('arm64')
    if x86 != {'ATEN_CPU_CAPABILITY': 'avx2', 'MKL_CBWR': 'AVX2', 'OMP_NUM_THREADS': '2'} or arm != {'OMP_NUM_THREADS': '2'}:
        fail('cpu_pins.pins', f'x86_64 -> {x86}, arm64 -> {arm}')
    env = {'ATEN_CPU_CAPABILITY': 'avx512'}
    pins.apply(env)
    if env.get('ATEN_CPU_CAPABILITY') != 'avx512' or env.get('OMP_NUM_THREADS') != '2':
        fail('cpu_pins.apply', f'{env}: a value already set must win, the others be set')
    ok('cpu_pins: the AVX2 path and 2 threads on x86_64, the threads alone on arm64, a value already set wins')

    with tempfile.TemporaryDirectory() as tmp:
        a, b = k.claim_slot(tmp), k.claim_slot(tmp)
        if (a[0], b[0]) != (0, 1) or not os.get_inheritable(a[2]):
            fail('kernel.py claim_slot', f'two claims got slots {a[0]}, {b[0]} (want 0, 1)')
        probe = subprocess.run([sys.executable, '-c', 'import fcntl, os, sys\n'
                                'fd = os.open(sys.argv[1], os.O_WRONLY)\n'
                                'try: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n'
                                'except OSError: sys.exit(3)', os.path.join(a[1], '.lock')])
        if probe.returncode != 3:
            fail('kernel.py claim_slot', 'another process could lock a claimed slot')
        os.close(a[2])
        c = k.claim_slot(tmp)
        if c[0] != 0:
            fail('kernel.py claim_slot', f'a freed slot 0 was not reused (got {c[0]})')
        last = k.claim_slot(tmp, k.SLOTS - 1)
        if last is None or k.claim_slot(tmp, k.SLOTS - 1) is not None:
            fail('kernel.py claim_slot', 'no None when every slot from the first one asked is busy')
    ok('kernel.py: two kernels get two slots, another process cannot take a held one, a freed one is reused')

    with tempfile.TemporaryDirectory() as tmp:
        warm, cold = os.path.join(tmp, 'slot-0'), os.path.join(tmp, 'slot-2')
        os.makedirs(os.path.join(warm, 'target', 'release'))
        for name, text in (('.warm', ''), ('.lock', 'theirs'), ('target/release/libtch.rlib', 'compiled')):
            pathlib.Path(warm, name).write_text(text)
        _, slot, fd = k.claim_slot(tmp, 2)
        pathlib.Path(slot, 'stale.rs').write_text('old')
        note = k.warm_from_another(tmp, slot)
        copied = pathlib.Path(slot, 'target/release/libtch.rlib')
        if slot != cold or not note or not copied.exists() or copied.read_text() != 'compiled' \
                or pathlib.Path(slot, 'stale.rs').exists() or pathlib.Path(slot, '.lock').read_text() == 'theirs':
            fail('kernel.py warm_from_another', f'{note}: the copy of a warm slot is not whole, or kept '
                 f'a stale file, or took the other slot\'s lock')
        if k.warm_from_another(tmp, slot) is not None:
            fail('kernel.py warm_from_another', 'a warm slot was copied again')
        os.close(fd)
        empty = os.path.join(tmp, 'nothing-warm')
        os.makedirs(os.path.join(empty, 'slot-0'))
        if k.warm_from_another(empty, os.path.join(empty, 'slot-0')) is not None:
            fail('kernel.py warm_from_another', 'copied with no warm slot to copy from')
    ok('kernel.py: a cold slot starts as a copy of a warm one (its compiled crates), once; none without a warm one')

    import hashlib
    data = ROOT / 'data' / 'names.txt.sha256'
    out = subprocess.run([sys.executable, ROOT / 'scripts' / 'sha256.py', data], capture_output=True, text=True)
    if out.stdout.split()[0] != hashlib.sha256(data.read_bytes()).hexdigest():
        fail('scripts/sha256.py', out.stdout + out.stderr)
    ok('scripts/sha256.py hashes like hashlib')

    spec = json.loads(KERNEL_JSON.read_text())
    if spec['argv'][:2] != [str(ROOT / '.venv' / 'bin' / 'python'), str(ROOT / 'scripts' / 'kernel.py')]:
        fail('kernel.json argv', f"{spec['argv']} (want the venv's python, by absolute path, and scripts/kernel.py)")
    extra = {'LD_LIBRARY_PATH', 'DYLD_LIBRARY_PATH'} & set(spec['env'])
    if extra:
        fail('kernel.json env', f'sets {extra}: the library path is kernel.py\'s to set')
    ok("kernel.json: argv is the venv's python + scripts/kernel.py; no library path in its env")

    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, 'build-script')
        p = subprocess.run(['rustc', '--edition', '2021', '-o', exe, ROOT / 'build.rs'], capture_output=True, text=True)
        if p.returncode != 0:
            fail('rustc build.rs', p.stderr)
        for os_name in ('linux', 'macos'):
            env = dict(os.environ, CARGO_CFG_TARGET_OS=os_name, DEP_TCH_LIBTORCH_LIB='/libtorch/lib')
            env.pop('MAKEMORE_CUDA', None)
            out = subprocess.run([exe], env=env, capture_output=True, text=True).stdout
            if 'cargo:rustc-link-arg=-Wl,-rpath,/libtorch/lib' not in out.splitlines():
                fail(f'build.rs for target_os {os_name}', f'no rpath to libtorch in:\n{out}')
    ok('build.rs: an rpath to libtorch for target_os linux and macos')

    spec = importlib.util.spec_from_file_location('makemore_lab', ROOT / 'scripts' / 'lab.py')
    lab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab)
    with tempfile.TemporaryDirectory() as tmp:
        nbs = pathlib.Path(tmp)
        (nbs / '01_b.ipynb').touch()
        first = lab.first_notebook(nbs)
        (nbs / '00_a.ipynb').touch()
        if (first, lab.first_notebook(nbs)) != ('01_b.ipynb', '00_a.ipynb'):
            fail('lab.py first_notebook', f'{first}, {lab.first_notebook(nbs)}')
    if '--LabApp.default_url=/lab/tree/00_a.ipynb' not in lab.command(8888, '00_a.ipynb', False):
        fail('lab.py command', str(lab.command(8888, '00_a.ipynb', False)))
    ok('lab.py: JupyterLab opens 00_* when there is one, else 01_*')

    problems = []
    for rel in SCRIPTS:
        for n, line in enumerate((ROOT / rel).read_text().splitlines(), 1):
            code = re.sub(r'(^|\s)#.*', '', line)  # without its comment
            for pattern, why in GNU_ONLY:
                if re.search(pattern, code):
                    problems.append(f'{rel}:{n}: {why}: {line.strip()}')
    if problems:
        fail('GNU-only usage in the shell scripts', '\n'.join(problems))
    ok(f"no GNU-only commands or options in {', '.join(SCRIPTS)} ({len(GNU_ONLY)} patterns)")


def restricted_path(folder):
    """A folder of symlinks to every command on PATH but HIDDEN, first match of each name."""
    seen = set(HIDDEN)
    for d in os.environ.get('PATH', '').split(os.pathsep):
        try:
            names = sorted(os.listdir(d or '.'))
        except OSError:
            continue
        for name in names:
            full = os.path.join(d, name)
            if name in seen or not os.path.isfile(full) or not os.access(full, os.X_OK):
                continue
            seen.add(name)
            os.symlink(os.path.abspath(full), os.path.join(folder, name))
    return len(seen) - len(HIDDEN)


def run(args, env, timeout=600, cwd=ROOT):
    t = time.time()
    p = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return p, time.time() - t


def shell_checks(env, scratch):
    for tool in HIDDEN:
        p, _ = run(['sh', '-c', f'command -v {tool}'], env)
        if p.returncode == 0:
            fail(f'{tool} is still found under the restricted PATH', p.stdout)
    ok(f'hidden from PATH: {" ".join(HIDDEN)}')

    before = KERNEL_JSON.read_text()
    p, secs = run(['bash', 'scripts/setup.sh'], env)
    if p.returncode != 0 or 'setup: ready' not in p.stdout:
        fail('bash scripts/setup.sh without the hidden tools', p.stdout[-3000:] + p.stderr[-3000:])
    if KERNEL_JSON.read_text() != before:
        fail('setup.sh under another PATH rewrote kernel.json', KERNEL_JSON.read_text())
    did = [l for l in p.stdout.splitlines() if ' took ' in l]
    ok(f'bash scripts/setup.sh passes in {secs:.0f} s' + (f" ({'; '.join(did)})" if did else ' (checks only)')
       + ', kernel.json unchanged')

    p, _ = run(['bash', 'data/fetch.sh'], env)
    if p.returncode != 0:
        fail('bash data/fetch.sh', p.stdout + p.stderr)
    # fetch.sh in a scratch copy of the repo, so that it copies and hashes a file
    for rel in ('data/fetch.sh', 'data/names.txt.sha256', 'scripts/sha256.py'):
        (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, scratch / rel)
    fenv = dict(env, MAKEMORE_NAMES=str(ROOT / 'data' / 'names.txt'))
    p, _ = run(['bash', 'data/fetch.sh'], fenv, cwd=scratch)
    if p.returncode != 0 or 'sha256 ok' not in p.stdout or not (scratch / 'data' / 'names.txt').exists():
        fail('data/fetch.sh copying names.txt into an empty data/', p.stdout + p.stderr)
    (scratch / 'data' / 'names.txt').unlink()
    short = scratch / 'short.txt'
    short.write_bytes((ROOT / 'data' / 'names.txt').read_bytes()[:1000])
    p, _ = run(['bash', 'data/fetch.sh'], dict(env, MAKEMORE_NAMES=str(short)), cwd=scratch)
    if p.returncode == 0 or not re.search(r'has sha256 [0-9a-f]{64}, expected', p.stderr):
        fail('data/fetch.sh should refuse a truncated names.txt', p.stdout + p.stderr)
    ok('bash data/fetch.sh: names.txt ok; a scratch fetch copies and checks it; a truncated copy is refused')


def kernel_checks(env):
    os.environ['PATH'] = env['PATH']  # nbclient starts the kernel with this env + kernel.json's
    os.environ.pop('MAKEMORE_EVCXR_SLOT', None)
    nb = nbformat.v4.new_notebook()
    for src in (':dep makemore = { path = "..", default-features = false }', CODE, ENV_REPORT):
        nb.cells.append(nbformat.v4.new_code_cell(src))
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=600, startup_timeout=120, allow_errors=True,
                            resources={'metadata': {'path': str(ROOT / 'notebooks')}})
    t = time.time()
    client.execute()
    secs = time.time() - t

    def text(cell):
        return ''.join(o.get('text', '') + o.get('data', {}).get('text/plain', '') for o in cell.outputs)

    errors = [o for c in nb.cells for o in c.outputs
              if o.output_type == 'error' or (o.output_type == 'stream' and 'panicked at' in o.text)]
    if errors or text(nb.cells[1]).strip() != '6':
        shown = []
        for i, cell in enumerate(nb.cells):
            for o in cell.outputs:
                body = '\n'.join(o.get('traceback', [])) if o.output_type == 'error' else text(cell)
                shown.append(f'cell {i} ({cell.source.splitlines()[0]}): {o.output_type}: '
                             + re.sub(r'\x1b\[[0-9;]*m', '', body)[:1500])
        fail('the notebook on the project kernel (did the crate compile?)', '\n'.join(shown))
    ok(f'project kernel under the restricted PATH: `:dep makemore`, a libtorch sum = 6, in {secs:.0f} s')

    report = dict(line.split('=', 1) for line in text(nb.cells[2]).splitlines() if '=' in line)
    found = [f'{d}/{tool}' for d in report.get('PATH', '').split(os.pathsep) if d
             for tool in HIDDEN if os.path.exists(os.path.join(d, tool))]
    if found:
        fail("the kernel's PATH reaches hidden tools", ' '.join(found))
    var = load_kernel_py().library_path_var()
    lib = os.path.join(report.get('LIBTORCH', '?'), 'lib')
    if report.get(var, '').split(os.pathsep)[0] != lib:
        fail(f"the kernel's {var}", f'{report.get(var)!r} does not start with {lib}')
    slot = pathlib.Path(report.get('EVCXR_TMPDIR', ''))
    if not slot.name.startswith('slot-') or not slot.is_dir():
        fail("the kernel's EVCXR_TMPDIR", str(slot))
    ok(f"the kernel's own env: no hidden tool on PATH, {var} starts with $LIBTORCH/lib, "
       f'build dir {slot.name}')


def main():
    if not KERNEL_JSON.exists():
        fail(f'no {KERNEL_JSON}', 'run make setup first')
    t = time.time()
    unit_checks()
    with tempfile.TemporaryDirectory(prefix='makemore-portable-') as tmp:
        bin_dir = pathlib.Path(tmp) / 'bin'
        bin_dir.mkdir()
        n = restricted_path(bin_dir)
        env = dict(os.environ, PATH=str(bin_dir))
        env.pop('MAKEMORE_EVCXR_SLOT', None)
        print(f'portable: PATH = {bin_dir} ({n} commands linked from the current PATH, '
              f'without {len(HIDDEN)})', flush=True)
        scratch = pathlib.Path(tmp) / 'repo'
        shell_checks(env, scratch)
        kernel_checks(env)
    print(f'portable: all {len(checked)} checks passed in {time.time() - t:.0f} s')


if __name__ == '__main__':
    main()
