//! The command line's arguments: makemore.py's flags, the GPT lecture's for a text, the lecture's
//! models', and the `sample` and `eval` commands. Each default shown is read from its preset.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use makemore::prelude::*;
use makemore::train::{job::Data, parse_device, saved::Source, Job};

/// Give it words, one per line, it makes more like them: character-level language models from
/// Karpathy's makemore lecture (counts, a one-layer net) to makemore.py's MLP, RNN, GRU, bag of
/// words and Transformer, part 5's WaveNet and the GPT lecture's Transformer, over libtorch.
/// `makemore [FLAGS]` trains, as makemore.py does; `makemore --text FILE` trains on a text.
#[derive(Debug, Parser)]
#[command(name = "makemore", version, args_conflicts_with_subcommands = true)]
#[command(arg_required_else_help = true, infer_long_args = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub train: TrainArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model on a words file and save it (the default command).
    Train(Box<TrainArgs>),
    /// Print names sampled from a saved model, or from a count model trained on the spot.
    Sample(SampleArgs),
    /// Print the mean negative log likelihood of a words file under a saved model.
    Eval(EvalArgs),
    #[command(about = crate::bpe::ABOUT)]
    Bpe(crate::bpe::BpeArgs),
    /// GPT-2 as the lecture "Let's reproduce GPT-2 (124M)" trains it: shards, training, samples, HellaSwag.
    Gpt2 {
        #[command(subcommand)]
        command: crate::gpt2::Gpt2Command,
    },
}

const MM: &str = "makemore.py's flags";
const TEXT: &str = "A text as one stream (the GPT lecture's script)";
const LECTURE: &str = "The lecture's models (counts, neural)";
const WORDS: TrainOptions = TrainOptions::makemore_py();
const GPT: TrainOptions = TrainOptions::gpt_lecture();
const NET: TrainConfig = TrainConfig::lecture();

/// A help line with its default.
fn d(help: &str, default: impl std::fmt::Display) -> String {
    format!("{help} [default: {default}]")
}

