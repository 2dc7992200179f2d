//! The command line's arguments: makemore.py's flags, the GPT lecture's for a text, the lecture's
//! models', and the `sample` and `eval` commands. What each flag does is the library's.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use makemore::prelude::*;
use makemore::train::{parse_device, Job};

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
}

const MM: &str = "makemore.py's flags";
const TEXT: &str = "A text as one stream (the GPT lecture's script)";
const LECTURE: &str = "The lecture's models (counts, neural)";

fn model_type() -> impl TypedValueParser<Value = ModelType> {
    let names: Vec<&str> = ModelType::all().map(ModelType::name).collect();
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
pub struct TrainArgs {
    /// Words file to learn from: UTF-8 text, one word per line [default: names.txt]
    #[arg(short, long = "input-file", visible_alias = "input", value_name = "FILE", help_heading = MM)]
    pub input: Option<PathBuf>,
    /// A text to learn from as one stream of characters, as the GPT lecture's script does: the
    /// first 90% to train on, windows of --block-size at random places; the defaults become the
    /// lecture's small model (gpt, batch 16, learning rate 1e-3, seed 1337).
    #[arg(long, value_name = "FILE", conflicts_with = "input", help_heading = TEXT)]
    pub text: Option<PathBuf>,
    /// A tokenizer for the text: a .model file of `makemore bpe train` (or minbpe); the model
    /// then reads and writes its byte-pair tokens instead of characters. The work dir's model
    /// keeps it, for sampling and resuming.
    #[arg(long, value_name = "MODEL", requires = "text", help_heading = TEXT)]
    pub tokenizer: Option<PathBuf>,
    /// Characters of context a model of a text reads (windows of this many) [default: 32]
    #[arg(long = "block-size", value_name = "N", requires = "text", help_heading = TEXT)]
    pub block_size: Option<usize>,
    /// Measure the losses (and keep the best model) every N steps.
    #[arg(long = "eval-every", value_name = "N", default_value_t = RunOptions::default().eval_every, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    pub eval_every: usize,
    /// Batches of each part of a text the losses are the mean of (the lecture's eval_iters).
    #[arg(long = "eval-batches", value_name = "M", default_value_t = TextOptions::default().eval_batches, requires = "text", help_heading = TEXT)]
    pub eval_batches: usize,
    /// The chance that dropout zeroes a value in training (gpt) [default: 0; gpt.py's: 0.2]
    #[arg(long, value_name = "P", help_heading = TEXT)]
    pub dropout: Option<f64>,
    /// Work dir: the best model (model.mm), the losses (losses.csv, losses.png); made if missing.
    #[arg(short = 'o', long = "work-dir", value_name = "DIR", default_value = "out", help_heading = MM)]
    pub work_dir: PathBuf,
    /// Which type of model [default: transformer]. Its alias --model names a type here, and a
    /// model file in `sample` and `eval`.
    #[arg(long = "type", visible_alias = "model", value_parser = model_type(), value_name = "TYPE", help_heading = MM)]
    pub kind: Option<ModelType>,
    /// Optimization steps of this run (a resumed run counts from where it resumes); -1 trains
    /// until Ctrl-C [default: -1; neural: 100]
    #[arg(long = "max-steps", visible_alias = "steps", value_name = "N", allow_negative_numbers = true, help_heading = MM)]
    pub max_steps: Option<i64>,
    /// Continue training the model in the work dir where it stopped.
    #[arg(long, help_heading = MM)]
    pub resume: bool,
    /// Print 50 names from the model in the work dir, in train / in test / new, and quit.
    #[arg(long = "sample-only", help_heading = MM)]
    pub sample_only: bool,
    /// Data loader workers: accepted for makemore.py's command lines, no effect here (batches
    /// are drawn in the training thread). With --text --sample-only: characters to generate
    /// [default: 500].
    #[arg(short = 'n', long = "num-workers", value_name = "N", help_heading = MM)]
    pub num_workers: Option<usize>,
    /// Seed of torch's generator: the split, the initial weights, the batches [default: 3407;
    /// counts and neural: 2147483647]
    #[arg(long, value_name = "SEED", allow_negative_numbers = true, help_heading = MM)]
    pub seed: Option<i64>,
    /// Where to train: cpu, cuda, cuda:N or mps.
    #[arg(long, value_name = "DEVICE", default_value = "cpu", help_heading = MM)]
    pub device: String,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// Transformer blocks, or wavenet levels (a context of 2^N characters) [default: 4; wavenet: 3]
    #[arg(long = "n-layer", value_name = "N", help_heading = MM)]
    pub n_layer: Option<usize>,
    /// Attention heads per block (they split n-embd).
    #[arg(long = "n-head", value_name = "N", default_value_t = ModelConfig::default().n_head, help_heading = MM)]
    pub n_head: usize,
    /// Width of the embeddings (and of the Transformer) [default: 64; wavenet: 24]
    #[arg(long = "n-embd", value_name = "N", help_heading = MM)]
    pub n_embd: Option<usize>,
    /// Width of the hidden layer (MLP, BoW, each wavenet level) or the hidden state (RNN, GRU)
    /// [default: 64; wavenet: 128]
    #[arg(long = "n-embd2", value_name = "N", help_heading = MM)]
    n_embd2: Option<usize>,
    /// Words (or windows of a text) per optimization step [default: 32; with --text: 16]
    #[arg(short, long = "batch-size", value_name = "N", help_heading = MM)]
    pub batch_size: Option<usize>,
    /// Learning rate [default: 5e-4; neural: 50, large because the net is tiny and the loss
    /// smooth; with --text: 1e-3]
    #[arg(short, long = "learning-rate", visible_alias = "lr", value_name = "LR", allow_negative_numbers = true, help_heading = MM)]
    pub learning_rate: Option<f64>,
    /// AdamW's weight decay.
    #[arg(short, long = "weight-decay", value_name = "WD", default_value_t = TrainOptions::default().weight_decay, allow_negative_numbers = true, help_heading = MM)]
    pub weight_decay: f64,
    /// Save the model to this file instead of WORK_DIR/model.mm, and write no logs (`-o` names
    /// a work dir, `--out` a file).
    #[arg(long, value_name = "MODEL_FILE", conflicts_with = "work_dir")]
    pub out: Option<PathBuf>,
    /// Train over a saved model (without --resume, a work dir or --out file that holds one is
    /// refused, so that no trained model is lost by accident).
    #[arg(long)]
    pub overwrite: bool,
    /// Threads of torch's CPU ops [default: torch's own (as makemore.py); 1 for the lecture's
    /// fast methods]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    pub threads: Option<i32>,
    /// Characters of context: 1 = bigram, 2 = trigram.
    #[arg(long, value_name = "N", default_value_t = CountModel::CONTEXT, help_heading = LECTURE)]
    pub context: usize,
    /// Add-k smoothing of the counts ("fake counts"), >= 0 (counts).
    #[arg(long, value_name = "K", default_value_t = CountModel::SMOOTHING, allow_negative_numbers = true, help_heading = LECTURE)]
    pub smoothing: f64,
    /// Weight of the (W**2).mean() penalty, >= 0; acts like smoothing (neural).
    #[arg(long, value_name = "R", default_value_t = TrainConfig::default().reg, allow_negative_numbers = true, help_heading = LECTURE)]
    pub reg: f64,
    /// How the net computes its loss; all give the lecture's losses (neural) [default: counts]
    #[arg(long, value_parser = method(), value_name = "METHOD", help_heading = LECTURE)]
    pub method: Option<Method>,
}

/// How to sample; the defaults are the model's own probabilities.
#[derive(Debug, Args)]
pub struct SamplingArgs {
    /// Draw only among the K likeliest characters; -1 draws among all (makemore.py's default).
    #[arg(long = "top-k", value_name = "K", default_value = "-1", value_parser = top_k, allow_negative_numbers = true)]
    pub top_k: TopK,
    /// Divide the logits by T: below 1 the likely characters get likelier (near 0: the likeliest
    /// name), above 1 less so.
    #[arg(long, value_name = "T", default_value_t = Sampling::default().temperature, allow_negative_numbers = true)]
    pub temperature: f64,
    /// Names that start with these characters: the model continues them.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub prefix: String,
}

#[derive(Debug, Clone, Copy)]
pub struct TopK(pub Option<usize>);

fn top_k(k: &str) -> Result<TopK, String> {
    match k.parse::<i64>() {
        Ok(-1) => Ok(TopK(None)),
        Ok(k) if k >= 1 => Ok(TopK(Some(k as usize))),
        _ => Err("it must be at least 1, or -1 for no limit".into()),
    }
}

impl SamplingArgs {
    /// The sampling of these flags with `seed`.
    pub fn sampling(&self, seed: i64) -> Sampling {
        Sampling { seed, temperature: self.temperature, top_k: self.top_k.0 }
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
    /// A words file: with a model, the names are grouped as in train / in test / new; alone,
    /// a count model is trained on it in memory and sampled.
    #[arg(short, long, visible_alias = "input-file", value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// How many names to print (0 prints nothing); of a model of a text, how many characters
    /// [default: 10 names; 500 characters]
    #[arg(short = 'n', long = "count", value_name = "COUNT")]
    pub count: Option<usize>,
    /// Seed of the sampling: the same seed gives the same names.
    #[arg(long, value_name = "SEED", default_value_t = Sampling::default().seed, allow_negative_numbers = true)]
    pub seed: i64,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// Add-k smoothing of the in-memory count model, >= 0 (with --input alone) [default: 1]
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub smoothing: Option<f64>,
    /// Characters of context of the in-memory count model (with --input alone) [default: 1]
    #[arg(long, value_name = "N")]
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
        Ok(Job {
            words: self.input.clone(),
            text: self.text.clone(),
            tokenizer: self.tokenizer.clone(),
            kind: self.kind,
            output: self.out.as_ref().map_or(Output::dir(&self.work_dir), Output::file),
            resume: self.resume,
            overwrite: self.overwrite,
            n_layer: self.n_layer,
            n_head: Some(self.n_head),
            n_embd: self.n_embd,
            n_embd2: self.n_embd2,
            dropout: self.dropout,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            weight_decay: Some(self.weight_decay),
            seed: self.seed,
            device: parse_device(&self.device)?,
            max_steps: self.max_steps,
            eval_every: Some(self.eval_every),
            block_size: self.block_size,
            eval_batches: Some(self.eval_batches),
            context: Some(self.context),
            smoothing: Some(self.smoothing),
            reg: Some(self.reg),
            method: self.method,
            threads: self.threads,
            sampling: self.sampling.sampling(0),
        })
    }
}
