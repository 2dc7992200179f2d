//! makemore: give it words, one per line, it makes more like them.
//!
//! ```text
//! makemore -i data/names.txt -o out                 # makemore.py's way: a Transformer, until Ctrl-C
//! makemore -i data/names.txt -o out --type mlp --max-steps 2000
//! makemore -i data/names.txt -o out --sample-only   # 50 names, in train / in test / new
//! makemore sample --input data/names.txt -n 5       # the lecture: cexze, momasurailezitynn, ...
//! makemore train --input data/names.txt --model neural --out names.mm
//! makemore eval --model names.mm --input data/names.txt
//! ```
//!
//! `makemore [FLAGS]` is `makemore train [FLAGS]`. makemore.py's models train with its defaults
//! (AdamW, seed 3407, ...), the lecture's with the lecture's (seed 2147483647, add-1 smoothing,
//! learning rate 50, ...). Errors print one line, `error: ... (hint: ...)`, and exit with status
//! 1; a mistyped command line gets clap's usage message and status 2; Ctrl-C stops training with
//! the best model kept, status 130.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use makemore::prelude::*;
use makemore::train::{EVAL_EVERY, SAMPLE_EVERY};
use makemore::Error;

// ---- Command line ----

/// Give it words, one per line, it makes more like them: character-level language models from
/// Karpathy's makemore lecture (counts, a one-layer net) to makemore.py's MLP, RNN, GRU,
/// bag of words and Transformer, over libtorch. `makemore [FLAGS]` trains, as makemore.py does.
#[derive(Debug, Parser)]
#[command(
    name = "makemore",
    version,
    args_conflicts_with_subcommands = true,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    train: TrainArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a model on a words file and save it (the default command).
    Train(TrainArgs),
    /// Print names sampled from a saved model, or from a count model trained on the spot.
    Sample(SampleArgs),
    /// Print the mean negative log likelihood of a words file under a saved model.
    Eval(EvalArgs),
}

/// Where a saved model is: a model file, or the work dir that holds `model.mm`.
#[derive(Debug, Args)]
struct ModelPath {
    /// Model file (made by `makemore train --out`).
    #[arg(long, value_name = "MODEL")]
    model: Option<PathBuf>,
    /// Work dir of a training run; its model is WORK_DIR/model.mm.
    #[arg(
        short = 'o',
        long = "work-dir",
        value_name = "WORK_DIR",
        conflicts_with = "model"
    )]
    work_dir: Option<PathBuf>,
}

impl ModelPath {
    fn path(&self) -> Option<PathBuf> {
        self.model
            .clone()
            .or_else(|| self.work_dir.as_ref().map(|d| d.join(MODEL_FILE)))
    }
}

/// The model file in a work dir.
const MODEL_FILE: &str = "model.mm";

/// How to sample; the defaults are the model's own probabilities.
#[derive(Debug, Args)]
struct SamplingArgs {
    /// Divide the logits by T: below 1 the likely characters get likelier, above 1 less so.
    #[arg(long, value_name = "T", default_value_t = Sampling::default().temperature, allow_negative_numbers = true)]
    temperature: f64,
    /// Draw only among the K likeliest characters; -1 draws among all (makemore.py's default).
    #[arg(long = "top-k", value_name = "K", default_value_t = -1, allow_negative_numbers = true)]
    top_k: i64,
}

impl SamplingArgs {
    fn sampling(&self, seed: i64) -> Result<Sampling, Failure> {
        let top_k = match self.top_k {
            -1 => None,
            k if k >= 1 => Some(k as usize),
            k => {
                return Err(Error::param(
                    "top-k",
                    k,
                    "it must be at least 1, or -1 for no limit",
                    "use --top-k 1 for the likeliest character only, or leave it out",
                )
                .into())
            }
        };
        let sampling = Sampling {
            seed,
            temperature: self.temperature,
            top_k,
        };
        sampling.check()?; // now, not after training
        Ok(sampling)
    }
}