/// A value among `names`, parsed by its type's own `FromStr`.
fn one_of<T>(names: Vec<&'static str>) -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(names).map(|s| s.parse::<T>().ok().expect("a listed name"))
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[arg(short, long = "input-file", visible_alias = "input", value_name = "FILE", help_heading = MM, help = d("Words file to learn from: UTF-8 text, one word per line", Data::WORDS))]
    pub input: Option<PathBuf>,
    /// A text to learn from as one stream, as the GPT lecture's script does (90% to train on)
    #[arg(long, value_name = "FILE", conflicts_with = "input", help_heading = TEXT)]
    pub text: Option<PathBuf>,
    /// A tokenizer (.model of `makemore bpe train`): the model reads and writes its tokens
    #[arg(long, value_name = "MODEL", requires = "text", help_heading = TEXT)]
    pub tokenizer: Option<PathBuf>,
    /// Characters of context a model of a text reads (windows of this many).
    #[arg(long = "block-size", value_name = "N", requires = "text", help_heading = TEXT, default_value_t = TextOptions::gpt_lecture().block_size)]
    pub block_size: usize,
    /// Measure the losses (and keep the best model) every N steps.
    #[arg(long = "eval-every", value_name = "N", default_value_t = RunOptions::default().eval_every, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    pub eval_every: usize,
    /// Batches of each part of a text the losses are the mean of (the lecture's eval_iters).
    #[arg(long = "eval-batches", value_name = "M", default_value_t = TextOptions::gpt_lecture().eval_batches, requires = "text", help_heading = TEXT)]
    pub eval_batches: usize,
    #[arg(long, value_name = "P", help_heading = TEXT, help = d("The chance that dropout zeroes a value in training (gpt); gpt.py's is 0.2", ModelConfig::defaults_of("dropout")))]
    pub dropout: Option<f64>,
    /// Work dir: the best model (model.mm), the losses (losses.csv, losses.png)
    #[arg(short = 'o', long = "work-dir", value_name = "DIR", default_value = "out", help_heading = MM)]
    pub work_dir: PathBuf,
    #[arg(long = "type", visible_alias = "model", value_parser = one_of::<ModelType>(ModelType::all().map(ModelType::name).collect()), value_name = "TYPE", help_heading = MM,
        help = d("Which type of model; its alias --model names a type here, a model file in `sample` and `eval`", format!("{}; with --text: {}", ModelType::Transformer, TextOptions::gpt_lecture().kind)))]
    pub kind: Option<ModelType>,
    #[arg(long = "max-steps", visible_alias = "steps", value_name = "N", allow_negative_numbers = true, help_heading = MM,
        help = d("Optimization steps of this run (a resumed run counts from where it resumes); -1 trains until Ctrl-C", format!("-1; neural: {}", NET.steps)))]
    pub max_steps: Option<i64>,
    /// Continue training the model in the work dir where it stopped.
    #[arg(long, help_heading = MM)]
    pub resume: bool,
    #[arg(long = "sample-only", help_heading = MM, help = format!("Print {} names from the model in the work dir, in train / in test / new, and quit", Checkpoint::SAMPLE_ONLY_NAMES))]
    pub sample_only: bool,
    #[arg(short = 'n', long = "num-workers", value_name = "N", help_heading = MM, help = d("Data loader workers: accepted for makemore.py's command lines, no effect here. With --text --sample-only: characters to generate", TextOptions::gpt_lecture().chars))]
    pub num_workers: Option<usize>,
    #[arg(long, value_name = "SEED", allow_negative_numbers = true, help_heading = MM,
        help = d("Seed of torch's generator: the split, the initial weights, the batches, the samples", format!("{}; with --text: {}; counts and neural: {}", WORDS.seed, GPT.seed, makemore::SEED)))]
    pub seed: Option<i64>,
    /// Where to train: cpu, cuda, cuda:N or mps.
    #[arg(long, value_name = "DEVICE", default_value = "cpu", help_heading = MM)]
    pub device: String,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    #[arg(long = "n-layer", value_name = "N", help_heading = MM, help = d("Transformer blocks, or wavenet levels (a context of 2^N characters)", ModelConfig::defaults_of("n_layer")))]
    pub n_layer: Option<usize>,
    #[arg(long = "n-head", value_name = "N", help_heading = MM, help = d("Attention heads per block (they split n-embd)", ModelConfig::defaults_of("n_head")))]
    pub n_head: Option<usize>,
    #[arg(long = "n-embd", value_name = "N", help_heading = MM, help = d("Width of the embeddings (and of the Transformer)", ModelConfig::defaults_of("n_embd")))]
    pub n_embd: Option<usize>,
    #[arg(long = "n-embd2", value_name = "N", help_heading = MM, help = d("Width of the hidden layer (MLP, BoW, each wavenet level) or the hidden state (RNN, GRU)", ModelConfig::defaults_of("n_embd2")))]
    pub n_embd2: Option<usize>,
    #[arg(short, long = "batch-size", value_name = "N", help_heading = MM, help = d("Words (or windows of a text) per optimization step", format!("{}; with --text: {}", WORDS.batch_size, GPT.batch_size)))]
    pub batch_size: Option<usize>,
    #[arg(short, long = "learning-rate", visible_alias = "lr", value_name = "LR", allow_negative_numbers = true, help_heading = MM,
        help = d("Learning rate", format!("{}; with --text: {}; neural: {}, large because the net is tiny and the loss smooth", WORDS.learning_rate, GPT.learning_rate, NET.learning_rate)))]
    pub learning_rate: Option<f64>,
    #[arg(short, long = "weight-decay", value_name = "WD", allow_negative_numbers = true, help_heading = MM, help = d("AdamW's weight decay", WORDS.weight_decay))]
    pub weight_decay: Option<f64>,
    /// Save the model to this file instead of WORK_DIR/model.mm, and write no logs
    #[arg(long, value_name = "MODEL_FILE", conflicts_with = "work_dir")]
    pub out: Option<PathBuf>,
    /// Train over a saved model (else one is never replaced)
    #[arg(long)]
    pub overwrite: bool,
    /// Threads of torch's CPU ops [default: torch's own; 1 for the lecture's fast methods]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    pub threads: Option<i32>,
    /// Characters of context: 1 = bigram, 2 = trigram.
    #[arg(long, value_name = "N", default_value_t = CountModel::CONTEXT, help_heading = LECTURE)]
    pub context: usize,
    /// Add-k smoothing of the counts ("fake counts"), >= 0 (counts).
    #[arg(long, value_name = "K", default_value_t = CountModel::SMOOTHING, allow_negative_numbers = true, help_heading = LECTURE)]
    pub smoothing: f64,
    /// Weight of the (W**2).mean() penalty, >= 0; acts like smoothing (neural).
    #[arg(long, value_name = "R", default_value_t = NET.reg, allow_negative_numbers = true, help_heading = LECTURE)]
    pub reg: f64,
    /// How the net computes its loss; all give the lecture's losses (neural).
    #[arg(long, value_parser = one_of::<Method>(Method::NAMES.to_vec()), value_name = "METHOD", default_value_t = NET.method, help_heading = LECTURE)]
    pub method: Method,
}

/// How to sample; the defaults are the model's own probabilities.
#[derive(Debug, Args)]
pub struct SamplingArgs {
    /// Draw only among the K likeliest characters; -1 among all (makemore.py's default)
    #[arg(long = "top-k", value_name = "K", default_value_t = -1, value_parser = top_k, allow_negative_numbers = true)]
    pub top_k: i64,
    /// Divide the logits by T: below 1 the likely characters get likelier, above 1 less so
    #[arg(long, value_name = "T", default_value_t = Sampling::default().temperature, allow_negative_numbers = true)]
    pub temperature: f64,
    /// Names that start with these characters: the model continues them.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub prefix: String,
}

