//! makemore: give it words, one per line, it makes more like them; or a text, and it writes more
//! of it. The command line asks and prints; the library decides and does the work (`Job`: a
//! training as asked for; `Trainer::run`: makemore.py's loop; `Output`: the work dir).
//!
//! This is `makemore-torch`, the program with libtorch: the `makemore` a user types
//! (src/cli/front.rs) runs `bpe` itself and becomes this program for everything else.
//!
//! ```text
//! makemore -i data/names.txt -o out                 # makemore.py's way: a Transformer, until Ctrl-C
//! makemore -i data/names.txt -o out --type mlp --max-steps 2000
//! makemore -i data/names.txt -o out --sample-only   # 50 names, in train / in test / new
//! makemore sample --input data/names.txt -n 5       # the lecture: cexze, momasurailezitynn, ...
//! makemore train --input data/names.txt --model neural --out names.mm
//! makemore eval --model names.mm --input data/names.txt
//! makemore --text data/tinyshakespeare.txt -o shakespeare --max-steps 5000   # the GPT lecture's model
//! makemore sample -o shakespeare -n 500                                       # 500 characters of it
//! makemore bpe train -i data/tinyshakespeare.txt --vocab-size 2048 -o shakespeare  # a BPE tokenizer
//! ```
//!
//! Errors print one line, `error: ... (hint: ...)`, and exit with status 1; a mistyped command
//! line gets clap's usage message and status 2; Ctrl-C stops training with the best model kept,
//! status 130.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use makemore::prelude::*;
use makemore::train::run::describe;
use makemore::train::{job, Start};

mod args;
mod bpe;
use args::{Cli, Command, EvalArgs, SampleArgs, TrainArgs};

/// How a command ended: `Ok(true)` when Ctrl-C stopped training (the best model kept).
type Outcome = Result<bool>;

/// Prints to stdout; a closed pipe (`makemore sample | head`) ends the command quietly.
fn print(text: impl std::fmt::Display) -> Outcome {
    write!(std::io::stdout(), "{text}").map_err(Error::Output)?;
    Ok(false)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Train(args)) => train(&args),
        None => train(&cli.train),
        Some(Command::Sample(args)) => sample(&args),
        Some(Command::Eval(args)) => eval(&args),
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

/// A line on stderr; a closed stderr is not worth failing for.
fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn train(a: &TrainArgs) -> Outcome {
    let job = a.job()?;
    if a.sample_only {
        return print(job.samples(a.num_workers, &a.sampling.prefix)?);
    }
    match job.start()? {
        Start::Lecture(lecture) => {
            let bar = Bar::new(Some(lecture.config.steps));
            let fitted = lecture.fit(&mut bar.progress((lecture.config.steps / 20).max(1)));
            bar.finish();
            let (model, loss) = fitted?;
            let (kind, n, path) = (lecture.kind, lecture.words.len(), job.output.model_path());
            note(&format!(
                "saved the {kind} model ({n} words, {}) to {}",
                describe(&model),
                path.display()
            ));
            print(format!("final loss: {loss}\n"))
        }
        Start::Loop { mut trainer, run, read_pt } => {
            if let Some(pt) = read_pt {
                note(&format!("read makemore.py's {}", pt.display()));
            }
            note(&trainer.to_string());
            if run.steps == Some(0) {
                note("--max-steps 0: nothing to train");
                return Ok(false);
            }
            let stop = Arc::new(AtomicBool::new(false));
            let flag = stop.clone();
            let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
            let bar = Bar::new(run.steps);
            let summary = trainer.run(&run, &stop, bar.progress(10));
            bar.finish();
            let summary = summary?;
            if let Some(best) = trainer.best() {
                let stopped = if summary.stopped { "stopped by Ctrl-C; " } else { "" };
                let path = job.output.model_path().display();
                note(&format!("{stopped}best loss {best:.4}: the model is in {path}"));
            }
            Ok(summary.stopped)
        }
    }
}

/// Progress: a bar on a terminal; plain lines when piped.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new(steps: Option<usize>) -> Bar {
        Bar(std::io::stderr().is_terminal().then(|| {
            let (bar, template) = match steps {
                Some(n) => (ProgressBar::new(n as u64), "{bar:25} {pos}/{len} | loss {msg}"),
                None => {
                    (ProgressBar::new_spinner(), "{spinner} step {pos} | loss {msg} | Ctrl-C: stop")
                }
            };
            let style = ProgressStyle::with_template(template);
            bar.set_style(style.unwrap_or_else(|_| ProgressStyle::default_bar()));
            bar
        }))
    }

    /// What every training reports, shown: the bar moves with each step (when piped, one step
    /// line in `every`, makemore.py's), and every other event prints as a block above it.
    fn progress(&self, every: usize) -> impl FnMut(&Event) -> std::io::Result<()> + '_ {
        move |event| match (event, &self.0) {
            (Event::Step { loss, seconds, .. }, Some(bar)) => {
                bar.set_message(format!("{loss:.4} | {:.2} ms/step", seconds * 1e3));
                bar.inc(1);
                Ok(())
            }
            (Event::Step { step, .. }, None) if step % every != 0 => Ok(()),
            (_, Some(bar)) => bar.suspend(|| writeln!(std::io::stdout(), "{event}")),
            (_, None) => writeln!(std::io::stdout(), "{event}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn sample(a: &SampleArgs) -> Outcome {
    let words = a.input.as_deref().map(read_words).transpose()?;
    let (out, sampling) = (a.from.output(), a.sampling.sampling(a.seed));
    let (context, smoothing, prefix) = (a.context, a.smoothing, &a.sampling.prefix);
    print(job::samples(
        out.as_ref(),
        words.as_deref(),
        context,
        smoothing,
        &sampling,
        a.count,
        prefix,
    )?)
}

fn eval(a: &EvalArgs) -> Outcome {
    let why = "eval scores a saved model";
    let out =
        a.from.output().ok_or(Error::param("model", "none", why, "--model FILE or -o DIR"))?;
    print(format!("mean nll: {}\n", job::score(&out, &a.input)?))
}
