#!/usr/bin/env bash
# One-command environment for makemore (run by `make setup`; `lab`, `notebooks`, `test` and
# `bench` depend on it). Idempotent: every step checks first and skips what is already done.
#   1. prerequisites   2+3. .venv with pinned torch + JupyterLab, and evcxr_jupyter 0.22.0, at once
#   4. data/names.txt and tinyshakespeare.txt (sha256-checked)   5. the project kernel "Rust (makemore)"   6. pre-warm
# Needs bash (3.2 is enough), python3, cargo and a C++ compiler, nothing from GNU coreutils or
# util-linux: hashing is scripts/sha256.py, the kernel's lock and library path are
# scripts/kernel.py, so it runs on macOS as on Linux (tests/portable.py runs it without them).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
LOGS="$ROOT/target/setup"
EVCXR_VERSION=0.22.0
EVCXR_JUPYTER_SHA256=3ce0d7b3058f68a9673df4f1266b641942fea0ec131881d095306e509a382764  # crates.io's .crate
step() { printf '\033[1m%s\033[0m\n' "$*"; }
t0=$(date +%s)
# `took WHAT START`: one line with the seconds since START, for the steps that did work
# (BENCHMARKS.md quotes them).
took() { echo "setup: $1 took $(( $(date +%s) - $2 )) s"; }
sha256() { python3 "$ROOT/scripts/sha256.py" "$@" | cut -d' ' -f1; }

# evcxr_jupyter's crates.io source (from cargo's download cache when it has it), checked against
# its sha256, patched, compiled into $EVCXR_ROOT.
patched_evcxr() {
  local src="$EVCXR_ROOT.src" crate
  rm -rf "$src" && mkdir -p "$src"
  # (`|| true`: with no registry cache at all, ls fails, and pipefail would end setup here)
  crate="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"evcxr_jupyter-$EVCXR_VERSION.crate" 2>/dev/null | head -n 1 || true)"
  if [ -z "$crate" ]; then
    crate="$src.crate"
    curl -sSfL -o "$crate" "https://static.crates.io/crates/evcxr_jupyter/evcxr_jupyter-$EVCXR_VERSION.crate"
  fi
  [ "$(sha256 "$crate")" = "$EVCXR_JUPYTER_SHA256" ] || { echo "$crate: not the sha256 of crates.io's evcxr_jupyter $EVCXR_VERSION" >&2; return 1; }
  tar xzf "$crate" -C "$src" --strip-components=1
  (cd "$src" && git apply -p1 "$ROOT/scripts/evcxr_jupyter.patch")
  cargo install --locked --path "$src" --root "$EVCXR_ROOT"
}

# 1. Prerequisites: one line each for what is missing.
if [ "$(uname -s)" = Darwin ]; then
  py_hint="brew install python (Apple's python3 is 3.9)"; cxx_hint="xcode-select --install"
else
  py_hint="your OS's python3 package, e.g. apt-get install python3 python3-venv"; cxx_hint="apt-get install g++"
fi
missing=0
need() { echo "missing prerequisite: $1 (install: $2)" >&2; missing=1; }
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  need "python3 >= 3.10" "$py_hint"
elif ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  need "python3 venv module" "apt-get install python3-venv"
fi
command -v cargo >/dev/null || need "cargo (Rust toolchain)" "https://rustup.rs, then open a new shell"
command -v c++ >/dev/null || command -v g++ >/dev/null || command -v clang++ >/dev/null ||
  need "a C++ compiler" "$cxx_hint"
if command -v rustc >/dev/null && [ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust" ]; then
  if command -v rustup >/dev/null; then rustup component add rust-src >/dev/null 2>&1 || true; fi
  [ -d "$(rustc --print sysroot)/lib/rustlib/src/rust" ] || need "rust-src (evcxr needs it)" "rustup component add rust-src"
fi
[ "$missing" = 0 ] || exit 1

# 2+3. The venv (re-installed only when requirements.txt changes) and evcxr_jupyter: this version's
#    crates.io source (checked against its sha256) with our patch (scripts/evcxr_jupyter.patch:
#    a cell's reply waits until every line it printed is sent), compiled into a folder of its own
#    named by the patch, only if it is not there (your own evcxr_jupyter is left alone). When both
#    are needed they run at once: pip mostly downloads and unpacks, cargo mostly compiles.
#    cargo's output goes to a log that is shown if it fails; an interrupted or failed setup stops it.
want="$(sha256 requirements.txt | cut -c1-16)"
need_venv=0
if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$want" ]; then need_venv=1; fi
EVCXR_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/makemore/evcxr_jupyter-$EVCXR_VERSION-$(sha256 scripts/evcxr_jupyter.patch | cut -c1-12)"
bg=""
stop_bg() {
  if [ -n "$bg" ]; then
    kill -TERM -- "-$bg" 2>/dev/null || kill "$bg" 2>/dev/null || true
    echo "setup: stopped the evcxr_jupyter build (make setup starts it again)" >&2
  fi
}
trap stop_bg EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ ! -x "$EVCXR_ROOT/bin/evcxr_jupyter" ]; then
  mkdir -p "$LOGS"
  step "setup: evcxr_jupyter $EVCXR_VERSION with our patch, compiled in the background (5-6 min on 2 cores, once; log: target/setup/evcxr_jupyter.log)"
  set -m  # the build gets a process group of its own, so stop_bg can stop all of it
  (
    c=""
    trap 'if [ -n "$c" ]; then kill "$c" 2>/dev/null; fi; exit 143' TERM
    s=$(date +%s)
    patched_evcxr >"$LOGS/evcxr_jupyter.log" 2>&1 &
    c=$!
    rc=0
    wait "$c" || rc=$?
    echo "$(( $(date +%s) - s ))" >"$LOGS/evcxr_jupyter.seconds"
    exit "$rc"
  ) &
  bg=$!
  set +m
