//! makemore: give it words, one per line, it makes more like them; or a text, and it writes more
//! of it. The command line asks and prints; the library does the work (`Trainer::run` is
//! makemore.py's training loop, `Trainer::on_text` the GPT lecture's start, `Output` the work dir).
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
//! ```
//!
//! Errors print one line, `error: ... (hint: ...)`, and exit with status 1; a mistyped command
//! line gets clap's usage message and status 2; Ctrl-C stops training with the best model kept,
//! status 130.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use makemore::prelude::*;
use makemore::train::fit_lecture;
use makemore::train::run::describe;

mod args;
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
    };
    match result {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(130),
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
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
    let (out, text) = (a.output(), a.text.is_some());
    let kind = match (a.kind, text) {
        (Some(kind), _) => kind,
        (None, true) => TextOptions::default().kind,
        (None, false) => ModelType::Transformer,
    };
    let defaults = if text { TrainOptions::text() } else { TrainOptions::default() };
    let input = a.input.clone().unwrap_or("names.txt".into());
    if a.sample_only {
        let saved = match text {
            false => out.makemore_py(kind, &a.config(kind), &input)?,
            true => None,
        };
        let checkpoint = match saved {
            Some(model) => Checkpoint { model, state: None },
            None => out.load(Device::Cpu, Expect { kind: a.kind, text: Some(text) })?,
        };
        let saved = checkpoint.model.kind();
        let seed = a.seed.unwrap_or(if text { defaults.seed } else { saved.seed() });
        let words = a.input.as_deref().map(read_words).transpose()?;
        let n = if text { a.num_workers } else { Some(50) };
        let (sampling, prefix) = (a.sampling.sampling(seed)?, &a.sampling.prefix);
        let split_seed = saved.is_makemore().then_some(seed);
        return print(checkpoint.samples(&sampling, n, prefix, words.as_deref(), split_seed)?);
    }
    let seed = a.seed.unwrap_or(if text { defaults.seed } else { kind.seed() });
    let sampling = a.sampling.sampling(seed)?;
    out.check_writable(a.resume, a.overwrite)?;
    if !kind.is_makemore() && !text {
        return match a.resume {
            true => Err(Error::param(
                "--resume",
                kind,
                "the lecture's models train in one go",
                "train it again, or resume one of makemore.py's models",
            )),
            false => train_lecture(a, kind, &read_words(&input)?, &out),
        };
    }
    let opts = a.options(TrainOptions { seed, ..defaults })?;
    if let Some(threads) = a.threads {
        makemore::tch::set_num_threads(threads);
    }
    let expect = Expect { kind: a.kind, text: None }; // the Trainer says why a model of words is not one of a text
    let (trainer, file, run) = match &a.text {
        Some(file) => {
            let text = read_text(file)?;
            let trainer = match a.resume {
                true => {
                    let checkpoint = out.load(opts.device, expect)?;
                    Trainer::resume_text(checkpoint, &text, &opts, a.eval_batches)?
                }
                false => {
                    let block = a.block_size.unwrap_or(TextOptions::default().block_size);
                    let cfg = a.config(kind);
                    Trainer::on_text(&text, kind, &cfg, &opts, block, a.eval_batches)?
                }
            };
            (trainer, file, RunOptions { sample_every: a.eval_every, ..RunOptions::default() })
        }
        None => {
            let words = read_words(&input)?;
            let pt = if a.resume { out.makemore_py(kind, &a.config(kind), &input)? } else { None };
            let mut trainer = match (a.resume, &pt) {
                (true, None) => Trainer::resume(out.load(opts.device, expect)?, &words, &opts)?,
                _ => Trainer::new(&words, kind, &a.config(kind), &opts)?,
            };
            if let Some(model) = &pt {
                trainer.set_weights(model)?; // then a fresh optimizer and step 0, as makemore.py resumes
                note(&format!("read makemore.py's {}", a.work_dir.join("model.pt").display()));
            }
            (trainer, &input, RunOptions::default())
        }
    };
    run_training(a, trainer, file, &out, RunOptions { sampling, ..run })
}

