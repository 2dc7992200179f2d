"""The one kernel path: the environment that makes every x86-64 CPU with AVX2 compute libtorch's
ops bit for bit alike, so the committed notebook outputs and reference values hold on any of them.

    python3 scripts/cpu_pins.py      # prints KEY=VALUE lines (the Makefile exports them)

Used by the Makefile (the Python references, `cargo test`, the notebooks' checks) and by the
project kernel (scripts/kernel.py). A variable already set in the environment wins, so
`ATEN_CPU_CAPABILITY=avx512 make ...` measures another path. The `makemore` command itself is not
pinned: a user's training takes whatever is fastest on their machine.

Why each (measured 2026-12-07, torch 2.13.0; ../shared/tools/cpu_fingerprint.py):
- ATEN_CPU_CAPABILITY=avx2: ATen's vector kernels (softmax, log_softmax, tanh, exp, ...) have an
  AVX-512 build that rounds differently; an AVX-512 machine picks it by itself. With this, an
  AMD EPYC with AVX-512 prints the hashes of one without it.
- MKL_CBWR=AVX2: MKL's matmuls take one code path (its "conditional numerical reproducibility"),
  not the widest the CPU has (Intel's AVX-512 kernels otherwise).
- OMP_NUM_THREADS=2: a whole-tensor sum is split among torch's threads, so its last bit depends
  on their number (1, 2, 3 and 4 threads give four sums of the same 228,146 x 27 floats); 2 is
  what CI's machines have and what the references set.
Not everything follows: on the AVX-512 machine, pinned, part 5's final losses and part 2's
diverging learning-rate sweep still ended a float32 step or more from an AVX2 machine's (MKL_CBWR's
other branches, STRICT and ONEDNN_MAX_CPU_ISA changed nothing there; COMPATIBLE changed the
sweep's end but was not tried on another machine). On arm64 there is no AVX2 path and no MKL: only the thread count is pinned there, and float32
results differ in their last bits from x86's (tests/notebooks.py's CPU_DEPENDENT says which
committed outputs that shows in).
"""
import os
import platform

X86 = ('x86_64', 'amd64', 'i686', 'i386')


def pins(machine=None):
    """{variable: value} for a CPU of `machine` (platform.machine(); this one's by default)."""
    machine = (machine or platform.machine()).lower()
    found = {'OMP_NUM_THREADS': '2'}
    if machine in X86:
        found.update(ATEN_CPU_CAPABILITY='avx2', MKL_CBWR='AVX2')
    return found


def apply(environ=os.environ):
    """Sets the pins in `environ` where it has no value of its own."""
    for key, value in pins().items():
        environ.setdefault(key, value)


if __name__ == '__main__':
    for key, value in pins().items():
        print(f'{key}={os.environ.get(key, value)}')
