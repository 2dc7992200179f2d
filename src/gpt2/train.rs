//! The lecture's last training loop (build-nanogpt's `train_gpt2.py` at its last commit): a
//! step is `grad_accum_steps` micro-batches of `B x T` tokens whose gradients add up to one
//! batch of `total_batch_size` tokens, clipped to norm 1, then AdamW at the cosine schedule's
//! rate; every `eval_every` steps (and at the last) the validation loss, HellaSwag and samples;
//! `log.txt` and checkpoints. Each line is the lecture's; nothing is printed here: the lines are
//! returned for the caller to print.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use tch::{Kind, Tensor};

use super::hellaswag::{self, Example};
use super::{clip_grad_norm, configure_optimizers, CosineLr, DataLoaderLite, Gpt2};
use crate::bpe::{AllowedSpecial, Tokenizer};
use crate::error::{Error, Result};
use crate::train::AdamW;

/// The loop's constants, `train_gpt2.py`'s values by default ([`Setup::lecture`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// Micro-batch rows, and tokens per row.
    pub b: usize,
    pub t: usize,
    /// Tokens per optimizer step: `B * T * grad_accum_steps * processes`.
    pub total_batch_size: usize,
    pub max_lr: f64,
    /// `min_lr = max_lr * min_lr_ratio`.
    pub min_lr_ratio: f64,
    pub warmup_steps: usize,
    pub max_steps: usize,
    pub weight_decay: f64,
    /// Validation loss, HellaSwag and samples every this many steps, and at the last.
    pub eval_every: usize,
    /// Batches of the validation loss.
    pub val_steps: usize,
    /// A checkpoint every this many steps (at an evaluation), and at the last.
    pub checkpoint_every: usize,
    /// `torch.manual_seed`, before the model is made.
    pub seed: i64,
    /// Forward under bfloat16 autocast ([`Gpt2::set_autocast`]).
    pub autocast: bool,
}

impl Setup {
    /// `train_gpt2.py`'s: 2^19 tokens a step in micro-batches of 64 x 1024, max lr 6e-4 warmed
    /// up over 715 steps and decayed to a tenth at step 19,073 (~1 epoch of 10B tokens), weight
    /// decay 0.1, an evaluation every 250 steps on 20 validation batches, a checkpoint every
    /// 5,000, seed 1337, bfloat16 autocast.
    pub const fn lecture() -> Setup {
        Setup {
            b: 64,
            t: 1024,
            total_batch_size: 524_288,
            max_lr: 6e-4,
            min_lr_ratio: 0.1,
            warmup_steps: 715,
            max_steps: 19_073,
            weight_decay: 0.1,
            eval_every: 250,
            val_steps: 20,
            checkpoint_every: 5_000,
            seed: 1337,
            autocast: true,
        }
    }

    /// `total_batch_size // (B * T * processes)`.
    ///
    /// # Errors
    /// [`Error::Param`] when it does not divide (the lecture asserts), or a size is 0.
    pub fn grad_accum_steps(&self, processes: usize) -> Result<usize> {
        let micro = self.b * self.t * processes;
        if micro == 0 || self.total_batch_size == 0 || !self.total_batch_size.is_multiple_of(micro)
        {
            let value = format!("{} with B * T * processes = {micro}", self.total_batch_size);
            let why = "a step adds whole micro-batches of every process";
            let hint = format!(
                "use a multiple of {micro}, e.g. {}, or B and T that divide it",
                micro * (self.total_batch_size / micro.max(1)).max(1)
            );
            return Err(Error::Param { name: "total batch size", value, why, hint });
        }
        if self.max_steps == 0
            || self.eval_every == 0
            || self.val_steps == 0
            || self.checkpoint_every == 0
        {
            let why =
                "steps, and the intervals between evaluations and checkpoints, are at least 1";
            return Err(Error::param("steps", 0, why, "give each a whole number >= 1"));
        }
        Ok(self.total_batch_size / micro)
    }

    /// The learning rate's schedule: `get_lr`.
    pub fn schedule(&self) -> CosineLr {
        CosineLr {
            max_lr: self.max_lr,
            min_lr: self.max_lr * self.min_lr_ratio,
            warmup_steps: self.warmup_steps,
            max_steps: self.max_steps,
        }
    }
}

/// The prompt of the samples: `"Hello, I'm a language model,"`.
pub const PROMPT: &str = "Hello, I'm a language model,";

