//! makemore: give it words, one per line, it makes more like them; or a text, and it writes more
//! of it. The command line asks; the library does the work (`Trainer::run` is makemore.py's
//! training loop, `Trainer::on_text` the GPT lecture's start).
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
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use makemore::prelude::*;
use makemore::train::run::{describe, split_of};
use makemore::train::{fit_lecture, parse_device};

/// Give it words, one per line, it makes more like them: character-level language models from
/// Karpathy's makemore lecture (counts, a one-layer net) to makemore.py's MLP, RNN, GRU, bag of
/// words and Transformer, part 5's WaveNet and the GPT lecture's Transformer, over libtorch.
/// `makemore [FLAGS]` trains, as makemore.py does; `makemore --text FILE` trains on a text.
#[derive(Debug, Parser)]
#[command(name = "makemore", version, args_conflicts_with_subcommands = true)]
#[command(arg_required_else_help = true, infer_long_args = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    train: TrainArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a model on a words file and save it (the default command).
    Train(Box<TrainArgs>),
    /// Print names sampled from a saved model, or from a count model trained on the spot.
    Sample(SampleArgs),
    /// Print the mean negative log likelihood of a words file under a saved model.
    Eval(EvalArgs),
}

const MM: &str = "makemore.py's flags";
const TEXT: &str = "A text as one stream (the GPT lecture's script)";
/// The GPT lecture's seed, `torch.manual_seed(1337)`: training on a text starts from it.
const TEXT_SEED: i64 = 1337;
/// Characters generated from a model of a text unless told (`-n`).
const TEXT_CHARS: usize = 500;
const LECTURE: &str = "The lecture's models (counts, neural)";
/// The model file in a work dir.
const MODEL_FILE: &str = "model.mm";

fn model_type() -> impl TypedValueParser<Value = ModelType> {
    let names: Vec<&str> = ModelType::ALL.iter().map(|k| k.name()).collect();
    PossibleValuesParser::new(names).map(|s| s.parse::<ModelType>().expect("a listed name"))
}

fn method() -> impl TypedValueParser<Value = Method> {
    let parse = |s: String| match s.as_str() {
        "one-hot" => Method::OneHot,
        "index" => Method::Index,
        "cross-entropy" => Method::CrossEntropy,
        _ => Method::Counts,
    };
    PossibleValuesParser::new(["one-hot", "index", "cross-entropy", "counts"]).map(parse)
}