#[derive(Debug, Args)]
struct TrainArgs {
    /// Words file to learn from: UTF-8 text, one word per line.
    #[arg(
        short = 'i',
        long = "input-file",
        visible_alias = "input",
        value_name = "FILE"
    )]
    input: Option<PathBuf>,
    /// Work dir: the best model (model.mm), the losses (losses.csv, losses.png); made if missing.
    #[arg(
        short = 'o',
        long = "work-dir",
        value_name = "DIR",
        default_value = "out"
    )]
    work_dir: PathBuf,
    /// Save the model to this file instead of WORK_DIR/model.mm, and write no logs.
    #[arg(long, value_name = "MODEL")]
    out: Option<PathBuf>,
    /// Which model [default: transformer]
    #[arg(
        long = "type",
        visible_alias = "model",
        value_enum,
        value_name = "TYPE"
    )]
    kind: Option<ModelType>,
    /// Optimization steps; -1 trains until Ctrl-C [default: -1; neural: 100]
    #[arg(
        long = "max-steps",
        visible_alias = "steps",
        value_name = "N",
        allow_negative_numbers = true
    )]
    max_steps: Option<i64>,
    /// Continue training the model in the work dir where it stopped.
    #[arg(long)]
    resume: bool,
    /// Print 50 names from the model in the work dir, in train / in test / new, and quit.
    #[arg(long = "sample-only")]
    sample_only: bool,
    /// Seed of torch's generator: the split, the initial weights, the batches [default: 3407;
    /// counts and neural: 2147483647]
    #[arg(long, value_name = "SEED", allow_negative_numbers = true)]
    seed: Option<i64>,
    /// Where to train: cpu, cuda, cuda:N or mps.
    #[arg(long, value_name = "DEVICE", default_value = "cpu")]
    device: String,
    /// Threads of torch's CPU ops [default: torch's own (as makemore.py); 1 for the lecture's
    /// fast methods]
    #[arg(long, value_name = "N")]
    threads: Option<i32>,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// Transformer blocks.
    #[arg(long = "n-layer", value_name = "N", default_value_t = ModelConfig::default().n_layer)]
    n_layer: usize,
    /// Attention heads per block (they split n-embd).
    #[arg(long = "n-head", value_name = "N", default_value_t = ModelConfig::default().n_head)]
    n_head: usize,
    /// Width of the embeddings (and of the Transformer).
    #[arg(long = "n-embd", value_name = "N", default_value_t = ModelConfig::default().n_embd)]
    n_embd: usize,
    /// Width of the hidden layer (MLP, BoW) or the hidden state (RNN, GRU).
    #[arg(long = "n-embd2", value_name = "N", default_value_t = ModelConfig::default().n_embd2)]
    n_embd2: usize,
    /// Words per optimization step.
    #[arg(short = 'b', long = "batch-size", value_name = "N", default_value_t = TrainOptions::default().batch_size)]
    batch_size: usize,
    /// Learning rate [default: 5e-4; neural: 50, large because the net is tiny and the loss smooth]
    #[arg(
        short = 'l',
        long = "learning-rate",
        visible_alias = "lr",
        value_name = "LR",
        allow_negative_numbers = true
    )]
    learning_rate: Option<f64>,
    /// AdamW's weight decay.
    #[arg(short = 'w', long = "weight-decay", value_name = "WD", default_value_t = TrainOptions::default().weight_decay, allow_negative_numbers = true)]
    weight_decay: f64,
    /// Characters of context of the lecture's models: 1 = bigram, 2 = trigram (counts, neural).
    #[arg(long, value_name = "N", default_value_t = CountModel::CONTEXT)]
    context: usize,
    /// Add-k smoothing of the counts ("fake counts"), >= 0 (counts).
    #[arg(
        long,
        value_name = "K",
        default_value_t = CountModel::SMOOTHING,
        allow_negative_numbers = true
    )]
    smoothing: f64,
    /// Weight of the (W**2).mean() penalty, >= 0; acts like smoothing (neural).
    #[arg(long, value_name = "R", default_value_t = TrainConfig::default().reg, allow_negative_numbers = true)]
    reg: f64,
    /// How the lecture's net computes its loss; all give the lecture's losses (neural).
    #[arg(long, value_enum, value_name = "METHOD", default_value_t = TrainConfig::default().method)]
    method: Method,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).multiple(true).args(["model", "work_dir", "input"]))]
