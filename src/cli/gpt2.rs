//! `makemore gpt2`: build-nanogpt's scripts as commands: `prepare` (fineweb.py), `train`
//! (train_gpt2.py), `sample` (its generation), `hellaswag` (hellaswag.py). Their flags are the
//! scripts' constants, their defaults the scripts' values (`Setup::lecture`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use makemore::bpe::{AllowedSpecial, Tokenizer};
use makemore::gpt2::{hellaswag, shards, Config, Gpt2, Setup, Trainer};
use makemore::prelude::*;

const L: Setup = Setup::lecture();

#[derive(Debug, Subcommand)]
pub enum Gpt2Command {
    /// FineWeb-style shards of GPT-2 tokens, as fineweb.py writes them.
    Prepare {
        /// Input files: .jsonl with a "text" field per line (FineWeb's), or texts, one document each.
        #[arg(short, long = "input", required = true, num_args = 1..)]
        input: Vec<PathBuf>,
        /// Folder for the shards.
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long, default_value_t = shards::SHARD_SIZE, help = "Tokens per shard")]
        shard_size: usize,
        #[arg(long, default_value = shards::NAME, help = "Shard names: {name}_{val|train}_{index:06d}.npy")]
        name: String,
    },
    /// Train GPT-2 on shards: train_gpt2.py's loop, lines and log.
    Train(Box<TrainArgs>),
    /// Sample from a model folder: the lecture's generation loop, `> text` lines.
    Sample {
        #[arg(long)]
        model: PathBuf,
        #[arg(long, default_value = "Hello, I'm a language model,")]
        prompt: String,
        #[arg(long, default_value_t = 5)]
        num_return_sequences: usize,
        #[arg(long, default_value_t = 30)]
        max_length: usize,
        #[arg(long, default_value_t = 50)]
        top_k: usize,
        #[arg(long, default_value_t = 42)]
        seed: i64,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// HellaSwag's completion-style accuracy of a model folder, hellaswag.py's lines.
    Hellaswag {
        #[arg(long)]
        model: PathBuf,
        /// HellaSwag jsonl (hellaswag_val.jsonl).
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        device: DeviceArg,
    },
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Folder of shards (`makemore gpt2 prepare`).
    #[arg(long)]
    data: PathBuf,
    #[arg(short = 'B', default_value_t = L.b, help = "Micro-batch rows")]
    b: usize,
    #[arg(short = 'T', default_value_t = L.t, help = "Tokens per row")]
    t: usize,
    #[arg(long, default_value_t = L.total_batch_size, help = "Tokens per step (gradient accumulation fills it)")]
    total_batch_size: usize,
    #[arg(long, default_value_t = L.max_lr, help = "Learning rate after the warmup")]
    max_lr: f64,
    #[arg(long, default_value_t = L.min_lr_ratio, help = "The cosine ends at max_lr times this")]
    min_lr_ratio: f64,
    #[arg(long, default_value_t = L.warmup_steps, help = "Steps of linear warmup")]
    warmup_steps: usize,
    #[arg(long, default_value_t = L.max_steps, help = "Steps (19,073: an epoch of 10B tokens)")]
    max_steps: usize,
    #[arg(long, default_value_t = L.weight_decay, help = "AdamW's decay of the 2-D tensors")]
    weight_decay: f64,
    #[arg(long, default_value_t = L.eval_every, help = "Validation, HellaSwag and samples every N steps")]
    eval_every: usize,
    #[arg(long, default_value_t = L.val_steps, help = "Batches of the validation loss")]
    val_steps: usize,
    #[arg(long, default_value_t = L.checkpoint_every, help = "Checkpoint every N steps (and at the end)")]
    checkpoint_every: usize,
    #[arg(long, default_value_t = L.seed, help = "torch.manual_seed before the model is made")]
    seed: i64,
    #[arg(long, default_value = "log", help = "Folder of log.txt and the checkpoints")]
    log_dir: PathBuf,
    /// A preset: gpt2, gpt2-medium, gpt2-large, gpt2-xl, d12 (the lecture's); sizes below override it.
    #[arg(long, default_value = "d12")]
    model: String,
    #[arg(long, help = "Transformer blocks")]
    n_layer: Option<usize>,
    #[arg(long, help = "Attention heads (they split n_embd)")]
    n_head: Option<usize>,
    #[arg(long, help = "Width of the residual stream")]
    n_embd: Option<usize>,
    #[arg(long, help = "Longest sequence (positions)")]
    block_size: Option<usize>,
    #[arg(long, help = "Tokens (50304: GPT-2's 50257 padded)")]
    vocab_size: Option<usize>,
    /// Start from a Hugging Face GPT-2 folder (or one of our checkpoints) instead of a new model.
    #[arg(long, conflicts_with = "resume")]
    init_from: Option<PathBuf>,
    /// Continue exactly from a checkpoint folder (log/model_NNNNN).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// HellaSwag jsonl to evaluate on (none: no HellaSwag).
    #[arg(long)]
    hellaswag: Option<PathBuf>,
    /// bfloat16 is the lecture's autocast: on a GPU twice the speed, on a CPU faster only with
    /// bfloat16 instructions (AVX-512 BF16, AMX), else several times slower [default: bfloat16 on
    /// CUDA, float32 elsewhere].
    #[arg(long, value_parser = ["float32", "bfloat16"])]
    dtype: Option<String>,
    #[command(flatten)]
    device: DeviceArg,
}