#[derive(Debug, Args)]
struct TrainArgs {
    /// Words file to learn from: UTF-8 text, one word per line [default: names.txt]
    #[arg(short, long = "input-file", visible_alias = "input", value_name = "FILE", help_heading = MM)]
    input: Option<PathBuf>,
    /// A text to learn from as one stream of characters, as the GPT lecture's script does: the
    /// first 90% to train on, windows of --block-size at random places; the defaults become the
    /// lecture's small model (gpt, batch 16, learning rate 1e-3, seed 1337).
    #[arg(long, value_name = "FILE", conflicts_with = "input", help_heading = TEXT)]
    text: Option<PathBuf>,
    /// Characters of context a model of a text reads (windows of this many) [default: 32]
    #[arg(long = "block-size", value_name = "N", requires = "text", help_heading = TEXT)]
    block_size: Option<usize>,
    /// Measure the losses (and keep the best model) every N steps.
    #[arg(long = "eval-every", value_name = "N", default_value_t = RunOptions::default().eval_every, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    eval_every: usize,
    /// Batches of each part of a text the losses are the mean of (the lecture's eval_iters).
    #[arg(long = "eval-batches", value_name = "M", default_value_t = 200, requires = "text", help_heading = TEXT)]
    eval_batches: usize,
    /// The chance that dropout zeroes a value in training (gpt) [default: 0; gpt.py's: 0.2]
    #[arg(long, value_name = "P", help_heading = TEXT)]
    dropout: Option<f64>,
    /// Work dir: the best model (model.mm), the losses (losses.csv, losses.png); made if missing.
    #[arg(short = 'o', long = "work-dir", value_name = "DIR", default_value = "out", help_heading = MM)]
    work_dir: PathBuf,
    /// Which type of model [default: transformer]. Its alias --model names a type here, and a
    /// model file in `sample` and `eval`.
    #[arg(long = "type", visible_alias = "model", value_parser = model_type(), value_name = "TYPE", help_heading = MM)]
    kind: Option<ModelType>,
    /// Optimization steps of this run (a resumed run counts from where it resumes); -1 trains
    /// until Ctrl-C [default: -1; neural: 100]
    #[arg(long = "max-steps", visible_alias = "steps", value_name = "N", allow_negative_numbers = true, help_heading = MM)]
    max_steps: Option<i64>,
    /// Continue training the model in the work dir where it stopped.
    #[arg(long, help_heading = MM)]
    resume: bool,
    /// Print 50 names from the model in the work dir, in train / in test / new, and quit.
    #[arg(long = "sample-only", help_heading = MM)]
    sample_only: bool,
    /// Data loader workers: accepted for makemore.py's command lines, no effect here (batches
    /// are drawn in the training thread). With --text --sample-only: characters to generate
    /// [default: 500].
    #[arg(short = 'n', long = "num-workers", value_name = "N", help_heading = MM)]
    num_workers: Option<usize>,
    /// Seed of torch's generator: the split, the initial weights, the batches [default: 3407;
    /// counts and neural: 2147483647]
    #[arg(long, value_name = "SEED", allow_negative_numbers = true, help_heading = MM)]
    seed: Option<i64>,
    /// Where to train: cpu, cuda, cuda:N or mps.
    #[arg(long, value_name = "DEVICE", default_value = "cpu", help_heading = MM)]
    device: String,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// Transformer blocks, or wavenet levels (a context of 2^N characters) [default: 4; wavenet: 3]
    #[arg(long = "n-layer", value_name = "N", help_heading = MM)]
    n_layer: Option<usize>,
    /// Attention heads per block (they split n-embd).
    #[arg(long = "n-head", value_name = "N", default_value_t = ModelConfig::default().n_head, help_heading = MM)]
    n_head: usize,
    /// Width of the embeddings (and of the Transformer) [default: 64; wavenet: 24]
    #[arg(long = "n-embd", value_name = "N", help_heading = MM)]
    n_embd: Option<usize>,
    /// Width of the hidden layer (MLP, BoW, each wavenet level) or the hidden state (RNN, GRU)
    /// [default: 64; wavenet: 128]
    #[arg(long = "n-embd2", value_name = "N", help_heading = MM)]
    n_embd2: Option<usize>,
    /// Words (or windows of a text) per optimization step [default: 32; with --text: 16]
    #[arg(short, long = "batch-size", value_name = "N", help_heading = MM)]
    batch_size: Option<usize>,
    /// Learning rate [default: 5e-4; neural: 50, large because the net is tiny and the loss
    /// smooth; with --text: 1e-3]
    #[arg(short, long = "learning-rate", visible_alias = "lr", value_name = "LR", allow_negative_numbers = true, help_heading = MM)]
    learning_rate: Option<f64>,
    /// AdamW's weight decay.
    #[arg(short, long = "weight-decay", value_name = "WD", default_value_t = TrainOptions::default().weight_decay, allow_negative_numbers = true, help_heading = MM)]
    weight_decay: f64,
    /// Save the model to this file instead of WORK_DIR/model.mm, and write no logs (`-o` names
    /// a work dir, `--out` a file).
    #[arg(long, value_name = "MODEL_FILE", conflicts_with = "work_dir")]
    out: Option<PathBuf>,
    /// Train over a saved model (without --resume, a work dir or --out file that holds one is
    /// refused, so that no trained model is lost by accident).
    #[arg(long)]
    overwrite: bool,
    /// Threads of torch's CPU ops [default: torch's own (as makemore.py); 1 for the lecture's
    /// fast methods]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    threads: Option<i32>,
    /// Characters of context: 1 = bigram, 2 = trigram.
    #[arg(long, value_name = "N", default_value_t = CountModel::CONTEXT, help_heading = LECTURE)]
    context: usize,
    /// Add-k smoothing of the counts ("fake counts"), >= 0 (counts).
    #[arg(long, value_name = "K", default_value_t = CountModel::SMOOTHING, allow_negative_numbers = true, help_heading = LECTURE)]
    smoothing: f64,
    /// Weight of the (W**2).mean() penalty, >= 0; acts like smoothing (neural).
    #[arg(long, value_name = "R", default_value_t = TrainConfig::default().reg, allow_negative_numbers = true, help_heading = LECTURE)]
    reg: f64,
    /// How the net computes its loss; all give the lecture's losses (neural) [default: counts]
    #[arg(long, value_parser = method(), value_name = "METHOD", help_heading = LECTURE)]
    method: Option<Method>,
}