fn top_k(k: &str) -> Result<i64, String> {
    k.parse()
        .ok()
        .filter(|&k| k == -1 || k >= 1)
        .ok_or("it must be at least 1, or -1 for no limit".into())
}

impl SamplingArgs {
    /// The sampling of these flags (its seed is the command's).
    pub fn sampling(&self) -> Sampling {
        let top_k = usize::try_from(self.top_k).ok();
        Sampling { temperature: self.temperature, top_k, ..Sampling::default() }
    }
}

/// Where a saved model is: `--model FILE`, or the work dir that holds `model.mm`.
#[derive(Debug, Args)]
pub struct ModelPath {
    /// A model file (made by `makemore train --out`).
    #[arg(long, value_name = "MODEL_FILE")]
    pub model: Option<PathBuf>,
    /// The work dir of a training run: its model is WORK_DIR/model.mm.
    #[arg(short = 'o', long = "work-dir", value_name = "DIR", conflicts_with = "model")]
    pub work_dir: Option<PathBuf>,
}

impl ModelPath {
    /// The saved model's place, if one is named.
    pub fn output(&self) -> Option<Output> {
        let file = self.model.as_ref().map(Output::file);
        file.or(self.work_dir.as_ref().map(Output::dir))
    }
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).multiple(true).args(["model", "work_dir", "input"]))]
pub struct SampleArgs {
    #[command(flatten)]
    pub from: ModelPath,
    /// Words: with a model, names are grouped as in train / in test / new; alone, a count model
    #[arg(short, long, visible_alias = "input-file", value_name = "FILE")]
    pub input: Option<PathBuf>,
    #[arg(short = 'n', long = "count", value_name = "COUNT", help = d("How many names to print; of a model of a text, characters", format!("{}; {}", Checkpoint::NAMES, TextOptions::gpt_lecture().chars)))]
    pub count: Option<usize>,
    #[arg(long, value_name = "SEED", allow_negative_numbers = true, help = d("Seed of the sampling: the same seed gives the same names", format!("the one the model's type trains with: {}; of a text: {}; counts and neural: {}", WORDS.seed, GPT.seed, makemore::SEED)))]
    pub seed: Option<i64>,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    #[arg(long, value_name = "K", allow_negative_numbers = true, help = d("Add-k smoothing of the in-memory count model, >= 0 (with --input alone)", CountModel::SMOOTHING))]
    pub smoothing: Option<f64>,
    #[arg(long, value_name = "N", help = d("Characters of context of the in-memory count model (with --input alone)", CountModel::CONTEXT))]
    pub context: Option<usize>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["model", "work_dir"]))]
pub struct EvalArgs {
    #[command(flatten)]
    pub from: ModelPath,
    /// Words file to score: UTF-8 text, one word per line.
    #[arg(short, long, visible_alias = "input-file", value_name = "FILE")]
    pub input: PathBuf,
}

impl TrainArgs {
    /// The training these flags ask for.
    pub fn job(&self) -> Result<Job> {
        let data = match &self.text {
            Some(file) => {
                let options = TextOptions {
                    block_size: self.block_size,
                    eval_batches: self.eval_batches,
                    ..TextOptions::gpt_lecture()
                };
                Data::Text { file: file.clone(), tokenizer: self.tokenizer.clone(), options }
            }
            None => Data::Words(self.input.clone().unwrap_or(Data::WORDS.into())),
        };
        let sizes =
            [self.n_layer, self.n_head, self.n_embd, self.n_embd2].map(|n| n.map(|n| n as f64));
        let given = ["n_layer", "n_head", "n_embd", "n_embd2", "dropout"]
            .into_iter()
            .zip(sizes.into_iter().chain([self.dropout]));
        let output = self.out.as_ref().map_or(Output::dir(&self.work_dir), Output::file);
        Ok(Job {
            kind: self.kind,
            config: ModelConfig::given(given),
            resume: self.resume,
            overwrite: self.overwrite,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            weight_decay: self.weight_decay,
            seed: self.seed,
            device: parse_device(&self.device)?,
            max_steps: self.max_steps,
            eval_every: self.eval_every,
            lecture: TrainConfig { reg: self.reg, method: self.method, ..NET },
            context: self.context,
            smoothing: self.smoothing,
            threads: self.threads,
            sampling: self.sampling.sampling(),
            ..Job::new(data, output)
        })
    }
}

impl SampleArgs {
    /// Where to sample from.
    pub fn source(&self) -> Result<Source> {
        Source::new(self.from.output(), self.context, self.smoothing)
    }
}
