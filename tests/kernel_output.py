"""Every line a cell prints reaches that cell, before the kernel says `idle`, on a loaded machine.

    python tests/kernel_output.py [--cells N] [--load N] [--evcxr-bin DIR]

Runs N cells (default 60) on the project kernel through jupyter_client while busy loops (default
3 per core) load the machine. Each cell works a little, then prints lines to stdout and one to
stderr (which the prelude sends to stdout), so its last line is printed just before it ends. For
each cell, the stream messages that arrive before its `idle` must be exactly its lines, in order;
after the last cell, nothing may arrive late. The stock evcxr_jupyter sends the reply and `idle`
while its output thread may still be sending (evcxr#353): lines arrive after `idle`, which
nbclient and JupyterLab drop or give to the next cell (here, the stock 0.22.0 lost one line in
60 cells with 6 busy loops). The kernel `make setup` builds has our patch
(scripts/evcxr_jupyter.patch): the reply waits until the output thread has sent all it has.
`--evcxr-bin DIR` runs the evcxr_jupyter in DIR instead (e.g. a stock build, to see the failure).
"""
import argparse
import multiprocessing
import os
import queue
import sys
import time

from jupyter_client.manager import KernelManager

KERNEL = 'rust-makemore'
VALUE = sum(k * k for k in range(4_000_000)) % 2**64 % 7  # what each cell computes


def busy():
    while True:
        pass


def cell_code(i, lines):
    """A cell that works a few ms, then prints `lines` lines to stdout and one to stderr."""
    return (f'let mut acc = 0u64; for k in 0..4_000_000u64 {{ acc = acc.wrapping_add(k * k); }}\n'
            f'for j in 0..{lines} {{ println!("cell {i} line {{j}} {{}}", acc % 7); }}\n'
            f'eprintln!("cell {i} done");')


def run(km_bin, cells, lines, load):
    km = KernelManager(kernel_name=KERNEL)
    if km_bin:
        km.kernel_spec.env['PATH'] = km_bin + os.pathsep + km.kernel_spec.env.get('PATH', '${PATH}')
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=180)
    problems, late = [], []
    try:
        # warm up: the first cell compiles evcxr's own crate
        kc.execute_interactive('let warm = 1;', timeout=300, output_hook=lambda m: None)
        busy_loops = [multiprocessing.Process(target=busy, daemon=True) for _ in range(load)]
        for p in busy_loops:
            p.start()
        try:
            for i in range(cells):
                got = {'stdout': '', 'stderr': ''}
                msg_id = kc.execute(cell_code(i, lines))
                while True:
                    msg = kc.get_iopub_msg(timeout=300)
                    parent = msg['parent_header'].get('msg_id')
                    kind = msg['msg_type']
                    if parent != msg_id:
                        if kind == 'stream':
                            late.append((parent, msg['content']['text']))
                        continue
                    if kind == 'stream':
                        got[msg['content']['name']] += msg['content']['text']
                    elif kind == 'error':
                        problems.append(f'cell {i}: error {msg["content"]["evalue"]}')
                    elif kind == 'status' and msg['content']['execution_state'] == 'idle':
                        break
                # the prelude sends a cell's stderr to its stdout: one stream, in order
                out = (got['stdout'] + got['stderr']).splitlines()
                want = [f'cell {i} line {j} {VALUE}' for j in range(lines)] + [f'cell {i} done']
                if out != want:
                    problems.append(f'cell {i}: before idle it showed {out!r}')
        finally:
            for p in busy_loops:
                p.terminate()
        t = time.time()
        while time.time() - t < 2:  # anything still coming is late
            try:
                msg = kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                continue
            if msg['msg_type'] == 'stream':
                late.append((msg['parent_header'].get('msg_id'), msg['content']['text']))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    problems += [f'a line after its cell ended: {text!r}' for _, text in late]
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cells', type=int, default=60)
    ap.add_argument('--lines', type=int, default=3)
    ap.add_argument('--load', type=int, default=3 * (os.cpu_count() or 2), help='busy loops (default: 3 per core)')
    ap.add_argument('--evcxr-bin', help='a folder with another evcxr_jupyter to run')
    args = ap.parse_args()
    t = time.time()
    problems = run(args.evcxr_bin, args.cells, args.lines, args.load)
    for p in problems:
        print(f'FAIL kernel output: {p}')
    n = args.cells * (args.lines + 1)
    print(f'{"FAIL" if problems else "ok  "} kernel output: {args.cells} cells, {n} lines on a loaded '
          f'machine, {len(problems)} lost or misplaced ({time.time() - t:.0f} s)')
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