struct SampleArgs {
    #[command(flatten)]
    from: ModelPath,
    /// A words file: with a model, the names are grouped as in train / in test / new; alone,
    /// a count model is trained on it in memory and sampled.
    #[arg(
        short = 'i',
        long = "input",
        visible_alias = "input-file",
        value_name = "FILE"
    )]
    input: Option<PathBuf>,
    /// How many names to print; 0 prints nothing.
    #[arg(
        short = 'n',
        long = "count",
        value_name = "COUNT",
        default_value_t = 10
    )]
    count: usize,
    /// Seed of the sampling: the same seed gives the same names.
    #[arg(long, value_name = "SEED", default_value_t = Sampling::default().seed, allow_negative_numbers = true)]
    seed: i64,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// Add-k smoothing of the in-memory count model, >= 0 (with --input alone) [default: 1]
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    smoothing: Option<f64>,
    /// Characters of context of the in-memory count model (with --input alone) [default: 1]
    #[arg(long, value_name = "N")]
    context: Option<usize>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["model", "work_dir"]))]
struct EvalArgs {
    #[command(flatten)]
    from: ModelPath,
    /// Words file to score: UTF-8 text, one word per line.
    #[arg(
        short = 'i',
        long = "input",
        visible_alias = "input-file",
        value_name = "FILE"
    )]
    input: PathBuf,
}

// ---- Errors and output ----

/// Why the command stopped early.
#[derive(Debug)]
enum Failure {
    /// A message to print after `error: `.
    Message(String),
    /// stdout was closed (e.g. `makemore sample | head`): stop quietly.
    BrokenPipe,
    /// Ctrl-C: training stopped, the best model kept.
    Interrupted,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Message(e.to_string())
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Message(format!(
                "cannot write the output: {e} (hint: check that the disk is not full)"
            ))
        }
    }
}

type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Train(args)) => train(&args),
        None => train(&cli.train),
        Some(Command::Sample(args)) => sample_names(&args),
        Some(Command::Eval(args)) => eval(&args),
    };
    match result {
        Ok(()) | Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Interrupted) => ExitCode::from(130),
        Err(Failure::Message(message)) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A line on stderr; a closed stderr is not worth failing for.
fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

// ---- train ----

fn train(args: &TrainArgs) -> Outcome {
    let from_dir = args.work_dir.join(MODEL_FILE);
    if args.sample_only {
        let model = load(args.out.as_deref().unwrap_or(&from_dir))?;
        let sampling = args
            .sampling
            .sampling(crate_seed(model.kind(), args.seed))?;
        let words = args.input.as_deref().map(read_words).transpose()?;
        return print_grouped(
            &model,
            &sampling,
            50,
            words.as_deref(),
            makemore::train::split_seed(args.out.as_deref().unwrap_or(&from_dir)),
        );
    }
    let input = args.input.as_deref().ok_or_else(|| {
        Failure::Message(
            "give the words to learn from: -i FILE (hint: see `makemore train --help`)".into(),
        )
    })?;
    let kind = args.kind.unwrap_or(ModelType::Transformer);
    let sampling = args.sampling.sampling(crate_seed(kind, args.seed))?;
    if let Some(threads) = args.threads {
        if threads < 1 {
            return Err(Error::param(
                "threads",
                threads,
                "it must be at least 1",
                "use 1 or 2 on a laptop",
            )
            .into());
        }
    }
    let words = read_words(input)?;
    let model_path = args.out.clone().unwrap_or(from_dir);
    if let Some(out) = &args.out {
        check_folder(out)?;
    }
    if kind.is_makemore() {
        train_makemore(args, kind, &words, &model_path, &sampling)
    } else if args.resume {
        Err(Error::param(
            "--resume",
            kind,
            "the lecture's models train in one go",
            "train it again, or resume one of makemore.py's models (bigram ... transformer)",
        )
        .into())
    } else {
        train_lecture(args, kind, &words, &model_path)
    }
}

