//! Training makemore.py's models as makemore.py does: a held-out test set, batches of words
//! drawn at random, AdamW. With the same seed and words, the same split, the same initial
//! weights and the same batches as makemore.py (tch draws from torch's own generator).
//! [`Trainer`] takes one step at a time; [`Trainer::run`] ([`run`]) is makemore.py's whole
//! loop: the losses every 500 steps with the best model saved, samples every 200, a loss log,
//! until a step count or a stop flag. `07_from_bigram_to_gpt` and the `makemore` command both
//! call it. A [`Checkpoint`] is a model file with where training stood.

use tch::{Device, Kind, Tensor};

use crate::data::{block_size, permutation, Dataset, Sequences, Split, Vocab};
use crate::error::{Error, Result};
use crate::eval::{evaluate, nll};
use crate::model::methods::TrainConfig;
use crate::model::{CountModel, LanguageModel, Model, ModelConfig, ModelType, NeuralModel};
use crate::rng::{with_torch_seed, TorchGenerator};

mod checkpoint;
pub mod run;

pub use checkpoint::{Checkpoint, TrainState};
pub use run::{Event, LossLog, RunOptions, RunSummary};
/// The training words the train loss is measured on (makemore.py draws 1,100 at random; these
/// are fixed, so the curve does not jitter with the draw).
const TRAIN_EVAL_WORDS: usize = 1000;
/// AdamW's betas and epsilon, makemore.py's.
const BETAS: (f64, f64) = (0.9, 0.99);
const EPS: f64 = 1e-8;

/// How to train; the defaults are makemore.py's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    /// Words per step.
    pub batch_size: usize,
    /// AdamW's learning rate.
    pub learning_rate: f64,
    /// AdamW's weight decay: every step shrinks every weight by `lr * wd` of itself.
    pub weight_decay: f64,
    /// Seeds torch's generator: the split, the initial weights and the batches.
    pub seed: i64,
    /// Where the model and the batches live.
    pub device: Device,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            batch_size: 32,
            learning_rate: 5e-4,
            weight_decay: 0.01,
            seed: 3407,
            device: Device::Cpu,
        }
    }
}

impl TrainOptions {
    fn check(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(Error::param(
                "batch size",
                0,
                "a step needs at least one word",
                "use 32, makemore.py's",
            ));
        }
        crate::error::non_negative("learning rate", self.learning_rate)?;
        crate::error::non_negative("weight decay", self.weight_decay)?;
        Ok(())
    }
}

/// The device named `name`, as makemore.py's `--device` takes it: `cpu`, `cuda`, `cuda:N`, `mps`.
///
/// # Errors
/// [`Error::Param`] for an unknown name, or a device this machine or this build of makemore
/// cannot use.
pub fn parse_device(name: &str) -> Result<Device> {
    let cuda_hint = "use the cpu; for a GPU, build with MAKEMORE_CUDA=1 on a machine with an NVIDIA GPU and torch's CUDA wheel";
    let device = match name {
        "cpu" => Device::Cpu,
        "mps" => Device::Mps,
        "cuda" => Device::Cuda(0),
        _ => match name.strip_prefix("cuda:").and_then(|n| n.parse().ok()) {
            Some(n) => Device::Cuda(n),
            None => {
                return Err(Error::param(
                    "device",
                    name,
                    "it is not a device name",
                    "use cpu, cuda, cuda:N or mps",
                ))
            }
        },
    };
    match device {
        Device::Cuda(n) if n as i64 >= tch::Cuda::device_count() => {
            Err(Error::param("device", name, "no such CUDA device is available here", cuda_hint))
        }
        Device::Mps if !tch::utils::has_mps() => Err(Error::param(
            "device",
            name,
            "Apple's MPS is not available here",
            "use the cpu (MPS needs a Mac with Apple silicon)",
        )),
        _ => Ok(device),
    }
}

/// The losses of one evaluation: mean negative log likelihood per character.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Losses {
    /// On a fixed sample of up to 1,000 training words.
    pub train: f64,
    /// On the held-out test words (`None` with a single word, which all goes to training).
    pub test: Option<f64>,
}

impl Losses {
    /// The loss the best model is chosen by: the test loss, or the train loss without a test set.
    pub fn score(&self) -> f64 {
        self.test.unwrap_or(self.train)
    }
}