/// The lecture's models: counts, or the one-layer net by full-batch gradient descent.
fn train_lecture(a: &TrainArgs, kind: ModelType, words: &[String], out: &Output) -> Outcome {
    let steps = a.max_steps.unwrap_or(TrainConfig::default().steps as i64);
    let steps = usize::try_from(steps).map_err(|_| {
        let why = "the lecture's net trains a given number of steps, not until Ctrl-C";
        Error::param("steps", steps, why, "pass a number >= 0, e.g. the lecture's 100")
    })?;
    let method = a.method.unwrap_or(TrainConfig::default().method);
    let lr = a.learning_rate.unwrap_or(kind.learning_rate());
    let cfg = TrainConfig { steps, lr, reg: a.reg, method };
    if let Some(threads) = a.threads.or(method.threads()) {
        makemore::tch::set_num_threads(threads);
    }
    let bar = Bar::new(Some(steps));
    let seed = a.seed.unwrap_or(kind.seed());
    let mut progress = bar.progress((steps / 20).max(1));
    let fitted = fit_lecture(kind, words, a.context, a.smoothing, &cfg, seed, &mut progress);
    bar.finish();
    let (model, loss) = fitted?;
    out.create()?;
    model.save(out.model_path())?;
    let path = out.model_path().display();
    note(&format!(
        "saved the {kind} model ({} words, {}) to {path}",
        words.len(),
        describe(&model)
    ));
    print(format!("final loss: {loss}\n"))
}

/// The training loop with a progress bar, the best model saved, the loss log; Ctrl-C stops it.
fn run_training(
    a: &TrainArgs,
    mut trainer: Trainer,
    input: &Path,
    out: &Output,
    run: RunOptions,
) -> Outcome {
    let kind = trainer.model().kind();
    note(&trainer.to_string());
    let steps = a.max_steps.and_then(|n| usize::try_from(n).ok());
    if steps == Some(0) {
        note("--max-steps 0: nothing to train");
        return Ok(false);
    }
    let run = RunOptions {
        steps,
        eval_every: a.eval_every,
        save_to: Some(out.model_path().to_path_buf()),
        log_dir: out.log_dir().map(Path::to_path_buf),
        title: format!("{kind} on {}", input.file_name().unwrap_or_default().to_string_lossy()),
        ..run
    };
    out.create()?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let bar = Bar::new(steps);
    let summary = trainer.run(&run, &stop, bar.progress(10));
    bar.finish();
    let summary = summary?;
    if let Some(best) = trainer.best() {
        let stopped = if summary.stopped { "stopped by Ctrl-C; " } else { "" };
        let path = out.model_path().display();
        note(&format!("{stopped}best loss {best:.4}: the model is in {path}"));
    }
    Ok(summary.stopped)
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
    let sampling = a.sampling.sampling(a.seed)?;
    let checkpoint = match a.from.output() {
        Some(out) if a.smoothing.is_none() && a.context.is_none() => {
            out.load(Device::Cpu, Expect::default())?
        }
        Some(_) => {
            return Err(Error::param(
                "--smoothing and --context",
                "given",
                "they make a count model from --input alone; a saved model has its own",
                "leave them out",
            ))
        }
        None => {
            // a count model trained on the spot
            let words = words.as_deref().unwrap_or_default();
            let (context, smoothing) = (
                a.context.unwrap_or(CountModel::CONTEXT),
                a.smoothing.unwrap_or(CountModel::SMOOTHING),
            );
            let model = CountModel::fit(words, &Vocab::from_words(words)?, context, smoothing)?;
            let samples = Checkpoint { model: model.into(), state: None }.samples(
                &sampling,
                a.count,
                &a.sampling.prefix,
                None,
                None,
            )?;
            return print(samples);
        }
    };
    let samples =
        checkpoint.samples(&sampling, a.count, &a.sampling.prefix, words.as_deref(), None)?;
    print(samples)
}

fn eval(a: &EvalArgs) -> Outcome {
    let why = "eval scores a saved model";
    let out =
        a.from.output().ok_or(Error::param("model", "none", why, "--model FILE or -o DIR"))?;
    let model = out.load(Device::Cpu, Expect::default())?.model;
    let loss = match model.vocab().is_text() {
        true => read_text(&a.input).map(|text| text_nll(&model, &text)),
        false => read_words(&a.input).map(|words| nll(&model, &words)),
    }?
    .map_err(|e| Error::Scoring {
        input: a.input.clone(),
        model: out.model_path().into(),
        cause: Box::new(e),
    })?;
    print(format!("mean nll: {loss}\n"))
}