/// The seed of a type's training and samples: makemore.py's for its models, the lecture's for
/// the lecture's.
fn crate_seed(kind: ModelType, given: Option<i64>) -> i64 {
    given.unwrap_or(if kind.is_makemore() {
        TrainOptions::default().seed
    } else {
        SEED
    })
}

/// The lecture's models: counts, or the one-layer net by full-batch gradient descent.
fn train_lecture(
    args: &TrainArgs,
    kind: ModelType,
    words: &[String],
    model_path: &Path,
) -> Outcome {
    let vocab = Vocab::from_words(words)?;
    let (model, loss) = if kind == ModelType::Counts {
        let model = CountModel::fit(words, &vocab, args.context, args.smoothing)?;
        let loss = nll(&model, words)?;
        (Model::Counts(model), loss)
    } else {
        let steps = args
            .max_steps
            .unwrap_or(TrainConfig::default().steps as i64);
        let steps = usize::try_from(steps).map_err(|_| {
            let why = "the lecture's net trains a given number of steps, not until Ctrl-C";
            Error::param(
                "steps",
                steps,
                why,
                "pass a number >= 0, e.g. the lecture's 100",
            )
        })?;
        let cfg = TrainConfig {
            steps,
            lr: args.learning_rate.unwrap_or(TrainConfig::default().lr),
            reg: args.reg,
            method: args.method,
        };
        if let Some(threads) = args.threads.or(cfg.method.threads()) {
            makemore::tch::set_num_threads(threads);
        }
        let data = Dataset::new(words, &vocab, args.context)?;
        let mut net = NeuralModel::new(&vocab, args.context, crate_seed(kind, args.seed))?;
        let mut progress = Progress::new(Some(cfg.steps));
        let losses = net.train_with(&data, &cfg, &mut |step, loss| {
            progress.lecture_step(step, loss)
        });
        progress.finish();
        let loss = match losses?.last() {
            Some(&loss) => loss,
            None => net
                .loss(&data, cfg.reg, cfg.method)?
                .f_double_value(&[])
                .map_err(Error::from)?,
        };
        (Model::Neural(net), loss)
    };
    if args.out.is_none() {
        create_work_dir(&args.work_dir)?;
    }
    model.save(model_path)?;
    note(&format!(
        "saved the {kind} model ({} words, {} characters, context {}) to {}",
        words.len(),
        vocab.len(),
        model.block_size(),
        model_path.display()
    ));
    writeln!(std::io::stdout(), "final loss: {loss}")?;
    Ok(())
}