/// The loop of `train_gpt2.py` on one process.
#[derive(Debug)]
pub struct Trainer {
    pub model: Gpt2,
    optimizer: AdamW,
    train: DataLoaderLite,
    val: DataLoaderLite,
    setup: Setup,
    grad_accum: usize,
    step: usize,
    /// An evaluation already done and logged (a resumed run's first step).
    evaluated: Option<usize>,
    log_dir: PathBuf,
    hellaswag: Vec<Example>,
    enc: Tokenizer,
}

impl Trainer {
    /// The loop on `model` (made after `torch.manual_seed(setup.seed)`, or read) over the shards
    /// in `data`, logging into `log_dir` (made; its `log.txt` cleared), HellaSwag from its jsonl
    /// when given; the lines the lecture prints before its loop.
    ///
    /// # Errors
    /// [`Error::Param`] for sizes that do not fit (the batch, the model's block size); the
    /// shards', HellaSwag's and the log's read and write errors.
    pub fn new(
        model: Gpt2,
        data: &Path,
        log_dir: &Path,
        hellaswag: Option<&Path>,
        setup: Setup,
    ) -> Result<(Trainer, Vec<String>)> {
        let (trainer, lines) = Trainer::build(model, data, log_dir, hellaswag, setup)?;
        crate::io::write_atomic(&log_dir.join("log.txt"), b"")?;
        Ok((trainer, lines))
    }