fi
if [ "$need_venv" = 1 ]; then
  step "setup: .venv with $(grep -c '==' requirements.txt) pinned packages (torch is ~2.6 GB: a few minutes)"
  t=$(date +%s)
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$VENV/.requirements"
  took ".venv" "$t"
fi
if [ -n "$bg" ]; then
  rc=0
  wait "$bg" || rc=$?
  bg=""
  if [ "$rc" != 0 ]; then
    echo "setup: building the patched evcxr_jupyter failed (exit $rc). The end of target/setup/evcxr_jupyter.log:" >&2
    tail -n 30 "$LOGS/evcxr_jupyter.log" >&2
    exit 1
  fi
  echo "setup: evcxr_jupyter install took $(cat "$LOGS/evcxr_jupyter.seconds") s"
fi
TORCH="$(cd "$VENV" && ls -d lib/python3*/site-packages/torch | head -n 1)"
[ -e "$VENV/torch" ] || ln -sfn "$TORCH" "$VENV/torch"
LIBTORCH="$(cd "$VENV/torch" && pwd -P)"
# The kernel's PATH starts at the patched evcxr_jupyter.
EVCXR_BIN="$EVCXR_ROOT/bin"

# 4. The data.
bash data/fetch.sh
bash data/fetch.sh tinyshakespeare.txt

# 5. The project kernel, installed into .venv (not the user's kernels). Its build dir is keyed
#    by everything that would make an old build stale. Its command is scripts/kernel.py, run by
#    the venv's python (by absolute path, see there), which also sets the library path.
tch_version="$(awk '/^name = "tch"$/{getline; print $3}' Cargo.lock 2>/dev/null | tr -d '"')"
key="torch=$("$VENV/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null) libtorch=$LIBTORCH tch=${tch_version:-?} $(rustc -V) evcxr=$EVCXR_VERSION"
EVCXR_DIR="$ROOT/target/evcxr/$(echo "$key" | sha256 - | cut -c1-12)"
mkdir -p "$EVCXR_DIR"
echo "$key" > "$EVCXR_DIR/KEY"
"$VENV/bin/python" - "$VENV" "$ROOT" "$EVCXR_BIN" "$LIBTORCH" "$EVCXR_DIR" <<'PY'
import json, os, sys
venv, root, evcxr_bin, libtorch, evcxr_dir = sys.argv[1:]
kdir = os.path.join(venv, 'share', 'jupyter', 'kernels', 'rust-makemore')
spec = {
    'argv': [os.path.join(venv, 'bin', 'python'), os.path.join(root, 'scripts', 'kernel.py'),
             '--control_file', '{connection_file}'],
    'display_name': 'Rust (makemore)',
    'language': 'rust',
    'interrupt_mode': 'message',
    'env': {
        'PATH': os.pathsep.join([os.path.join(venv, 'bin'), evcxr_bin, '${PATH}']),
        'VIRTUAL_ENV': venv,
        'LIBTORCH': libtorch,
        'LIBTORCH_CXX11_ABI': '1',
        'MAKEMORE_EVCXR_DIR': evcxr_dir,
    },
}
text = json.dumps(spec, indent=2) + '\n'
path = os.path.join(kdir, 'kernel.json')
try:
    with open(path) as f:
        same = f.read() == text
except OSError:
    same = False
if not same:
    print(f"\033[1msetup: kernel 'Rust (makemore)' -> {kdir}\033[0m")
    os.makedirs(kdir, exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.replace(path + '.tmp', path)
PY
# JupyterLab: no "news" toast over the notebook.
SDIR="$VENV/share/jupyter/lab/settings"
if [ ! -f "$SDIR/overrides.json" ]; then
  mkdir -p "$SDIR"
  echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}' > "$SDIR/overrides.json"
fi

# 6. Two warm build slots (two notebooks open at once), so a first `:dep` takes seconds: slot 0
#    compiles tch and the crate; slot 1 is a copy of it that cargo takes as fresh (prewarm.py).
export MAKEMORE_EVCXR_DIR="$EVCXR_DIR"
if [ ! -f "$EVCXR_DIR/slot-0/.warm" ]; then
  step "setup: pre-warming the kernel's build slot 0 (compiles tch and the crate: ~2 min, once)"
  t=$(date +%s)
  "$VENV/bin/python" scripts/prewarm.py 0
  took "pre-warm of slot 0" "$t"
fi
if [ ! -f "$EVCXR_DIR/slot-1/.warm" ]; then
  step "setup: build slot 1, a copy of slot 0"
  t=$(date +%s)
  "$VENV/bin/python" scripts/prewarm.py --copy 0 1
  "$VENV/bin/python" scripts/prewarm.py 1
  took "slot 1 (copy and pre-warm)" "$t"
fi
echo "setup: ready ($(( $(date +%s) - t0 )) s)"
