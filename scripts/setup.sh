#!/usr/bin/env bash
# One-command environment for makemore (run by `make setup`; `lab`, `notebooks`, `test` and
# `bench` depend on it). Idempotent: every step checks first and skips what is already done.
#   1. prerequisites   2. .venv with pinned torch + JupyterLab   3. evcxr_jupyter 0.22.0
#   4. data/names.txt (sha256-checked)   5. the project kernel "Rust (makemore)"   6. pre-warm
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
EVCXR_VERSION=0.22.0
step() { printf '\033[1m%s\033[0m\n' "$*"; }
t0=$(date +%s)
# `took WHAT START`: one line with the seconds since START, for the steps that did work
# (BENCHMARKS.md quotes them).
took() { echo "setup: $1 took $(( $(date +%s) - $2 )) s"; }

# 1. Prerequisites: one line each for what is missing.
missing=0
need() { echo "missing prerequisite: $1 (install: $2)" >&2; missing=1; }
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  need "python3 >= 3.10" "your OS's python3 package, e.g. apt-get install python3 python3-venv"
elif ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  need "python3 venv module" "apt-get install python3-venv"
fi
command -v cargo >/dev/null || need "cargo (Rust toolchain)" "https://rustup.rs, then open a new shell"
command -v c++ >/dev/null || command -v g++ >/dev/null || need "a C++ compiler" "apt-get install g++"
command -v flock >/dev/null || need "flock" "apt-get install util-linux"
if command -v rustc >/dev/null && [ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust" ]; then
  if command -v rustup >/dev/null; then rustup component add rust-src >/dev/null 2>&1 || true; fi
  [ -d "$(rustc --print sysroot)/lib/rustlib/src/rust" ] || need "rust-src (evcxr needs it)" "rustup component add rust-src"
fi
[ "$missing" = 0 ] || exit 1

# 2. Python venv with the pinned packages (re-installed only when requirements.txt changes).
want="$(sha256sum requirements.txt | cut -c1-16)"
if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$want" ]; then
  step "setup: .venv with $(grep -c '==' requirements.txt) pinned packages (torch is ~2.6 GB: a few minutes)"
  t=$(date +%s)
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$VENV/.requirements"
  took ".venv" "$t"
fi
TORCH="$(cd "$VENV" && ls -d lib/python3*/site-packages/torch | head -n 1)"
[ -e "$VENV/torch" ] || ln -sfn "$TORCH" "$VENV/torch"
LIBTORCH="$(cd "$VENV/torch" && pwd -P)"

# 3. evcxr_jupyter, compiled from crates.io only if this version is not installed.
if ! cargo install --list 2>/dev/null | grep -q "^evcxr_jupyter v$EVCXR_VERSION:"; then
  step "setup: cargo install evcxr_jupyter $EVCXR_VERSION (10-16 min on 2 cores, once)"
  t=$(date +%s)
  cargo install --locked --version "$EVCXR_VERSION" evcxr_jupyter
  took "evcxr_jupyter install" "$t"
fi
EVCXR_BIN="$(dirname "$(command -v evcxr_jupyter || echo "$HOME/.cargo/bin/evcxr_jupyter")")"

# 4. The data.
bash data/fetch.sh

# 5. The project kernel, installed into .venv (not the user's kernels). Its build dir is keyed
#    by everything that would make an old build stale.
tch_version="$(awk '/^name = "tch"$/{getline; print $3}' Cargo.lock 2>/dev/null | tr -d '"')"
key="torch=$("$VENV/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null) libtorch=$LIBTORCH tch=${tch_version:-?} $(rustc -V) evcxr=$EVCXR_VERSION"
EVCXR_DIR="$ROOT/target/evcxr/$(echo "$key" | sha256sum | cut -c1-12)"
mkdir -p "$EVCXR_DIR"
echo "$key" > "$EVCXR_DIR/KEY"
KDIR="$VENV/share/jupyter/kernels/rust-makemore"
mkdir -p "$KDIR"
kernel_json="$(cat <<JSON
{
  "argv": ["$ROOT/scripts/evcxr-kernel", "--control_file", "{connection_file}"],
  "display_name": "Rust (makemore)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {
    "PATH": "$VENV/bin:$EVCXR_BIN:\${PATH}",
    "VIRTUAL_ENV": "$VENV",
    "LIBTORCH": "$LIBTORCH",
    "LIBTORCH_CXX11_ABI": "1",
    "LD_LIBRARY_PATH": "$LIBTORCH/lib",
    "MAKEMORE_EVCXR_DIR": "$EVCXR_DIR"
  }
}
JSON
)"
if [ "$(cat "$KDIR/kernel.json" 2>/dev/null)" != "$kernel_json" ]; then
  step "setup: kernel 'Rust (makemore)' -> $KDIR"
  echo "$kernel_json" > "$KDIR/kernel.json"
fi
# JupyterLab: no "news" toast over the notebook.
SDIR="$VENV/share/jupyter/lab/settings"
if [ ! -f "$SDIR/overrides.json" ]; then
  mkdir -p "$SDIR"
  echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}' > "$SDIR/overrides.json"
fi

# 6. Pre-warm two build slots (two notebooks open at once), so a first `:dep` takes seconds.
cold=()
for slot in 0 1; do [ -f "$EVCXR_DIR/slot-$slot/.warm" ] || cold+=("$slot"); done
if [ ${#cold[@]} -gt 0 ]; then
  step "setup: pre-warming the kernel's build slots ${cold[*]} (compiles tch and the crate: ~2.5 min each, once)"
  for slot in "${cold[@]}"; do
    t=$(date +%s)
    "$VENV/bin/python" scripts/prewarm.py "$slot"
    touch "$EVCXR_DIR/slot-$slot/.warm"
    took "pre-warm of slot $slot" "$t"
  done
fi
echo "setup: ready ($(( $(date +%s) - t0 )) s)"
