//! makemore: give it words, one per line, it makes more like them.
//!
//! ```text
//! makemore sample --input data/names.txt -n 5        # cexze, momasurailezitynn, konimittain, llayn, ka
//! makemore train --input data/names.txt --model neural --out names.mm
//! makemore sample --model names.mm -n 20
//! makemore eval --model names.mm --input data/names.txt
//! ```
//!
//! Every default is the lecture's: seed 2147483647, add-1 smoothing, learning rate 50,
//! regularization 0.01, 100 steps. Errors print one line, `error: ... (hint: ...)`, and exit
//! with status 1; a mistyped command line gets clap's usage message and status 2.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use makemore::{
    nll, read_words, sample, CountModel, Dataset, LanguageModel, Method, Model, NeuralModel,
    TrainConfig, Vocab, SEED,
};

// ---- Command line ----

/// Give it words, one per line, it makes more like them: a character-level n-gram language
/// model (Karpathy's makemore bigram lecture) over libtorch.
#[derive(Debug, Parser)]
#[command(name = "makemore", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a model on a words file and save it.
    Train(TrainArgs),
    /// Print names sampled from a saved model, or from a count model trained on the spot.
    Sample(SampleArgs),
    /// Print the mean negative log likelihood of a words file under a saved model.
    Eval(EvalArgs),
}

/// Which model to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// Normalized n-gram counts (the first half of the lecture).
    Counts,
    /// One linear layer trained by gradient descent (the second half).
    Neural,
}

/// How the neural model computes its loss; all give the same loss, to float rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LossMethod {
    /// The lecture: one_hot(xs) @ W, softmax, pick the probabilities of ys.
    OneHot,
    /// Pick rows W[xs] instead of multiplying by a one-hot matrix (less memory).
    Index,
    /// The fused cross_entropy loss (log_softmax), on the rows of W, picked at xs, ys.
    CrossEntropy,
    /// The loss from the count matrix alone (fastest).
    Counts,
}

#[derive(Debug, Args)]
struct TrainArgs {
    /// Words file to learn from: UTF-8 text, one word per line.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Which model to train.
    #[arg(long, value_enum, value_name = "KIND")]
    model: Kind,
    /// Characters of context: 1 = bigram, 2 = trigram.
    #[arg(long, value_name = "N", default_value_t = 1)]
    context: usize,
    /// Add-k smoothing of the counts ("fake counts"), >= 0 (counts model only).
    #[arg(
        long,
        value_name = "K",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    smoothing: f64,
    /// Gradient-descent steps (neural model only).
    #[arg(long, value_name = "S", default_value_t = 100)]
    steps: usize,
    /// Learning rate, >= 0; large because the net is tiny and the loss smooth (neural only).
    #[arg(
        long,
        value_name = "LR",
        default_value_t = 50.0,
        allow_negative_numbers = true
    )]
    lr: f64,
    /// Weight of the (W**2).mean() penalty, >= 0; acts like smoothing (neural only).
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0.01,
        allow_negative_numbers = true
    )]
    reg: f64,
    /// How the neural model computes its loss (neural only).
    #[arg(long, value_enum, value_name = "METHOD", default_value_t = LossMethod::OneHot)]
    method: LossMethod,
    /// Seed of torch's generator for the neural model's initial weights.
    #[arg(long, value_name = "SEED", default_value_t = SEED, allow_negative_numbers = true)]
    seed: i64,
    /// Where to save the model; the folder must exist.
    #[arg(long, value_name = "MODEL", default_value = "model.mm")]
    out: PathBuf,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["model", "input"]))]
struct SampleArgs {
    /// Saved model to sample from (made by `makemore train`).
    #[arg(long, value_name = "MODEL")]
    model: Option<PathBuf>,
    /// Or a words file: trains a count model on it in memory and samples from that.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// How many names to print; 0 prints nothing.
    #[arg(
        short = 'n',
        long = "count",
        value_name = "COUNT",
        default_value_t = 10
    )]
    count: usize,
    /// Seed of torch's generator: the same seed gives the same names.
    #[arg(long, value_name = "SEED", default_value_t = SEED, allow_negative_numbers = true)]
    seed: i64,
    /// Add-k smoothing of the in-memory count model, >= 0 (with --input) [default: 1]
    #[arg(
        long,
        value_name = "K",
        allow_negative_numbers = true,
        conflicts_with = "model"
    )]
    smoothing: Option<f64>,
    /// Characters of context of the in-memory count model (with --input) [default: 1]
    #[arg(long, value_name = "N", conflicts_with = "model")]
    context: Option<usize>,
}

#[derive(Debug, Args)]
struct EvalArgs {
    /// Saved model to score with (made by `makemore train`).
    #[arg(long, value_name = "MODEL")]
    model: PathBuf,
    /// Words file to score: UTF-8 text, one word per line.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
}

// ---- Errors and output ----