#[derive(Debug, Args)]
pub struct DeviceArg {
    /// cpu, cuda, cuda:N or mps.
    #[arg(long, default_value = "cpu")]
    device: String,
}

impl DeviceArg {
    fn get(&self) -> Result<Device> {
        makemore::train::parse_device(&self.device)
    }
}

/// Runs a `gpt2` command, printing its lines.
pub fn run(command: &Gpt2Command, out: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
    match command {
        Gpt2Command::Prepare { input, output, shard_size, name } => {
            let docs =
                input.iter().map(|p| shards::read_documents(p)).collect::<Result<Vec<_>>>()?;
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let bar = indicatif::ProgressBar::new_spinner();
            let written = shards::write(
                docs.into_iter().flatten(),
                output,
                name,
                *shard_size,
                threads,
                |n| {
                    bar.set_message(format!("{n} tokens"));
                },
            )?;
            bar.finish_and_clear();
            written.iter().try_for_each(|p| out(&format!("wrote {}", p.display())))
        }
        Gpt2Command::Train(a) => train(a, out),
        Gpt2Command::Sample {
            model,
            prompt,
            num_return_sequences,
            max_length,
            top_k,
            seed,
            device,
        } => {
            let model = Gpt2::from_pretrained(model)?.to_device(device.get()?)?;
            let enc = Tokenizer::gpt2()?;
            let ids = enc.encode(prompt, &AllowedSpecial::NoneRaise)?;
            let n = *num_return_sequences;
            for row in with_torch_seed(*seed, || model.generate(&ids, n, *max_length, *top_k))? {
                out(&format!("> {}", enc.decode(&row)?))?;
            }
            Ok(())
        }
        Gpt2Command::Hellaswag { model, data, device } => {
            let model = Gpt2::from_pretrained(model)?.to_device(device.get()?)?;
            let enc = Tokenizer::gpt2()?;
            let (mut n, mut correct) = (0, 0);
            for example in hellaswag::read_examples(data)? {
                let s = hellaswag::score(&model, &example, &enc)?;
                (n, correct) = (n + 1, correct + usize::from(s.pred_norm == s.label));
                out(&format!("{n} acc_norm: {correct}/{n}={:.4}", correct as f64 / n as f64))?;
                if n < 10 {
                    out(&format!("---\nContext:\n {}\nEndings:", example.ctx))?;
                    for (i, end) in example.endings.iter().enumerate() {
                        out(&format!("{i} (loss: {:.4}) {end}", s.losses[i]))?;
                    }
                    out(&format!("predicted: {}, actual: {}", s.pred_norm, s.label))?;
                }
            }
            Ok(())
        }
    }
}

fn train(a: &TrainArgs, out: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
    let device = a.device.get()?;
    let setup = Setup {
        b: a.b,
        t: a.t,
        total_batch_size: a.total_batch_size,
        max_lr: a.max_lr,
        min_lr_ratio: a.min_lr_ratio,
        warmup_steps: a.warmup_steps,
        max_steps: a.max_steps,
        weight_decay: a.weight_decay,
        eval_every: a.eval_every,
        val_steps: a.val_steps,
        checkpoint_every: a.checkpoint_every,
        seed: a.seed,
        autocast: a.dtype.as_deref().map_or(device.is_cuda(), |d| d == "bfloat16"),
    };
    setup.grad_accum_steps(1)?; // the inputs checked before a model is made
    shards::list(&a.data, "train")?;
    shards::list(&a.data, "val")?;
    let hellaswag = a.hellaswag.as_deref();
    let (mut trainer, lines) = match &a.resume {
        Some(dir) => Trainer::resume(dir, &a.data, &a.log_dir, hellaswag, setup, device)?,
        None => {
            let model = match &a.init_from {
                Some(dir) => Gpt2::from_pretrained(dir)?,
                None => {
                    let c = Config::named(&a.model)?;
                    let config = Config {
                        n_layer: a.n_layer.unwrap_or(c.n_layer),
                        n_head: a.n_head.unwrap_or(c.n_head),
                        n_embd: a.n_embd.unwrap_or(c.n_embd),
                        block_size: a.block_size.unwrap_or(c.block_size),
                        vocab_size: a.vocab_size.unwrap_or(c.vocab_size),
                    };
                    manual_seed(setup.seed);
                    Gpt2::new(&config)?
                }
            };
            Trainer::new(model.to_device(device)?, &a.data, &a.log_dir, hellaswag, setup)?
        }
    };
    lines.iter().try_for_each(|l| out(l))?;
    while !trainer.done() {
        trainer.step()?.iter().try_for_each(|l| out(l))?;
    }
    Ok(())
}