/// A model in training, with everything needed to take the next step.
pub struct Trainer {
    model: Model,
    params: Vec<(String, Tensor)>,
    split: Split,
    train: Sequences,
    train_eval: Sequences,
    test: Option<Sequences>,
    opts: TrainOptions,
    batches: TorchGenerator,
    adam: AdamW,
    step: usize,
    best: Option<f64>,
    /// The split seed, and a digest of the words: what `--resume` checks.
    seed: i64,
    digest: i64,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Trainer {{ {} model, {} parameters, step {}, {} train / {} test words, best {:?} }}",
            self.model.kind(),
            self.model.n_params(),
            self.step,
            self.split.train.len(),
            self.split.test.len(),
            self.best
        )
    }
}

/// The header of a run: `32033 words (31033 train, 1000 test, longest 15), 27 characters
/// (.abc...), block size 16; mlp with 12,000 parameters, at step 0`.
impl std::fmt::Display for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (train, test) = (self.split.train.len(), self.split.test.len());
        let model = &self.model;
        let longest = self.train.width().saturating_sub(1); // the block size: the longest + 1
        write!(f, "{} words ({train} train, {test} test, longest {longest}), ", train + test)?;
        write!(f, "{}; ", run::describe(model))?;
        write!(f, "{} with {} parameters, at step {}", model.kind(), model.n_params(), self.step)
    }
}

impl Trainer {
    /// makemore.py's start: seed torch's generator, split the words (a test set of 10%, at
    /// most 1,000), make the model (block size: the longest word plus one), then draw the seed
    /// of the batches, as its data loader does.
    ///
    /// # Errors
    /// [`Error::Param`] for a lecture model type (they train another way), bad options or
    /// sizes; as [`Vocab::from_words`] for the words.
    pub fn new(
        words: &[String],
        kind: ModelType,
        cfg: &ModelConfig,
        opts: &TrainOptions,
    ) -> Result<Trainer> {
        opts.check()?;
        let vocab = Vocab::from_words(words)?;
        let (perm, model, batch_seed) = with_torch_seed(opts.seed, || -> Result<_> {
            let perm = permutation(words.len())?;
            let model = Model::new(kind, &vocab, block_size(words), cfg, opts.device)?;
            // the data loader's base seed, then its sampler's seed (torch.utils.data)
            let _base_seed = Tensor::f_empty([], (Kind::Int64, Device::Cpu))?.f_random_()?;
            let seed =
                Tensor::f_empty([], (Kind::Int64, Device::Cpu))?.f_random_()?.f_int64_value(&[])?;
            Ok((perm, model, seed))
        })?;
        let split = Split::train_test_of(words, &perm);
        Self::assemble(model, split, opts, TorchGenerator::new(batch_seed), words)
    }

