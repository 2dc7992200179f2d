"""Interrupt keeps the session: the project kernel, through jupyter_client's `interrupt_kernel`.

    python tests/kernel_interrupt.py

What a learner does, in order, on one kernel:
1. Interrupt an idle kernel: nothing happens; the variables are there.
2. Interrupt a training loop written `for i in steps(n)`: it stops after the step it is in, the
   cell prints `interrupted at step ... of ...` and runs on to its end, the reply is `ok`, and the
   next cell reads the loop's variables.
3. Interrupt a loop of the learner's own (no crate loop to take it): after 5 s the kernel ends the
   process that runs the cells, the cell says the variables are gone, and they are.
4. Interrupt twice: the process ends at once, with the same message.
"""
import os
import pathlib
import sys
import time

from jupyter_client.manager import KernelManager

KERNEL = 'rust-makemore'
ROOT = pathlib.Path(__file__).resolve().parent.parent
GRACE = 5  # seconds: INTERRUPT_GRACE in scripts/evcxr_jupyter.patch


class Cell:
    """A cell sent to the kernel: its stream text, errors and reply status, as they arrive."""

    def __init__(self, kc, code):
        self.kc, self.id = kc, kc.execute(code)
        self.text, self.errors, self.status, self.idle = '', [], None, False

    def pump(self, until, timeout):
        """Reads the cell's messages until `until(self)` or `timeout` seconds; True if it came."""
        end = time.time() + timeout
        while not until(self):
            left = end - time.time()
            if left <= 0:
                return False
            try:
                msg = self.kc.get_iopub_msg(timeout=min(left, 1))
            except Exception:  # queue.Empty: look at the time again
                continue
            if msg['parent_header'].get('msg_id') != self.id:
                continue
            kind, content = msg['msg_type'], msg['content']
            if kind == 'stream':
                self.text += content['text']
            elif kind == 'execute_result':
                self.text += content['data'].get('text/plain', '') + '\n'
            elif kind == 'error':
                self.errors.append(f"{content['ename']} {content['evalue']}")
            elif kind == 'status' and content['execution_state'] == 'idle':
                self.idle = True
        return True

    def finish(self, timeout=120):
        ok = self.pump(lambda c: c.idle, timeout)
        reply = self.kc.get_shell_msg(timeout=10)
        while reply['parent_header'].get('msg_id') != self.id:
            reply = self.kc.get_shell_msg(timeout=10)
        self.status = reply['content']['status']
        return ok


def run():
    problems = []

    def check(ok, what, detail=''):
        print(f'{"ok  " if ok else "FAIL"} interrupt: {what}' + (f' ({detail})' if not ok else ''), flush=True)
        if not ok:
            problems.append(what)

    def cell(code, timeout=300):
        c = Cell(kc, code)
        c.finish(timeout)
        return c

    km = KernelManager(kernel_name=KERNEL)
    km.start_kernel(cwd=str(ROOT))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=180)
    try:
        c = cell(f':dep makemore = {{ path = "{ROOT}", default-features = false }}')
        c = cell('use makemore::prelude::*;\nlet kept = 41;\nkept + 1')
        check(c.status == 'ok', 'the crate loads', c.errors)

        km.interrupt_kernel()  # 1. idle
        time.sleep(1)
        c = cell('kept + 1')
        check(c.status == 'ok' and not c.errors, 'an idle kernel interrupted keeps its variables', (c.errors, c.text))

        # 2. a training loop of the notebooks' kind
        c = Cell(kc, 'let mut lossi: Vec<f64> = Vec::new();\n'
                     'for i in steps(1_000_000) {\n'
                     '    if i == 0 { println!("started"); }\n'
                     '    std::thread::sleep(std::time::Duration::from_millis(2)); // a step\n'
                     '    lossi.push(i as f64);\n'
                     '}\n'
                     'println!("after the loop: {} steps", lossi.len());')
        started = c.pump(lambda c: 'started' in c.text, 120)
        time.sleep(0.5)
        t = time.time()
        km.interrupt_kernel()
        c.finish(30)
        took = time.time() - t
        lines = c.text.splitlines()
        stopped = [l for l in lines if l.startswith('interrupted at step ')]
        check(started and c.status == 'ok' and not c.errors, 'the interrupted cell ends normally', (c.status, c.errors, c.text))
        check(len(stopped) == 1 and stopped[0].endswith(' of 1,000,000'), 'it says where the loop stopped', c.text)
        after = [l for l in lines if l.startswith('after the loop: ')]
        n = int(after[0].split()[3]) if after else -1
        check(0 < n < 1_000_000 and stopped and stopped[0].split()[3] == f'{n:,}',
              'the rest of the cell runs, after the step the loop was in', c.text)
        check(took < GRACE, f'it stops at once ({took:.1f} s)', took)
        check('MAKEMORE_INTERRUPT_TAKEN' not in c.text, "the kernel's marker line is not shown", c.text)
        c = cell('(lossi.len(), kept)')
        want = f'({n}, 41)'
        check(c.status == 'ok' and want in c.text, "the next cell reads the loop's variables", (c.text, c.errors))

        # 3. a loop no crate code takes
        c = Cell(kc, 'println!("spinning"); let mut k = 0u64; loop { k = k.wrapping_add(1); std::hint::black_box(k); }')
        c.pump(lambda c: 'spinning' in c.text, 120)
        t = time.time()
        km.interrupt_kernel()
        c.finish(60)
        took = time.time() - t
        check(GRACE - 0.5 < took < GRACE + 10, f'a cell that does not stop is ended after {GRACE} s ({took:.1f} s)', took)
        check('every variable is gone' in c.text, 'the cell says the variables are gone', (c.text, c.errors))
        c = cell('kept')
        check(c.status == 'error', 'and they are', (c.status, c.text))

        # 4. Interrupt twice
        cell('use makemore::prelude::*;')
        c = Cell(kc, 'println!("sleeping"); loop { std::thread::sleep(std::time::Duration::from_millis(10)); }')
        c.pump(lambda c: 'sleeping' in c.text, 120)
        t = time.time()
        km.interrupt_kernel()
        time.sleep(0.3)
        km.interrupt_kernel()
        c.finish(60)
        took = time.time() - t
        check(took < GRACE - 1 and 'Interrupt came twice' in c.text,
              f'a second Interrupt ends the process at once ({took:.1f} s)', (took, c.text))
        c = cell('1 + 1')
        check(c.status == 'ok', 'the kernel runs the next cell', (c.status, c.errors))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return problems


def main():
    t = time.time()
    problems = run()
    print(f'{"FAIL" if problems else "ok  "} interrupt: {len(problems)} problems ({time.time() - t:.0f} s)')
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