/// makemore.py's training loop: a step per batch, the losses every 500 steps (the best model
/// saved), samples every 200, until --max-steps or Ctrl-C.
fn train_makemore(
    args: &TrainArgs,
    kind: ModelType,
    words: &[String],
    model_path: &Path,
    sampling: &Sampling,
) -> Outcome {
    let max_steps = args.max_steps.unwrap_or(-1);
    let device = makemore::train::device(&args.device)?;
    let opts = TrainOptions {
        batch_size: args.batch_size,
        learning_rate: args
            .learning_rate
            .unwrap_or(TrainOptions::default().learning_rate),
        weight_decay: args.weight_decay,
        seed: crate_seed(kind, args.seed),
        device,
    };
    let cfg = ModelConfig {
        n_layer: args.n_layer,
        n_head: args.n_head,
        n_embd: args.n_embd,
        n_embd2: args.n_embd2,
    };
    if let Some(threads) = args.threads {
        makemore::tch::set_num_threads(threads);
    }
    let mut trainer = if args.resume {
        let trainer = Trainer::resume(model_path, words, &opts).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => Failure::Message(format!(
                "--resume: there is no model to resume at {} (hint: train one first, without --resume)",
                model_path.display()
            )),
            e => e.into(),
        })?;
        if args.kind.is_some_and(|k| k != trainer.model().kind()) {
            return Err(Failure::Message(format!("{} holds a {} model, not {kind} (hint: resume with --type {}, or train into another work dir)",
                model_path.display(), trainer.model().kind(), trainer.model().kind())));
        }
        trainer
    } else {
        Trainer::new(words, kind, &cfg, &opts)?
    };
    let log = (args.out.is_none()).then(|| Log::new(&args.work_dir, trainer.steps()));
    if let Some(log) = &log {
        create_work_dir(&args.work_dir)?;
        log.write()?;
    }
    let split = trainer.split();
    note(&format!(
        "{} words ({} train, {} test), {} characters, block size {}; {} with {} parameters{}",
        words.len(),
        split.train.len(),
        split.test.len(),
        trainer.model().vocab().len(),
        trainer.model().block_size(),
        trainer.model().kind(),
        trainer.model().n_params(),
        if args.resume {
            format!(", resumed at step {}", trainer.steps())
        } else {
            String::new()
        }
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));

    let limit = usize::try_from(max_steps).ok();
    let mut progress = Progress::new(limit);
    let mut log = log;
    let mut evaluated = false;
    let mut outcome = Ok(());
    while limit.is_none_or(|max| trainer.steps() < max) {
        if stop.load(Ordering::SeqCst) {
            outcome = Err(Failure::Interrupted);
            break;
        }
        let t = Instant::now();
        let loss = trainer.step()?;
        let step = trainer.steps() - 1; // makemore.py's step number: from 0
        progress.makemore_step(step, loss, t.elapsed().as_secs_f64());
        evaluated = step > 0 && step.is_multiple_of(EVAL_EVERY);
        if evaluated {
            progress.println(&evaluate(&mut trainer, step, model_path, log.as_mut())?)?;
        }
        if step > 0 && step.is_multiple_of(SAMPLE_EVERY) {
            let samples = Sampling {
                seed: sampling.seed.wrapping_add(step as i64),
                ..*sampling
            };
            let text = grouped(trainer.model(), &samples, 10, trainer.split())?;
            progress.println(&text)?;
        }
    }
    progress.finish();
    if !evaluated && trainer.steps() > 0 {
        let step = trainer.steps() - 1;
        writeln!(
            std::io::stdout(),
            "{}",
            evaluate(&mut trainer, step, model_path, log.as_mut())?
        )?;
    }
    if let Some(best) = trainer.best() {
        note(&format!(
            "{}best loss {best:.4}: the model is in {}",
            if outcome.is_err() {
                "stopped by Ctrl-C; "
            } else {
                ""
            },
            model_path.display()
        ));
    }
    outcome
}

/// The losses now, as makemore.py prints them; saves the model when they are the best so far.
fn evaluate(
    trainer: &mut Trainer,
    step: usize,
    model_path: &Path,
    log: Option<&mut Log>,
) -> Result<String, Failure> {
    let (losses, best) = trainer.evaluate()?;
    let test = losses
        .test
        .map_or("n/a (one word: no test set)".to_string(), |t| t.to_string());
    let mut text = format!("step {step} train loss: {} test loss: {test}", losses.train);
    if best {
        trainer.save(model_path)?;
        text += &format!(
            "\ntest loss {} is the best so far, saving model to {}",
            losses.score(),
            model_path.display()
        );
    }
    if let Some(log) = log {
        log.rows.push((step, losses));
        log.write()?;
    }
    Ok(text)
}

/// The losses of a training run, in the work dir: losses.csv, and losses.png drawn from it.
struct Log {
    csv: PathBuf,
    png: PathBuf,
    rows: Vec<(usize, Losses)>,
}