/// How to sample; the defaults are the model's own probabilities.
#[derive(Debug, Args)]
struct SamplingArgs {
    /// Draw only among the K likeliest characters; -1 draws among all (makemore.py's default).
    #[arg(long = "top-k", value_name = "K", default_value = "-1", value_parser = top_k, allow_negative_numbers = true)]
    top_k: TopK,
    /// Divide the logits by T: below 1 the likely characters get likelier (near 0: the likeliest
    /// name), above 1 less so.
    #[arg(long, value_name = "T", default_value_t = Sampling::default().temperature, allow_negative_numbers = true)]
    temperature: f64,
    /// Names that start with these characters: the model continues them.
    #[arg(long, value_name = "TEXT", default_value = "")]
    prefix: String,
}

#[derive(Debug, Clone, Copy)]
struct TopK(Option<usize>);

fn top_k(k: &str) -> Result<TopK, String> {
    match k.parse::<i64>() {
        Ok(-1) => Ok(TopK(None)),
        Ok(k) if k >= 1 => Ok(TopK(Some(k as usize))),
        _ => Err("it must be at least 1, or -1 for no limit".into()),
    }
}

impl SamplingArgs {
    fn sampling(&self, seed: i64) -> Result<Sampling, Failure> {
        let sampling = Sampling { seed, temperature: self.temperature, top_k: self.top_k.0 };
        sampling.check()?; // now, not after training
        Ok(sampling)
    }
}

/// Where a saved model is: `--model FILE`, or the work dir that holds `model.mm`.
#[derive(Debug, Args)]
struct ModelPath {
    /// A model file (made by `makemore train --out`).
    #[arg(long, value_name = "MODEL_FILE")]
    model: Option<PathBuf>,
    /// The work dir of a training run: its model is WORK_DIR/model.mm.
    #[arg(short = 'o', long = "work-dir", value_name = "DIR", conflicts_with = "model")]
    work_dir: Option<PathBuf>,
}