    /// Takes up training where a [`Checkpoint`] saved by [`Trainer::save`] left it: the model,
    /// the optimizer's state, the step, the best loss, the batches to come. The split is remade
    /// from the words and the seed the model was trained with.
    ///
    /// # Errors
    /// [`Error::Param`] when the checkpoint holds no training state, was trained on other
    /// words, or its optimizer state does not fit its model.
    pub fn resume(
        checkpoint: Checkpoint,
        words: &[String],
        opts: &TrainOptions,
    ) -> Result<Trainer> {
        opts.check()?;
        let bad = |why: &'static str| {
            Error::param(
                "checkpoint",
                "the saved model",
                why,
                "resume with the words it was trained on, or train a new model",
            )
        };
        let Checkpoint { model, state } = checkpoint;
        let state = state
            .ok_or_else(|| bad("it holds no training state (it was not saved by training)"))?;
        if state.digest != word_digest(words) {
            return Err(bad("it was trained on other words than these"));
        }
        let split = Split::train_test(words, state.split_seed)?;
        let mut t = Self::assemble(model, split, opts, state.batches, words)?;
        if state.moments.len() != t.params.len() {
            return Err(bad("its optimizer state does not match its parameters"));
        }
        for (i, (m, v)) in state.moments.into_iter().enumerate() {
            let size = t.params[i].1.size();
            if m.size() != size || v.size() != size {
                return Err(bad("its optimizer state does not match its parameters"));
            }
            t.adam.m[i] = m.f_to(opts.device)?;
            t.adam.v[i] = v.f_to(opts.device)?;
        }
        t.adam.step = state.adam_step;
        t.step = state.step;
        t.best = state.best;
        t.seed = state.split_seed;
        Ok(t)
    }

    fn assemble(
        model: Model,
        split: Split,
        opts: &TrainOptions,
        batches: TorchGenerator,
        words: &[String],
    ) -> Result<Trainer> {
        if opts.batch_size > split.train.len() {
            return Err(Error::Param {
                name: "batch size",
                value: opts.batch_size.to_string(),
                why: "it is larger than the training set",
                hint: format!("use at most {} words, e.g. makemore.py's 32", split.train.len()),
            });
        }
        let (vocab, len) = (model.vocab().clone(), block_size(words));
        let train = Sequences::new(&split.train, &vocab, len)?;
        let train_eval =
            Sequences::new(&split.train[..split.train.len().min(TRAIN_EVAL_WORDS)], &vocab, len)?;
        let test = match split.test.is_empty() {
            true => None,
            false => Some(Sequences::new(&split.test, &vocab, len)?),
        };
        let params = model.parameters();
        let adam = AdamW::new(&params)?;
        Ok(Trainer {
            model,
            params,
            split,
            train,
            train_eval,
            test,
            opts: *opts,
            batches,
            adam,
            step: 0,
            best: None,
            seed: opts.seed,
            digest: word_digest(words),
        })
    }

    /// One step: a batch of words, the loss, its gradient, an AdamW update. Returns the
    /// batch's loss.
    ///
    /// # Errors
    /// [`Error::Torch`] from libtorch (out of memory, say).
    pub fn step(&mut self) -> Result<f64> {
        let n = self.train.len() as u32;
        let index: Vec<i64> =
            (0..self.opts.batch_size).map(|_| i64::from(self.batches.random() % n)).collect();
        let (x, y) = self.train.batch(&index, self.opts.device)?;
        let loss = self.model.loss(&x, &y)?;
        for (_, p) in &mut self.params {
            p.zero_grad();
        }
        loss.f_backward()?;
        self.adam.update(&self.params, self.opts.learning_rate, self.opts.weight_decay)?;
        self.step += 1;
        Ok(loss.f_double_value(&[])?)
    }

    /// The train and test losses now. Remembers the best score; true in `.1` when this one is
    /// the best so far.
    ///
    /// # Errors
    /// As [`evaluate`].
    pub fn evaluate(&mut self) -> Result<(Losses, bool)> {
        let test = self.test.as_ref().map(|t| evaluate(&self.model, t)).transpose()?;
        let losses = Losses { train: evaluate(&self.model, &self.train_eval)?, test };
        let best = self.best.is_none_or(|b| losses.score() < b);
        if best {
            self.best = Some(losses.score());
        }
        Ok((losses, best))
    }

    /// Saves the model and where training stands (for [`Trainer::resume`]), atomically.
    ///
    /// # Errors
    /// As [`Model::save`].
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let state = TrainState {
            step: self.step,
            split_seed: self.seed,
            digest: self.digest,
            best: self.best,
            adam_step: self.adam.step,
            moments: (self.adam.m.iter().zip(&self.adam.v))
                .map(|(m, v)| (m.shallow_clone(), v.shallow_clone()))
                .collect(),
            batches: self.batches.clone(),
        };
        checkpoint::save(&self.model, Some(&state), path.as_ref())
    }

    /// Starts from the weights of `from` (a network of the same type and sizes), with the
    /// optimizer as it is: makemore.py's `--resume` of its own `model.pt`.
    ///
    /// # Errors
    /// [`Error::Param`] when `from` has other tensors or shapes.
    pub fn set_weights(&mut self, from: &Model) -> Result<()> {
        let theirs = from.parameters();
        let same = theirs.len() == self.params.len()
            && theirs
                .iter()
                .zip(&self.params)
                .all(|((a, x), (b, y))| a == b && x.size() == y.size());
        if !same {
            let why = "its tensors are not those of the model being trained";
            return Err(Error::param(
                "weights",
                from.kind(),
                why,
                "give a model of the same type and sizes",
            ));
        }
        for ((_, p), (_, w)) in self.params.iter_mut().zip(&theirs) {
            tch::no_grad(|| p.f_copy_(w))?;
        }
        for ((_, b), (_, w)) in self.model.buffers().iter_mut().zip(&from.buffers()) {
            tch::no_grad(|| b.f_copy_(w))?;
        }
        Ok(())
    }

    /// The model being trained.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model, done training.
    pub fn into_model(self) -> Model {
        self.model
    }

    /// The train and test words.
    pub fn split(&self) -> &Split {
        &self.split
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.step
    }

    /// The best score [`Trainer::evaluate`] has seen.
    pub fn best(&self) -> Option<f64> {
        self.best
    }
}

