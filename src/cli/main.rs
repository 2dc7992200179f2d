//! makemore: give it words, one per line, it makes more like them; or a text, and it writes more
//! of it. This is `makemore-torch`, the program with libtorch: the `makemore` a user types
//! (src/cli/front.rs) runs `bpe` itself and becomes this program for everything else. It asks and
//! prints; the library decides (`Job`: a training as asked for; `Trainer::run`: makemore.py's
//! loop; `Output`: the work dir). Errors print one line, `error: ... (hint: ...)`, status 1; a
//! mistyped command line gets clap's usage, status 2; Ctrl-C keeps the best model, status 130.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Parser;
use makemore::prelude::*;
use makemore::train::{saved, Start};

mod args;
mod bpe;
mod gpt2;
use args::{Cli, Command, EvalArgs, SampleArgs, TrainArgs};

/// How a command ended: `Ok(true)` when Ctrl-C stopped training (the best model kept).
type Outcome = Result<bool>;

/// Prints to stdout; a closed pipe (`makemore sample | head`) ends the command quietly.
fn print(text: impl std::fmt::Display) -> Outcome {
    write!(std::io::stdout(), "{text}").map_err(Error::Output)?;
    Ok(false)
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Train(args)) => train(&args),
        None => train(&cli.train),
        Some(Command::Sample(args)) => sample(&args),
        Some(Command::Eval(args)) => eval(&args),
        Some(Command::Gpt2 { command }) => {
            gpt2::run(&command, &mut |line| print(format!("{line}\n")).map(|_| ())).map(|()| false)
        }
        Some(Command::Bpe(args)) => {
            bpe::run(&args.command, &mut std::io::stdout()).map(|()| false).map_err(Error::from)
        }
    };
    match result {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(130),
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Error::Bpe(e)) if e.is_closed_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            note(&format!("error: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// glibc hands a large block (a tensor of logits, a gradient) back to the kernel when it is freed
/// and faults fresh pages in at the next step's; kept in the heap, a small GPT-2's step here took
/// two thirds of the time (`make bench-gpt2`). The process is ours: the library sets nothing.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets two of glibc's thresholds, before any thread starts
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// A line on stderr; a closed stderr is not worth failing for.
fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn train(a: &TrainArgs) -> Outcome {
    let job = a.job()?;
    if a.sample_only {
        return print(job.samples(a.num_workers, &a.sampling.prefix)?);
    }
    let mut start = job.start()?;
    start.header().iter().for_each(|line| note(line));
    let stop = Arc::new(AtomicBool::new(false));
    if matches!(start, Start::Loop { .. }) {
        let flag = stop.clone();
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let (steps, every) = start.steps();
    let ended = start.run(&stop, &mut progress(steps, every));
    end_status();
    let ended = ended?;
    if !ended.said.is_empty() {
        note(&ended.said);
    }
    match ended.final_loss {
        Some(loss) => print(format!("final loss: {loss}\n")).map(|_| ended.stopped),
        None => Ok(ended.stopped),
    }
}

/// What every training reports, shown: on a terminal, each step rewrites one status line;
/// piped, one step line in `every` (makemore.py's); every other event prints as a block.
fn progress(steps: Option<usize>, every: usize) -> impl FnMut(&Event) -> std::io::Result<()> {
    let (tty, of) =
        (std::io::stderr().is_terminal(), steps.map_or(String::new(), |n| format!("/{n}")));
    move |event| match event {
        Event::Step { step, loss, seconds } if tty => {
            let (n, ms) = (step + 1, seconds * 1e3);
            write!(std::io::stderr(), "\r\x1b[Kstep {n}{of} | loss {loss:.4} | {ms:.2} ms/step")
        }
        Event::Step { step, .. } if step % every != 0 => Ok(()),
        _ => {
            end_status();
            writeln!(std::io::stdout(), "{event}")
        }
    }
}

/// Clears the status line of [`progress`] on a terminal.
fn end_status() {
    if std::io::stderr().is_terminal() {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
}

fn sample(a: &SampleArgs) -> Outcome {
    let words = a.input.as_deref().map(read_words).transpose()?;
    let (sampling, prefix) = (a.sampling.sampling(), &a.sampling.prefix);
    print(saved::samples(&a.source()?, words.as_deref(), a.seed, &sampling, a.count, prefix)?)
}

fn eval(a: &EvalArgs) -> Outcome {
    let why = "eval scores a saved model";
    let out =
        a.from.output().ok_or(Error::param("model", "none", why, "--model FILE or -o DIR"))?;
    print(format!("mean nll: {}\n", saved::score(&out, &a.input)?))
}