impl Log {
    /// The log of the work dir, kept up to `step` (a resumed run continues it).
    fn new(dir: &Path, step: usize) -> Log {
        let csv = dir.join("losses.csv");
        let rows = std::fs::read_to_string(&csv)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.split(',');
                let s: usize = f.next()?.parse().ok()?;
                let train = f.next()?.parse().ok()?;
                let test = f.next()?.parse().ok();
                (step > 0 && s < step).then_some((s, Losses { train, test }))
            })
            .collect();
        Log {
            csv,
            png: dir.join("losses.png"),
            rows,
        }
    }

    fn write(&self) -> makemore::Result<()> {
        let mut text = "step,train_loss,test_loss\n".to_string();
        for (step, l) in &self.rows {
            text += &format!(
                "{step},{},{}\n",
                l.train,
                l.test.map_or(String::new(), |t| t.to_string())
            );
        }
        makemore::io::write_atomic(&self.csv, text.as_bytes())?;
        if self.rows.is_empty() {
            return Ok(());
        }
        let steps: Vec<f64> = self.rows.iter().map(|(s, _)| *s as f64).collect();
        let mut series = vec![Series::new(
            "train",
            steps.clone(),
            self.rows.iter().map(|(_, l)| l.train).collect(),
        )];
        if self.rows.iter().all(|(_, l)| l.test.is_some()) {
            series.push(Series::new(
                "test",
                steps,
                self.rows.iter().filter_map(|(_, l)| l.test).collect(),
            ));
        }
        line_plot(&series, "loss", "step", "loss", false)?.save(&self.png)
    }
}

/// Progress: a bar on a terminal; plain lines when piped, makemore.py's every 10 steps on
/// stdout, or the lecture's 20 in all on stderr.
struct Progress {
    bar: Option<ProgressBar>,
    steps: Option<usize>,
}