impl ModelPath {
    fn path(&self) -> Option<PathBuf> {
        self.model.clone().or(self.work_dir.as_ref().map(|d| d.join(MODEL_FILE)))
    }
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).multiple(true).args(["model", "work_dir", "input"]))]
struct SampleArgs {
    #[command(flatten)]
    from: ModelPath,
    /// A words file: with a model, the names are grouped as in train / in test / new; alone,
    /// a count model is trained on it in memory and sampled.
    #[arg(short, long, visible_alias = "input-file", value_name = "FILE")]
    input: Option<PathBuf>,
    /// How many names to print (0 prints nothing); of a model of a text, how many characters
    /// [default: 10 names; 500 characters]
    #[arg(short = 'n', long = "count", value_name = "COUNT")]
    count: Option<usize>,
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
    #[arg(short, long, visible_alias = "input-file", value_name = "FILE")]
    input: PathBuf,
}

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
        match e {
            Error::Output(e) => e.into(),
            e => Failure::Message(e.to_string()),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::BrokenPipe => Failure::BrokenPipe,
            _ => Error::Output(e).into(),
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

fn train(a: &TrainArgs) -> Outcome {
    let path = a.out.clone().unwrap_or(a.work_dir.join(MODEL_FILE));
    if let Some(text) = &a.text {
        return train_text(a, text, &path);
    }
    let input = a.input.clone().unwrap_or("names.txt".into());
    if a.sample_only {
        let Checkpoint { model, state } = match makemore_py(a, &input)? {
            Some(model) => Checkpoint { model, state: None },
            None => load(&path, Device::Cpu)?,
        };
        if let Some(kind) = a.kind.filter(|&k| k != model.kind()) {
            return Err(mismatch(&path, model.kind(), kind));
        }
        if model.vocab().is_text() {
            return Err(Failure::Message(format!("{} holds a model of a text, not of words (hint: add --text FILE, or run `makemore sample -o DIR -n 500`)", path.display())));
        }
        let seed = state.as_ref().map_or(a.seed.unwrap_or(model.kind().seed()), |s| s.split_seed());
        let sampling = a.sampling.sampling(a.seed.unwrap_or(model.kind().seed()))?;
        let names = sampling.sample_from(&model, 50, &a.sampling.prefix)?;
        let Some(input) = &a.input else {
            return print_names(&names, model.vocab());
        };
        let split = split_of(&read_words(input)?, model.kind().is_makemore().then_some(seed))?;
        return Ok(writeln!(std::io::stdout(), "{}", Grouped::new(&names, model.vocab(), &split))?);
    }
    let kind = a.kind.unwrap_or(ModelType::Transformer);
    let sampling = a.sampling.sampling(a.seed.unwrap_or(kind.seed()))?;
    check_output(a, &path)?;
    let words = read_words(&input)?;
    match kind.is_makemore() {
        true => train_network(a, kind, &words, &input, &path, sampling),
        false if a.resume => Err(Failure::Message(format!("--resume: the lecture's {kind} model trains in one go (hint: train it again, or resume one of makemore.py's models)"))),
        false => train_lecture(a, kind, &words, &path),
    }
}

/// Fails before any work when training would replace a model, or could not save one.
fn check_output(a: &TrainArgs, path: &Path) -> Outcome {
    if !a.resume && !a.overwrite && path.is_file() {
        let why = format!("{} holds a trained model that training would replace", path.display());
        let hint = "continue it with --resume, train into another work dir (-o) or file (--out), or start over with --overwrite";
        return Err(Failure::Message(format!("{why} (hint: {hint})")));
    }
    if path.is_dir() {
        return Err(Failure::Message(format!(
            "{} is a directory (hint: --out names a model file, -o a work dir)",
            path.display()
        )));
    }
    if let Some(out) = &a.out {
        makemore::io::check_folder(out)?;
    }
    Ok(())
}

/// A model of a text, the GPT lecture's way: its training until --max-steps or Ctrl-C, or with
/// --sample-only, characters from the saved one.
fn train_text(a: &TrainArgs, file: &Path, path: &Path) -> Outcome {
    let kind = a.kind.unwrap_or(ModelType::Gpt);
    let seed = a.seed.unwrap_or(TEXT_SEED);
    let sampling = a.sampling.sampling(seed)?;
    if a.sample_only {
        let model = load(path, Device::Cpu)?.model;
        if let Some(kind) = a.kind.filter(|&k| k != model.kind()) {
            return Err(mismatch(path, model.kind(), kind));
        }
        if !model.vocab().is_text() {
            return Err(Failure::Message(format!("{} holds a model of words, not of a text (hint: sample it without --text, or train one on the text into another work dir)", path.display())));
        }
        let n = a.num_workers.unwrap_or(TEXT_CHARS);
        let text = sampling.generate(&model, n, &a.sampling.prefix)?;
        return Ok(writeln!(std::io::stdout(), "{text}")?);
    }
    check_output(a, path)?;
    let text = read_text(file)?;
    let opts = TrainOptions {
        batch_size: a.batch_size.unwrap_or(16),
        learning_rate: a.learning_rate.unwrap_or(1e-3),
        weight_decay: a.weight_decay,
        seed,
        device: parse_device(&a.device)?,
    };
    if let Some(threads) = a.threads {
        makemore::tch::set_num_threads(threads);
    }
    let trainer = match a.resume {
        true => {
            let checkpoint = load(path, opts.device)?;
            if let Some(k) = a.kind.filter(|&k| k != checkpoint.model.kind()) {
                return Err(mismatch(path, checkpoint.model.kind(), k));
            }
            Trainer::resume_text(checkpoint, &text, &opts, a.eval_batches)?
        }
        false => {
            let block = a.block_size.unwrap_or(32);
            Trainer::on_text(&text, kind, &config(a, kind), &opts, block, a.eval_batches)?
        }
    };
    let run = RunOptions { sample_every: a.eval_every, ..RunOptions::default() };
    run_training(a, trainer, file, path, sampling, run)
}

/// The lecture's models: counts, or the one-layer net by full-batch gradient descent.
fn train_lecture(a: &TrainArgs, kind: ModelType, words: &[String], path: &Path) -> Outcome {
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
    let (bar, every) = (Bar::new(Some(steps)), (steps / 20).max(1));
    let seed = a.seed.unwrap_or(kind.seed());
    let fitted = fit_lecture(kind, words, a.context, a.smoothing, &cfg, seed, &mut |step, loss| {
        match &bar.0 {
            Some(bar) => bar.set_message(format!("{loss:.4}")),
            None if (step + 1) % every == 0 || step + 1 == steps => {
                note(&format!("step {}/{steps}: loss {loss:.4}", step + 1))
            }
            None => {}
        }
        bar.0.iter().for_each(|bar| bar.inc(1));
    });
    bar.finish();
    let (model, loss) = fitted?;
    if a.out.is_none() {
        makemore::io::create_dir(&a.work_dir)?;
    }
    model.save(path)?;
    note(&format!(
        "saved the {kind} model ({} words, {}) to {}",
        words.len(),
        describe(&model),
        path.display()
    ));
    Ok(writeln!(std::io::stdout(), "final loss: {loss}")?)
}

/// makemore.py's networks: its training loop, until --max-steps or Ctrl-C.
fn train_network(
    a: &TrainArgs,
    kind: ModelType,
    words: &[String],
    input: &Path,
    path: &Path,
    sampling: Sampling,
) -> Outcome {
    let opts = TrainOptions {
        batch_size: a.batch_size.unwrap_or(TrainOptions::default().batch_size),
        learning_rate: a.learning_rate.unwrap_or(kind.learning_rate()),
        weight_decay: a.weight_decay,
        seed: a.seed.unwrap_or(kind.seed()),
        device: parse_device(&a.device)?,
    };
    if let Some(threads) = a.threads {
        makemore::tch::set_num_threads(threads);
    }
    let pt = if a.resume { makemore_py(a, input)? } else { None };
    let mut trainer = match a.resume {
        true if pt.is_some() => Trainer::new(words, kind, &config(a, kind), &opts)?, // makemore.py's resume
        true => {
            let checkpoint = load(path, opts.device)?;
            if let Some(k) = a.kind.filter(|&k| k != checkpoint.model.kind()) {
                return Err(mismatch(path, checkpoint.model.kind(), k));
            }
            Trainer::resume(checkpoint, words, &opts)?
        }
        false => Trainer::new(words, kind, &config(a, kind), &opts)?,
    };
    if let Some(model) = &pt {
        trainer.set_weights(model)?; // then a fresh optimizer and step 0, as makemore.py resumes
        note(&format!("read makemore.py's {}", a.work_dir.join("model.pt").display()));
    }
    run_training(a, trainer, input, path, sampling, RunOptions::default())
}

/// The training loop with a progress bar, the best model saved, the loss log; Ctrl-C stops it.
fn run_training(
    a: &TrainArgs,
    mut trainer: Trainer,
    input: &Path,
    path: &Path,
    sampling: Sampling,
    run: RunOptions,
) -> Outcome {
    let kind = trainer.model().kind();
    note(&trainer.to_string());
    let steps = match a.max_steps {
        Some(n) if n >= 0 => Some(n as usize),
        _ => None,
    };
    if steps == Some(0) {
        note("--max-steps 0: nothing to train");
        return Ok(());
    }
    let run = RunOptions {
        steps,
        eval_every: a.eval_every,
        sampling,
        save_to: Some(path.to_path_buf()),
        log_dir: a.out.is_none().then(|| a.work_dir.clone()),
        title: format!("{kind} on {}", input.file_name().unwrap_or_default().to_string_lossy()),
        ..run
    };
    if a.out.is_none() {
        makemore::io::create_dir(&a.work_dir)?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let bar = Bar::new(steps);
    let summary = trainer.run(&run, &stop, |event| match (event, &bar.0) {
        (Event::Step { loss, seconds, .. }, Some(bar)) => {
            bar.set_message(format!("{loss:.4} | {:.2} ms/step", seconds * 1e3));
            bar.inc(1);
            Ok(())
        }
        (Event::Step { step, .. }, None) if step % 10 != 0 => Ok(()),
        _ => bar.println(&event.to_string()),
    });
    bar.finish();
    let summary = summary?;
    if let Some(best) = trainer.best() {
        let stopped = if summary.stopped { "stopped by Ctrl-C; " } else { "" };
        note(&format!("{stopped}best loss {best:.4}: the model is in {}", path.display()));
    }
    match summary.stopped {
        true => Err(Failure::Interrupted),
        false => Ok(()),
    }
}

/// Progress: a bar on a terminal; plain lines when piped (makemore.py's every 10 steps).
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
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        }))
    }

    /// A block of text on stdout, above the bar.
    fn println(&self, text: &str) -> std::io::Result<()> {
        match &self.0 {
            Some(bar) => bar.suspend(|| writeln!(std::io::stdout(), "{text}")),
            None => writeln!(std::io::stdout(), "{text}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn sample_names(a: &SampleArgs) -> Outcome {
    let words = a.input.as_deref().map(read_words).transpose()?;
    let path = a.from.path();
    let sampling = a.sampling.sampling(a.seed)?;
    let Some(path) = path else {
        // a count model trained on the spot
        let words = words.unwrap_or_default();
        let vocab = Vocab::from_words(&words)?;
        let (context, smoothing) = (
            a.context.unwrap_or(CountModel::CONTEXT),
            a.smoothing.unwrap_or(CountModel::SMOOTHING),
        );
        let model = CountModel::fit(&words, &vocab, context, smoothing)?;
        let names = sampling.sample_from(&model, a.count.unwrap_or(10), &a.sampling.prefix)?;
        return print_names(&names, &vocab);
    };
    if a.smoothing.is_some() || a.context.is_some() {
        return Err(Failure::Message("--smoothing and --context make a count model from --input alone; a saved model has its own (hint: leave them out)".into()));
    }
    let Checkpoint { model, state } = load(&path, Device::Cpu)?;
    if model.vocab().is_text() {
        let n = a.count.unwrap_or(TEXT_CHARS);
        let text = sampling.generate(&model, n, &a.sampling.prefix)?;
        return Ok(writeln!(std::io::stdout(), "{text}")?);
    }
    let names = sampling.sample_from(&model, a.count.unwrap_or(10), &a.sampling.prefix)?;
    match words {
        Some(words) => {
            let split = split_of(&words, state.map(|s| s.split_seed()))?;
            Ok(writeln!(std::io::stdout(), "{}", Grouped::new(&names, model.vocab(), &split))?)
        }
        None => print_names(&names, model.vocab()),
    }
}

fn print_names(names: &[String], vocab: &Vocab) -> Outcome {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for name in names {
        writeln!(out, "{}", vocab.strip(name))?;
    }
    Ok(out.flush()?)
}

fn eval(a: &EvalArgs) -> Outcome {
    let path = a.from.path().unwrap_or_default();
    let model = load(&path, Device::Cpu)?.model;
    if model.vocab().is_text() {
        let loss = text_nll(&model, &read_text(&a.input)?).map_err(|e| {
            Failure::Message(format!(
                "cannot score {} with the model {}: {e}",
                a.input.display(),
                path.display()
            ))
        })?;
        return Ok(writeln!(std::io::stdout(), "mean nll: {loss}")?);
    }
    let words = read_words(&a.input)?;
    let loss = nll(&model, &words).map_err(|e| {
        Failure::Message(format!(
            "cannot score {} with the model {}: {e}",
            a.input.display(),
            path.display()
        ))
    })?;
    Ok(writeln!(std::io::stdout(), "mean nll: {loss}")?)
}

/// The sizes of a network of `kind`, from the flags and the type's defaults.
fn config(a: &TrainArgs, kind: ModelType) -> ModelConfig {
    let d = ModelConfig::of(kind);
    ModelConfig {
        n_layer: a.n_layer.unwrap_or(d.n_layer),
        n_head: a.n_head,
        n_embd: a.n_embd.unwrap_or(d.n_embd),
        n_embd2: a.n_embd2.unwrap_or(d.n_embd2),
        dropout: a.dropout.unwrap_or(d.dropout),
    }
}

/// makemore.py's own `model.pt` in a work dir that has no model.mm, read as makemore.py reads it:
/// with the type and sizes of the flags, and the vocabulary of the words file.
fn makemore_py(a: &TrainArgs, input: &Path) -> Result<Option<Model>, Failure> {
    let pt = a.work_dir.join("model.pt");
    if a.out.is_some() || a.work_dir.join(MODEL_FILE).exists() || !pt.exists() {
        return Ok(None);
    }
    let words = read_words(input)?;
    let (vocab, kind) = (Vocab::from_words(&words)?, a.kind.unwrap_or(ModelType::Transformer));
    Ok(Some(Model::from_makemore_py(&pt, kind, &config(a, kind), &vocab, block_size(&words))?))
}

/// A model file, or the model of a work dir: a missing one says "train one first".
fn load(path: &Path, device: Device) -> Result<Checkpoint, Failure> {
    let dir = path.parent().filter(|_| path.ends_with(MODEL_FILE));
    match dir {
        Some(dir) if !path.exists() => {
            Err(Error::NoModel { dir: dir.to_path_buf(), file: MODEL_FILE }.into())
        }
        _ => Ok(Checkpoint::load(path, device)?),
    }
}

fn mismatch(path: &Path, saved: ModelType, asked: ModelType) -> Failure {
    Failure::Message(format!(
        "{} holds a {saved} model, not {asked} (hint: use --type {saved}, or another work dir)",
        path.display()
    ))
}