    /// Continues a run from its checkpoint `dir` (`log/model_NNNNN`, which [`Trainer::step`]
    /// writes): the model, AdamW's moments and step, the training data's position; the next step
    /// is the checkpoint's, its evaluation not done again; `log.txt` keeps its lines before it.
    /// The same data and setup give the lines the run would have printed. The model goes to
    /// `device`.
    ///
    /// # Errors
    /// As [`Trainer::new`]; [`Error::Saved`] for a checkpoint folder without its files.
    pub fn resume(
        dir: &Path,
        data: &Path,
        log_dir: &Path,
        hellaswag: Option<&Path>,
        setup: Setup,
        device: tch::Device,
    ) -> Result<(Trainer, Vec<String>)> {
        let bad = |why: String| Error::Saved {
            path: dir.to_path_buf(),
            why,
            hint: "resume from a log/model_NNNNN folder that `makemore gpt2 train` wrote".into(),
        };
        let model = Gpt2::from_pretrained(dir)?.to_device(device)?;
        let text = std::fs::read_to_string(dir.join("trainer.json"))
            .map_err(|e| bad(format!("has no readable trainer.json ({e})")))?;
        let state: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| bad(format!("has a broken trainer.json ({e})")))?;
        let int = |key: &str| {
            state[key].as_i64().ok_or_else(|| bad(format!("has no `{key}` in trainer.json")))
        };
        let (step, adam_step) = (int("step")? as usize, int("adam_step")?);
        let (shard, position) = (int("train_shard")? as usize, int("train_position")?);
        let moments = Tensor::read_safetensors(dir.join("optimizer.safetensors"))
            .map_err(|e| bad(format!("has no readable optimizer.safetensors ({e})")))?;
        let moments: std::collections::HashMap<String, Tensor> = moments.into_iter().collect();
        let (mut t, lines) = Trainer::build(model, data, log_dir, hellaswag, setup)?;
        for (i, (name, _)) in super::optim::grouped(&t.model).iter().enumerate() {
            for (key, slot) in [("m", &mut t.optimizer.m[i]), ("v", &mut t.optimizer.v[i])] {
                let saved = moments
                    .get(&format!("{key}.{name}"))
                    .ok_or_else(|| bad(format!("has no `{key}.{name}` moment")))?;
                tch::no_grad(|| slot.f_copy_(saved))?;
            }
        }
        t.optimizer.step = adam_step;
        t.train.seek(shard, position)?;
        t.step = step;
        t.evaluated = Some(step);
        let log = log_dir.join("log.txt");
        let kept: String = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                let mut parts = l.split(' ');
                let at: usize = parts.next().and_then(|s| s.parse().ok()).unwrap_or(usize::MAX);
                at < step || (at == step && parts.next() != Some("train"))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        crate::io::write_atomic(&log, kept.as_bytes())?;
        Ok((t, lines))
    }

    fn build(
        mut model: Gpt2,
        data: &Path,
        log_dir: &Path,
        hellaswag: Option<&Path>,
        setup: Setup,
    ) -> Result<(Trainer, Vec<String>)> {
        let grad_accum = setup.grad_accum_steps(1)?;
        if setup.t > model.config().block_size {
            let why = "a row of tokens is at most the model's block size";
            return Err(Error::param("T", setup.t, why, "use a smaller T, or a larger block size"));
        }
        let mut lines = vec![
            format!("using device: {}", device_name(model.device())),
            format!("total desired batch size: {}", setup.total_batch_size),
            format!("=> calculated gradient accumulation steps: {grad_accum}"),
        ];
        let train = DataLoaderLite::from_shards(data, setup.b, setup.t, 0, 1, "train")?;
        lines.push(format!("found {} shards for split train", train.shards().len()));
        let val = DataLoaderLite::from_shards(data, setup.b, setup.t, 0, 1, "val")?;
        lines.push(format!("found {} shards for split val", val.shards().len()));
        let hellaswag = hellaswag.map(hellaswag::read_examples).transpose()?.unwrap_or_default();
        model.set_flash_attention(true);
        model.set_autocast(setup.autocast);
        let (optimizer, groups) = configure_optimizers(&model, setup.weight_decay, setup.max_lr)?;
        lines.push(groups.to_string());
        lines.push("using fused AdamW: False".to_string());
        crate::io::create_dir(log_dir)?;
        let trainer = Trainer {
            model,
            optimizer,
            train,
            val,
            setup,
            grad_accum,
            step: 0,
            evaluated: None,
            log_dir: log_dir.to_path_buf(),
            hellaswag,
            enc: Tokenizer::gpt2()?,
        };
        Ok((trainer, lines))
    }

    /// The step the next [`Trainer::step`] runs.
    pub fn next_step(&self) -> usize {
        self.step
    }

    /// Whether every step has run.
    pub fn done(&self) -> bool {
        self.step >= self.setup.max_steps
    }

    /// The constants.
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// One step of the loop, with its evaluations when due: the lines the lecture prints
    /// (`validation loss: ...`, `HellaSwag accuracy: ...`, `rank 0 sample i: ...`, `step ... |
    /// loss: ... | lr ... | norm: ... | dt: ...ms | tok/sec: ...`), in order.
    ///
    /// # Errors
    /// libtorch's; the log's and checkpoint's write errors.
    pub fn step(&mut self) -> Result<Vec<String>> {
        let t0 = Instant::now();
        let step = self.step;
        let last = step + 1 == self.setup.max_steps;
        let mut lines = Vec::new();
        if (step.is_multiple_of(self.setup.eval_every) || last) && self.evaluated != Some(step) {
            let val = self.val_loss()?;
            lines.push(format!("validation loss: {val:.4}"));
            self.log(&format!("{step} val {val:.4}"))?;
            if !self.hellaswag.is_empty() {
                let (correct, total) = self.hellaswag()?;
                let acc = correct as f64 / total as f64;
                lines.push(format!("HellaSwag accuracy: {correct}/{total}={acc:.4}"));
                self.log(&format!("{step} hella {acc:.4}"))?;
            }
            if step > 0 {
                lines.extend(self.samples(4, 32)?);
            }
            if step > 0 && (step.is_multiple_of(self.setup.checkpoint_every) || last) {
                self.save(&self.log_dir.join(format!("model_{step:05}")), val)?;
            }
        }
        self.optimizer.zero_grad();
        let device = self.model.device();
        let mut loss_accum = Tensor::zeros([], (Kind::Float, device));
        for _ in 0..self.grad_accum {
            let (x, y) = self.train.next_batch()?;
            let (x, y) = (x.f_to(device)?, y.f_to(device)?);
            let (_, loss) = self.model.loss(&x, &y)?;
            // the gradients add up: divide so they add up to the mean over the whole batch
            let loss = loss.f_div_scalar(self.grad_accum as f64)?;
            loss_accum = loss_accum.f_add(&loss.f_detach()?)?;
            loss.f_backward()?;
        }
        let norm = clip_grad_norm(&self.model.parameters(), 1.0)?;
        let lr = self.setup.schedule().at(step);
        self.optimizer.learning_rate = lr;
        self.optimizer.step()?;
        let dt = t0.elapsed().as_secs_f64();
        let tokens = (self.setup.b * self.setup.t * self.grad_accum) as f64;
        let loss = loss_accum.f_double_value(&[])?;
        lines.push(format!(
            "step {step:5} | loss: {loss:.6} | lr {} | norm: {norm:.4} | dt: {:.2}ms | tok/sec: {:.2}",
            crate::python::format_e(lr, 4),
            dt * 1000.0,
            tokens / dt
        ));
        self.log(&format!("{step} train {loss:.6}"))?;
        self.step += 1;
        Ok(lines)
    }

    /// The mean loss of `val_steps` validation batches from the first.
    fn val_loss(&mut self) -> Result<f64> {
        self.val.reset()?;
        let device = self.model.device();
        let mut accum = Tensor::zeros([], (Kind::Float, device));
        tch::no_grad(|| -> Result<()> {
            for _ in 0..self.setup.val_steps {
                let (x, y) = self.val.next_batch()?;
                let (x, y) = (x.f_to(device)?, y.f_to(device)?);
                let (_, loss) = self.model.loss(&x, &y)?;
                accum = accum.f_add(&loss.f_div_scalar(self.setup.val_steps as f64)?)?;
            }
            Ok(())
        })?;
        Ok(accum.f_double_value(&[])?)
    }

    /// HellaSwag's `acc_norm` count over the examples: (right, all).
    fn hellaswag(&self) -> Result<(usize, usize)> {
        let mut correct = 0;
        for example in &self.hellaswag {
            let scored = hellaswag::score(&self.model, example, &self.enc)?;
            correct += usize::from(scored.pred_norm == scored.label);
        }
        Ok((correct, self.hellaswag.len()))
    }

    /// `n` samples of `max_length` tokens (at most the block size) from [`PROMPT`], top-k 50,
    /// drawn after seeding 42 (the lecture's own generator `42 + rank`; nothing else draws from
    /// torch's after the model is made).
    fn samples(&self, n: usize, max_length: usize) -> Result<Vec<String>> {
        let prompt = self.enc.encode(PROMPT, &AllowedSpecial::NoneRaise)?;
        let max_length = max_length.min(self.model.config().block_size);
        if prompt.len() >= max_length {
            return Ok(Vec::new()); // a block too short to sample from the prompt
        }
        let rows =
            crate::rng::with_torch_seed(42, || self.model.generate(&prompt, n, max_length, 50))?;
        rows.iter()
            .enumerate()
            .map(|(i, ids)| Ok(format!("rank 0 sample {i}: {}", self.enc.decode(ids)?)))
            .collect()
    }

    fn log(&self, line: &str) -> Result<()> {
        let path = self.log_dir.join("log.txt");
        let mut f =
            std::fs::OpenOptions::new().append(true).create(true).open(&path).map_err(|cause| {
                Error::Io {
                    action: "write",
                    path: path.clone(),
                    cause,
                    hint: "check that the log folder is writable".into(),
                }
            })?;
        writeln!(f, "{line}").map_err(Error::Output)
    }

    /// A checkpoint in `dir`: the model in Hugging Face's layout, AdamW's moments
    /// (`optimizer.safetensors`) and where training stands (`trainer.json`), for
    /// [`Trainer::resume`].
    fn save(&self, dir: &Path, val_loss: f64) -> Result<()> {
        self.model.save_pretrained(dir)?;
        let names = super::optim::grouped(&self.model); // the optimizer's order
        let mut moments = Vec::new();
        for ((name, _), (m, v)) in names.iter().zip(self.optimizer.m.iter().zip(&self.optimizer.v))
        {
            moments.push((format!("m.{name}"), m.shallow_clone()));
            moments.push((format!("v.{name}"), v.shallow_clone()));
        }
        crate::io::write_atomic_with(&dir.join("optimizer.safetensors"), |tmp| {
            Tensor::write_safetensors(&moments, tmp)
                .map_err(|e| std::io::Error::other(e.to_string()))
        })?;
        let (shard, position) = self.train.position();
        let state = serde_json::json!({
            "step": self.step, "val_loss": val_loss, "adam_step": self.optimizer.step,
            "train_shard": shard, "train_position": position,
        });
        crate::io::write_atomic(&dir.join("trainer.json"), format!("{state:#}\n").as_bytes())
    }
}

/// A device as PyTorch names it: `cpu`, `cuda:0`, `mps`.
fn device_name(device: tch::Device) -> String {
    match device {
        tch::Device::Cpu => "cpu".into(),
        tch::Device::Cuda(n) => format!("cuda:{n}"),
        tch::Device::Mps => "mps".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}