impl Progress {
    fn new(steps: Option<usize>) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let (bar, template) = match steps {
                Some(n) => (
                    ProgressBar::new(n as u64),
                    "{bar:25} {pos}/{len} | loss {msg}",
                ),
                None => (
                    ProgressBar::new_spinner(),
                    "{spinner} step {pos} | loss {msg} | Ctrl-C: stop",
                ),
            };
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Progress { bar, steps }
    }

    fn lecture_step(&mut self, step: usize, loss: f64) {
        let steps = self.steps.unwrap_or(0);
        match &self.bar {
            Some(bar) => {
                bar.set_message(format!("{loss:.4}"));
                bar.inc(1);
            }
            None if (step + 1).is_multiple_of((steps / 20).max(1)) || step + 1 == steps => {
                note(&format!("step {}/{steps}: loss {loss:.4}", step + 1));
            }
            None => {}
        }
    }

    fn makemore_step(&mut self, step: usize, loss: f64, seconds: f64) {
        match &self.bar {
            Some(bar) => {
                bar.set_message(format!("{loss:.4} | {:.2} ms/step", seconds * 1e3));
                bar.set_position(step as u64 + 1);
            }
            None if step.is_multiple_of(10) => {
                let _ = writeln!(
                    std::io::stdout(),
                    "step {step} | loss {loss:.4} | step time {:.2}ms",
                    seconds * 1e3
                );
            }
            None => {}
        }
    }

    /// A block of text on stdout, above the bar.
    fn println(&self, text: &str) -> std::io::Result<()> {
        match &self.bar {
            Some(bar) => bar.suspend(|| writeln!(std::io::stdout(), "{text}")),
            None => writeln!(std::io::stdout(), "{text}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

// ---- sample ----

fn sample_names(args: &SampleArgs) -> Outcome {
    let words = args.input.as_deref().map(read_words).transpose()?;
    let Some(path) = args.from.path() else {
        // a count model trained on the spot
        let words = words.unwrap_or_default();
        let vocab = Vocab::from_words(&words)?;
        let model = CountModel::fit(
            &words,
            &vocab,
            args.context.unwrap_or(CountModel::CONTEXT),
            args.smoothing.unwrap_or(CountModel::SMOOTHING),
        )?;
        let names = args
            .sampling
            .sampling(args.seed)?
            .sample(&model, args.count)?;
        return print_names(&names);
    };
    if args.smoothing.is_some() || args.context.is_some() {
        return Err(Failure::Message("--smoothing and --context make a count model from --input alone; a saved model has its own (hint: leave them out)".into()));
    }
    let model = load(&path)?;
    let sampling = args.sampling.sampling(args.seed)?;
    match words {
        Some(words) => print_grouped(
            &model,
            &sampling,
            args.count,
            Some(&words),
            makemore::train::split_seed(&path),
        ),
        None => print_names(&sampling.sample(&model, args.count)?),
    }
}

fn print_names(names: &[String]) -> Outcome {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for name in names {
        writeln!(out, "{}", name.strip_suffix('.').unwrap_or(name))?;
    }
    out.flush()?;
    Ok(())
}

/// Names grouped as makemore.py prints them: in train, in test, new. Without the words, plainly.
fn print_grouped(
    model: &Model,
    sampling: &Sampling,
    n: usize,
    words: Option<&[String]>,
    seed: Option<i64>,
) -> Outcome {
    let Some(words) = words else {
        return print_names(&sampling.sample(model, n)?);
    };
    // a model trained here knows its split's seed; the lecture's trained on every word
    let split = match seed {
        Some(seed) => Split::train_test(words, seed)?,
        None => Split {
            train: words.to_vec(),
            dev: Vec::new(),
            test: Vec::new(),
        },
    };
    writeln!(
        std::io::stdout(),
        "{}",
        grouped(model, sampling, n, &split)?
    )?;
    Ok(())
}

fn grouped(
    model: &Model,
    sampling: &Sampling,
    n: usize,
    split: &Split,
) -> makemore::Result<String> {
    let train: HashSet<&str> = split.train.iter().map(String::as_str).collect();
    let test: HashSet<&str> = split.test.iter().map(String::as_str).collect();
    let mut groups: [(&str, Vec<String>); 3] =
        [("in train", vec![]), ("in test", vec![]), ("new", vec![])];
    for name in sampling.sample(model, n)? {
        let name = name.strip_suffix('.').unwrap_or(&name).to_string();
        let group = if train.contains(name.as_str()) {
            0
        } else if test.contains(name.as_str()) {
            1
        } else {
            2
        };
        groups[group].1.push(name);
    }
    let rule = "-".repeat(80);
    let mut text = rule.clone();
    for (what, names) in groups {
        text += &format!("\n{} samples that are {what}:", names.len());
        for name in names {
            text += &format!("\n{name}");
        }
    }
    Ok(text + "\n" + &rule)
}

// ---- eval ----

fn eval(args: &EvalArgs) -> Outcome {
    let path = args.from.path().unwrap_or_default();
    let model = load(&path)?;
    let words = read_words(&args.input)?;
    let loss = nll(&model, &words).map_err(|e| {
        Failure::Message(format!(
            "cannot score {} with the model {}: {e}",
            args.input.display(),
            path.display()
        ))
    })?;
    writeln!(std::io::stdout(), "mean nll: {loss}")?;
    Ok(())
}

// ---- files ----

fn load(path: &Path) -> Result<Model, Failure> {
    Model::load(path).map_err(|e| match e {
        Error::Io { source, .. }
            if source.kind() == std::io::ErrorKind::NotFound && path.ends_with(MODEL_FILE) =>
        {
            Failure::Message(format!(
                "there is no model in {}: {source} (hint: train one first: makemore -i FILE -o {})",
                path.parent().unwrap_or(Path::new(".")).display(),
                path.parent().unwrap_or(Path::new(".")).display()
            ))
        }
        e => e.into(),
    })
}

/// Fails before any work when the folder `out` goes into does not exist (saving checks again).
fn check_folder(out: &Path) -> Result<(), Error> {
    match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(Error::Io {
            action: "write",
            path: out.to_path_buf(),
            source: std::io::ErrorKind::NotFound.into(),
            hint: format!(
                "the folder {} does not exist: create it first",
                dir.display()
            ),
        }),
        _ => Ok(()),
    }
}

/// The work dir, made if missing (as makemore.py does).
fn create_work_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        action: "create",
        path: dir.to_path_buf(),
        source,
        hint: "pick a work dir (-o) in a folder you can write to".to_string(),
    })
}