/// The lecture's two models, made the lecture's way on all of `words`, with their final loss:
/// the count model of `context` characters with add-`smoothing` counts (its loss: [`nll`]), or
/// the net drawn with `seed` and trained by full-batch gradient descent, calling
/// `on_step(step, loss)` after each step (its loss: the last step's; with 0 steps, the loss
/// before any).
///
/// # Errors
/// [`Error::Param`] for a network type (they train with [`Trainer`]); as [`CountModel::fit`],
/// [`NeuralModel::new`] and [`NeuralModel::train_with`].
pub fn fit_lecture(
    kind: ModelType,
    words: &[String],
    context: usize,
    smoothing: f64,
    cfg: &TrainConfig,
    seed: i64,
    on_step: &mut dyn FnMut(usize, f64),
) -> Result<(Model, f64)> {
    let vocab = Vocab::from_words(words)?;
    match kind {
        ModelType::Counts => {
            let model = CountModel::fit(words, &vocab, context, smoothing)?;
            let loss = nll(&model, words)?;
            Ok((Model::Counts(model), loss))
        }
        ModelType::Neural => {
            let data = Dataset::new(words, &vocab, context)?;
            let mut net = NeuralModel::new(&vocab, context, seed)?;
            let losses = net.train_with(&data, cfg, on_step)?;
            let loss = match losses.last() {
                Some(&loss) => loss,
                None => net.loss(&data, cfg.reg, cfg.method)?.f_double_value(&[])?,
            };
            Ok((Model::Neural(net), loss))
        }
        _ => Err(Error::param(
            "model type",
            kind,
            "makemore.py's networks train with a Trainer",
            "use Trainer::new",
        )),
    }
}

/// A digest of the words, one per line: tells [`Trainer::resume`] whether it was given the
/// same words.
fn word_digest(words: &[String]) -> i64 {
    let mut h = crate::io::Fnv::default();
    for w in words {
        h.eat(w.as_bytes());
        h.eat(b"\n");
    }
    h.finish() as i64
}

/// AdamW as PyTorch's `torch.optim.AdamW` computes it on the CPU, op for op.
struct AdamW {
    step: i64,
    /// The moving averages of the gradient and of its square, one per parameter.
    m: Vec<Tensor>,
    v: Vec<Tensor>,
}

impl AdamW {
    fn new(params: &[(String, Tensor)]) -> Result<AdamW> {
        let zeros = || -> Result<Vec<Tensor>> {
            params.iter().map(|(_, p)| Ok(p.f_zeros_like()?.f_detach()?)).collect()
        };
        Ok(AdamW { step: 0, m: zeros()?, v: zeros()? })
    }

    fn update(&mut self, params: &[(String, Tensor)], lr: f64, weight_decay: f64) -> Result<()> {
        self.step += 1;
        let (b1, b2) = BETAS;
        let bias1 = 1.0 - b1.powf(self.step as f64);
        let bias2 = 1.0 - b2.powf(self.step as f64);
        let step_size = lr / bias1;
        tch::no_grad(|| -> Result<()> {
            for ((_, p), (m, v)) in params.iter().zip(self.m.iter_mut().zip(self.v.iter_mut())) {
                let g = p.f_grad()?;
                if !g.defined() {
                    continue; // a parameter this batch did not reach
                }
                let mut p = p.shallow_clone();
                let _ = p.f_mul_scalar_(1.0 - lr * weight_decay)?; // decoupled weight decay
                let _ = m.f_lerp_(&g, 1.0 - b1)?; // m = b1 m + (1 - b1) g
                let _ = v.f_mul_scalar_(b2)?.f_addcmul_(&g.f_mul_scalar(1.0 - b2)?, &g)?; // v = b2 v + (1 - b2) g²
                let denom = v.f_sqrt()?.f_div_scalar(bias2.powf(0.5))?.f_add_scalar(EPS)?;
                let _ = p.f_addcdiv_(&m.f_mul_scalar(-step_size)?, &denom)?; // p -= step_size m / denom
            }
            Ok(())
        })
    }
}
