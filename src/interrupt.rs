//! Interrupt in a notebook (the stop button, Kernel > Interrupt, `i i`) stops the crate's loops
//! at the end of the step they are in; the cell then ends normally and every variable is kept,
//! as Python's `KeyboardInterrupt` leaves them.
//!
//! The project kernel (evcxr_jupyter with `scripts/evcxr_jupyter.patch`) answers Interrupt by
//! sending SIGINT to the process that runs the cells. A loop of this crate takes it: the
//! notebooks' own `for i in steps(max_steps)`, [`Trainer::run`](crate::train::Trainer::run),
//! [`minibatch_sgd`](crate::handmade::part2::minibatch_sgd), the lecture's fits and sampling. Taking it
//! prints one line, `interrupted at step 12,345 of 200,000`, and tells the kernel, which then
//! lets the cell go on. When nothing takes it within 5 s (a long tensor op, a loop of the
//! learner's own, a cell before the crate's first loop), or Interrupt comes twice, the kernel
//! ends that process as stock evcxr does, and the cell says the variables are gone.
//!
//! Only in that kernel's process (`EVCXR_IS_RUNTIME` set, as evcxr sets it) does a loop listen:
//! elsewhere (the `makemore` command, a program, the tests) Ctrl-C stays the program's, and
//! these loops never stop early.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// Interrupts received, counted by the SIGINT handler.
static RECEIVED: AtomicUsize = AtomicUsize::new(0);

/// The line the kernel's patch looks for (and does not show) once a loop has taken Interrupt.
const TAKEN: &str = "MAKEMORE_INTERRUPT_TAKEN";

extern "C" fn on_sigint(_signal: libc::c_int) {
    RECEIVED.fetch_add(1, Ordering::SeqCst); // async-signal-safe: one atomic add
}

/// Installs the SIGINT handler, once, in the kernel's cell process only.
fn listen() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if std::env::var_os("EVCXR_IS_RUNTIME").is_some() {
            let handler: extern "C" fn(libc::c_int) = on_sigint;
            // SAFETY: the handler only adds to an atomic; `signal` keeps SA_RESTART semantics
            // on Linux (glibc) and macOS, so a system call it lands in is resumed.
            unsafe { libc::signal(libc::SIGINT, handler as libc::sighandler_t) };
        }
    });
}

/// Watches for Interrupt from the moment it is made: a loop makes one before its first step and
/// asks [`Watch::stop_at`] before each.
#[derive(Debug)]
pub struct Watch {
    seen: usize,
}

impl Default for Watch {
    fn default() -> Self {
        Self::new()
    }
}

impl Watch {
    /// Starts watching (and, in a notebook, listening for Interrupt).
    pub fn new() -> Watch {
        listen();
        Watch { seen: RECEIVED.load(Ordering::SeqCst) }
    }

    /// True when Interrupt came since the watch began (or since it last said so): the loop stops
    /// before `step` (0-based: the steps done) of `of` (`None`: open-ended). It prints
    /// `interrupted at step {step} of {of}` in the cell and tells the kernel, which lets the
    /// cell go on.
    pub fn stop_at(&mut self, step: usize, of: Option<usize>) -> bool {
        let received = RECEIVED.load(Ordering::SeqCst);
        if received == self.seen {
            return false;
        }
        self.seen = received;
        let of = of.map_or(String::new(), |n| format!(" of {}", thousands(n)));
        // The cell's output: the one place the crate prints, and only after a notebook's
        // Interrupt (no handler is installed anywhere else).
        println!("interrupted at step {}{of}\n{TAKEN}", thousands(step));
        true
    }
}

/// `0..n` for a training loop a notebook writes out (`for i in steps(max_steps) { ... }`), which
/// ends early, after the step it is in, when the learner presses Interrupt.
pub fn steps(n: usize) -> Steps {
    Steps { next: 0, n, watch: Watch::new() }
}

/// The iterator of [`steps`].
#[derive(Debug)]
pub struct Steps {
    next: usize,
    n: usize,
    watch: Watch,
}

impl Iterator for Steps {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.next >= self.n || self.watch.stop_at(self.next, Some(self.n)) {
            return None;
        }
        self.next += 1;
        Some(self.next - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.n - self.next.min(self.n)))
    }
}

/// `12345` as `12,345`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        let got: Vec<String> = [0, 7, 999, 1000, 12_345, 200_000, 1_234_567].map(thousands).into();
        assert_eq!(got, ["0", "7", "999", "1,000", "12,345", "200,000", "1,234,567"]);
    }

    #[test]
    fn steps_counts_and_stops_after_an_interrupt() {
        assert_eq!(steps(4).collect::<Vec<_>>(), [0, 1, 2, 3]);
        let mut it = steps(10);
        assert_eq!((it.next(), it.next()), (Some(0), Some(1)));
        // an interrupt this watch has not seen (the global count is left alone: other tests'
        // loops run meanwhile)
        it.watch.seen = it.watch.seen.wrapping_sub(1);
        assert_eq!(it.next(), None);
        assert!(!it.watch.stop_at(2, Some(10)), "an interrupt is taken once");
        assert_eq!(it.size_hint(), (0, Some(8)));
    }
}