/// What went wrong, as one line for the user.
#[derive(Debug)]
enum Failure {
    /// A message to print after `error: `.
    Message(String),
    /// stdout was closed (e.g. `makemore sample | head`): stop quietly.
    BrokenPipe,
}

impl From<makemore::Error> for Failure {
    fn from(e: makemore::Error) -> Self {
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

type Outcome = std::result::Result<(), Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train(&args),
        Command::Sample(args) => sample_names(&args),
        Command::Eval(args) => eval(&args),
    };
    match result {
        Ok(()) | Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Message(message)) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::FAILURE
        }
    }
}

// ---- train ----

fn train(args: &TrainArgs) -> Outcome {
    check_folder(&args.out)?;
    let words = read_words(&args.input)?;
    let vocab = Vocab::from_words(&words)?;
    let (model, loss) = match args.model {
        Kind::Counts => {
            let model = CountModel::fit(&words, &vocab, args.context, args.smoothing)?;
            let loss = nll(&model, &words)?;
            (Model::Counts(model), loss)
        }
        Kind::Neural => {
            let (model, loss) = train_neural(args, &words, &vocab)?;
            (Model::Neural(model), loss)
        }
    };
    model.save(&args.out)?;
    eprintln_quiet(&format!(
        "saved the {} model ({} words, {} characters, context {}) to {}",
        model.kind(),
        words.len(),
        vocab.len(),
        model.context(),
        args.out.display()
    ));
    let mut out = std::io::stdout().lock();
    writeln!(out, "final loss: {loss}")?;
    Ok(())
}

/// Trains the neural model with a progress bar on a terminal, plain lines otherwise.
/// Returns the model and its last loss.
fn train_neural(
    args: &TrainArgs,
    words: &[String],
    vocab: &Vocab,
) -> Result<(NeuralModel, f64), Failure> {
    let cfg = TrainConfig {
        steps: args.steps,
        lr: args.lr,
        reg: args.reg,
        method: match args.method {
            LossMethod::OneHot => Method::OneHot,
            LossMethod::Index => Method::Index,
            LossMethod::CrossEntropy => Method::CrossEntropy,
            LossMethod::Counts => Method::Counts,
        },
    };
    let data = Dataset::new(words, vocab, args.context)?;
    let mut model = NeuralModel::new(vocab, args.context, args.seed)?;
    let steps = cfg.steps;
    let every = (steps / 20).max(1);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(steps as u64);
        let style = ProgressStyle::with_template("{bar:40} {pos}/{len} steps, loss {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    });
    let mut on_step = |step: usize, loss: f64| match &bar {
        Some(bar) => {
            bar.set_message(format!("{loss:.4}"));
            bar.inc(1);
        }
        None if (step + 1).is_multiple_of(every) || step + 1 == steps => {
            eprintln_quiet(&format!("step {}/{steps}: loss {loss:.4}", step + 1));
        }
        None => {}
    };
    let result = model.train_with(&data, &cfg, &mut on_step);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let losses = result?;
    let loss = match losses.last() {
        Some(&loss) => loss,
        // No steps: the loss of the initial weights.
        None => model
            .loss(&data, cfg.reg, cfg.method)?
            .f_double_value(&[])
            .map_err(makemore::Error::from)?,
    };
    Ok((model, loss))
}

// ---- sample ----

fn sample_names(args: &SampleArgs) -> Outcome {
    let model = match (&args.model, &args.input) {
        (Some(path), _) => load(path)?,
        (None, Some(input)) => {
            let words = read_words(input)?;
            let vocab = Vocab::from_words(&words)?;
            Model::Counts(CountModel::fit(
                &words,
                &vocab,
                args.context.unwrap_or(1),
                args.smoothing.unwrap_or(1.0),
            )?)
        }
        (None, None) => {
            return Err(Failure::Message(
                "give --model MODEL or --input FILE (hint: see `makemore sample --help`)"
                    .to_string(),
            ))
        }
    };
    let names = sample(&model, args.count, args.seed)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for name in &names {
        writeln!(out, "{}", name.strip_suffix('.').unwrap_or(name))?;
    }
    out.flush()?;
    Ok(())
}

// ---- eval ----

fn eval(args: &EvalArgs) -> Outcome {
    let model = load(&args.model)?;
    let words = read_words(&args.input)?;
    let loss = nll(&model, &words).map_err(|e| {
        Failure::Message(format!(
            "cannot score {} with the model {}: {e}",
            args.input.display(),
            args.model.display()
        ))
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "mean nll: {loss}")?;
    Ok(())
}

/// Fails before any work when the folder `out` goes into does not exist (saving checks again).
fn check_folder(out: &Path) -> Result<(), makemore::Error> {
    match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(makemore::Error::Io {
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

fn load(path: &Path) -> Result<Model, Failure> {
    Ok(Model::load(path)?)
}

/// A line on stderr; a closed stderr is not worth failing for.
fn eprintln_quiet(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
