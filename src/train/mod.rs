//! Training makemore.py's models as makemore.py does: a held-out test set, batches of words
//! drawn at random, AdamW. Or on a text as one stream, as the GPT lecture's script does
//! ([`Trainer::on_text`]): the first 90% to train on, windows of the block size at random places. With the same seed and words, the same split, the same initial
//! weights and the same batches as makemore.py (tch draws from torch's own generator).
//! [`Trainer`] takes one step at a time; [`Trainer::run`] ([`run`]) is makemore.py's whole
//! loop: the losses every 500 steps with the best model saved, samples every 200, a loss log,
//! until a step count or a stop flag. `07_from_bigram_to_gpt` and the `makemore` command both
//! call it. A [`Checkpoint`] is a model file with where training stood.

use tch::{Device, Kind, Tensor};

use crate::data::{block_size, permutation, Dataset, Sequences, Split, Vocab};
use crate::error::{Error, Result};
use crate::eval::{evaluate, nll};
use crate::loss::cross_entropy;
use crate::model::methods::TrainConfig;
use crate::model::{CountModel, LanguageModel, Model, ModelConfig, ModelType, NeuralModel};
use crate::rng::{with_torch_lock, with_torch_seed, TorchGenerator};

mod checkpoint;
pub mod run;

pub use checkpoint::{Checkpoint, TrainState};
pub use run::{Event, LossLog, RunOptions, RunSummary};
/// The training words the train loss is measured on (makemore.py draws 1,100 at random; these
/// are fixed, so the curve does not jitter with the draw).
const TRAIN_EVAL_WORDS: usize = 1000;
/// AdamW's betas (makemore.py's) and epsilon (PyTorch's).
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
    corpus: Corpus,
    opts: TrainOptions,
    batches: TorchGenerator,
    adam: AdamW,
    step: usize,
    best: Option<f64>,
    /// The split seed, and a digest of the words or the text: what `--resume` checks.
    seed: i64,
    digest: i64,
}

/// What a [`Trainer`] learns from.
enum Corpus {
    /// makemore.py's words: the split, and the padded words of each part.
    Words { split: Split, train: Sequences, train_eval: Sequences, test: Option<Sequences> },
    /// A text as one stream, the GPT lecture's.
    Text(Stream),
}

impl Corpus {
    fn words(split: Split, vocab: &Vocab, len: usize) -> Result<Corpus> {
        let train = Sequences::new(&split.train, vocab, len)?;
        let train_eval =
            Sequences::new(&split.train[..split.train.len().min(TRAIN_EVAL_WORDS)], vocab, len)?;
        let test = match split.test.is_empty() {
            true => None,
            false => Some(Sequences::new(&split.test, vocab, len)?),
        };
        Ok(Corpus::Words { split, train, train_eval, test })
    }
}

/// A text as one stream of character indices, split as the lecture splits it: the first 90% to
/// train on, the rest to validate on. A batch is `batch_size` windows of `block + 1` characters
/// at random places of the training part; the losses are the mean of `eval_batches` batches of
/// each part, at places drawn once from the seed, so that every measurement reads the same text.
struct Stream {
    train: Tensor,
    val: Tensor,
    block: i64,
    eval_train: Vec<i64>,
    eval_val: Vec<i64>,
}

impl Stream {
    fn new(
        text: &str,
        vocab: &Vocab,
        block: usize,
        batch: usize,
        evals: usize,
        seed: i64,
    ) -> Result<Stream> {
        let ids = vocab.encode_text(text)?;
        let n = (0.9 * ids.len() as f64) as usize; // first 90% will be train, rest val
        let (train, val) = ids.split_at(n);
        if val.len() <= block {
            return Err(Error::Param {
                name: "block size",
                value: block.to_string(),
                why: "a window is block size + 1 characters, and the validation text is shorter",
                hint: format!(
                    "the last 10% of this text is {} characters: use a block size below that, or a longer text",
                    val.len()
                ),
            });
        }
        let mut g = TorchGenerator::new(seed);
        let mut starts = |len: usize| -> Vec<i64> {
            (0..evals * batch).map(|_| i64::from(g.random() % (len - block) as u32)).collect()
        };
        let (eval_train, eval_val) = (starts(train.len()), starts(val.len()));
        Ok(Stream {
            train: Tensor::from_slice(train),
            val: Tensor::from_slice(val),
            block: block as i64,
            eval_train,
            eval_val,
        })
    }

    /// The windows of `data` at `starts`: inputs `(B, block)` and the targets, one character on.
    fn windows(&self, data: &Tensor, starts: &[i64], device: Device) -> Result<(Tensor, Tensor)> {
        let offsets = Tensor::f_arange(self.block, (Kind::Int64, Device::Cpu))?.f_unsqueeze(0)?;
        let ix = Tensor::from_slice(starts).f_unsqueeze(1)?.f_add(&offsets)?; // (B, block)
        let take = |ix: &Tensor| -> Result<Tensor> { Ok(data.f_take(ix)?.f_to(device)?) };
        Ok((take(&ix)?, take(&ix.f_add_scalar(1)?)?))
    }

    /// The mean loss of the batches of windows at `starts`, as the lecture's `estimate_loss`.
    fn loss(&self, model: &Model, data: &Tensor, starts: &[i64], batch: usize) -> Result<f64> {
        tch::no_grad(|| {
            let mut losses = Vec::new();
            for chunk in starts.chunks(batch) {
                let (x, y) = self.windows(data, chunk, model.device())?;
                losses.push(cross_entropy(&model.forward(&x)?, &y)?.f_double_value(&[])?);
            }
            Ok(losses.iter().sum::<f64>() / losses.len().max(1) as f64)
        })
    }
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let data = match &self.corpus {
            Corpus::Words { split, .. } => {
                format!("{} train / {} test words", split.train.len(), split.test.len())
            }
            Corpus::Text(s) => {
                format!("{} train / {} val characters", s.train.numel(), s.val.numel())
            }
        };
        write!(
            f,
            "Trainer {{ {} model, {} parameters, step {}, {data}, best {:?} }}",
            self.model.kind(),
            self.model.n_params(),
            self.step,
            self.best
        )
    }
}

/// The header of a run: `32033 words (31033 train, 1000 test, longest 15), 27 characters
/// (.abc...), block size 16; mlp with 12,000 parameters, at step 0`.
impl std::fmt::Display for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let model = &self.model;
        match &self.corpus {
            Corpus::Words { split, train: seqs, .. } => {
                let (train, test) = (split.train.len(), split.test.len());
                let longest = seqs.width().saturating_sub(1); // the block size: the longest + 1
                write!(
                    f,
                    "{} words ({train} train, {test} test, longest {longest}), ",
                    train + test
                )?;
            }
            Corpus::Text(s) => {
                let (train, val) = (s.train.numel(), s.val.numel());
                write!(f, "{} characters of text ({train} train, {val} val), ", train + val)?;
            }
        }
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

    /// The GPT lecture's start on a text: seed torch's generator, make the model (the text's
    /// characters as its vocabulary, windows of `block_size`), draw the seed of the batches;
    /// split the text 90/10 and draw the places of the `eval_batches` batches the losses are
    /// measured on. AdamW with PyTorch's betas, as the lecture's.
    ///
    /// # Errors
    /// [`Error::Param`] for a lecture model type, bad options or sizes, a block size the text is
    /// too short for; as [`Vocab::from_text`].
    pub fn on_text(
        text: &str,
        kind: ModelType,
        cfg: &ModelConfig,
        opts: &TrainOptions,
        block_size: usize,
        eval_batches: usize,
    ) -> Result<Trainer> {
        opts.check()?;
        text_kind(kind)?;
        if eval_batches == 0 {
            let hint = "use 200, the lecture's eval_iters";
            return Err(Error::param(
                "eval batches",
                0,
                "the losses are a mean over batches",
                hint,
            ));
        }
        let vocab = Vocab::from_text(text)?;
        let stream =
            Stream::new(text, &vocab, block_size, opts.batch_size, eval_batches, opts.seed)?;
        let (model, batch_seed) = with_torch_seed(opts.seed, || -> Result<_> {
            let model = Model::new(kind, &vocab, block_size, cfg, opts.device)?;
            let seed =
                Tensor::f_empty([], (Kind::Int64, Device::Cpu))?.f_random_()?.f_int64_value(&[])?;
            Ok((model, seed))
        })?;
        Self::assemble_with(
            model,
            Corpus::Text(stream),
            opts,
            TorchGenerator::new(batch_seed),
            text_digest(text),
        )
    }

    /// [`Trainer::resume`] for a model trained [`Trainer::on_text`]: the same text is needed.
    ///
    /// # Errors
    /// As [`Trainer::resume`]; [`Error::Param`] for a model of words.
    pub fn resume_text(
        checkpoint: Checkpoint,
        text: &str,
        opts: &TrainOptions,
        eval_batches: usize,
    ) -> Result<Trainer> {
        opts.check()?;
        let bad = |why: &'static str, hint: &'static str| {
            Error::param("checkpoint", "the saved model", why, hint)
        };
        if !checkpoint.model.vocab().is_text() {
            return Err(bad(
                "it was trained on words, not on a text",
                "resume it with -i WORDS_FILE, or train a new model on the text",
            ));
        }
        let state = checkpoint.state.as_ref().ok_or_else(|| {
            bad("it holds no training state (it was not saved by training)", "train a new model")
        })?;
        if state.digest != text_digest(text) {
            return Err(bad(
                "it was trained on another text than this",
                "resume with the text it was trained on, or train a new model",
            ));
        }
        let block = checkpoint.model.block_size();
        let stream = Stream::new(
            text,
            checkpoint.model.vocab(),
            block,
            opts.batch_size,
            eval_batches.max(1),
            state.split_seed,
        )?;
        Self::restore(checkpoint, Corpus::Text(stream), opts)
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
        if checkpoint.model.vocab().is_text() {
            let hint = "resume it with --text and the text it was trained on";
            return Err(Error::param(
                "checkpoint",
                "the saved model",
                "it was trained on a text, not on words",
                hint,
            ));
        }
        let state = checkpoint
            .state
            .as_ref()
            .ok_or_else(|| bad("it holds no training state (it was not saved by training)"))?;
        if state.digest != word_digest(words) {
            return Err(bad("it was trained on other words than these"));
        }
        let split = Split::train_test(words, state.split_seed)?;
        let corpus = Corpus::words(split, checkpoint.model.vocab(), block_size(words))?;
        Self::restore(checkpoint, corpus, opts)
    }

    /// A trainer from a checkpoint whose data has been checked: its model, optimizer state,
    /// step, best loss and batches.
    fn restore(checkpoint: Checkpoint, corpus: Corpus, opts: &TrainOptions) -> Result<Trainer> {
        let bad = |why: &'static str| {
            Error::param("checkpoint", "the saved model", why, "train a new model")
        };
        let Checkpoint { model, state } = checkpoint;
        let state = state.ok_or_else(|| bad("it holds no training state"))?;
        let mut t = Self::assemble_with(model, corpus, opts, state.batches, state.digest)?;
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
        let corpus = Corpus::words(split, &model.vocab().clone(), block_size(words))?;
        Self::assemble_with(model, corpus, opts, batches, word_digest(words))
    }

    fn assemble_with(
        model: Model,
        corpus: Corpus,
        opts: &TrainOptions,
        batches: TorchGenerator,
        digest: i64,
    ) -> Result<Trainer> {
        let params = model.parameters();
        let mut adam = AdamW {
            betas: BETAS,
            weight_decay: opts.weight_decay,
            ..AdamW::new(&params, opts.learning_rate)?
        };
        if matches!(corpus, Corpus::Text(_)) {
            adam.betas = (0.9, 0.999); // torch.optim.AdamW's, as the lecture's script
        }
        Ok(Trainer {
            model,
            params,
            corpus,
            opts: *opts,
            batches,
            adam,
            step: 0,
            best: None,
            seed: opts.seed,
            digest,
        })
    }

    /// One step: a batch of words (or windows of the text), the loss, its gradient, an AdamW
    /// update. Returns the batch's loss. The loss is computed under the lock of
    /// [`with_torch_seed`] (dropout draws from torch's generator), so a step inside
    /// `with_torch_seed` would wait forever.
    ///
    /// # Errors
    /// [`Error::Torch`] from libtorch (out of memory, say).
    pub fn step(&mut self) -> Result<f64> {
        let (x, y) = match &self.corpus {
            Corpus::Words { train, .. } => {
                let n = train.len() as u32;
                let index: Vec<i64> = (0..self.opts.batch_size)
                    .map(|_| i64::from(self.batches.random() % n))
                    .collect();
                train.batch(&index, self.opts.device)?
            }
            Corpus::Text(s) => {
                let n = (s.train.numel() as i64 - s.block) as u32;
                let starts: Vec<i64> = (0..self.opts.batch_size)
                    .map(|_| i64::from(self.batches.random() % n))
                    .collect();
                s.windows(&s.train, &starts, self.opts.device)?
            }
        };
        // dropout draws from torch's generator: under the lock of the crate's seeded draws
        let loss = with_torch_lock(|| self.model.loss(&x, &y))?;
        self.adam.zero_grad();
        loss.f_backward()?;
        self.adam.step()?;
        self.step += 1;
        Ok(loss.f_double_value(&[])?)
    }

    /// The train and test losses now. Remembers the best score; true in `.1` when this one is
    /// the best so far.
    ///
    /// # Errors
    /// As [`evaluate`].
    pub fn evaluate(&mut self) -> Result<(Losses, bool)> {
        let losses = match &self.corpus {
            Corpus::Words { train_eval, test, .. } => {
                let test = test.as_ref().map(|t| evaluate(&self.model, t)).transpose()?;
                Losses { train: evaluate(&self.model, train_eval)?, test }
            }
            Corpus::Text(s) => {
                let batch = self.opts.batch_size;
                Losses {
                    train: s.loss(&self.model, &s.train, &s.eval_train, batch)?,
                    test: Some(s.loss(&self.model, &s.val, &s.eval_val, batch)?),
                }
            }
        };
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

    /// The train and test words (`None` when training on a text).
    pub fn split(&self) -> Option<&Split> {
        match &self.corpus {
            Corpus::Words { split, .. } => Some(split),
            Corpus::Text(_) => None,
        }
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

/// A digest of a text: tells [`Trainer::resume_text`] whether it was given the same text.
fn text_digest(text: &str) -> i64 {
    let mut h = crate::io::Fnv::default();
    h.eat(text.as_bytes());
    h.finish() as i64
}

/// Refuses the lecture's two models on a text: they are made from words.
fn text_kind(kind: ModelType) -> Result<()> {
    match kind.is_makemore() {
        true => Ok(()),
        false => Err(Error::param(
            "model type",
            kind,
            "the lecture's count and one-layer models are made from words, not a text",
            "use gpt (the GPT lecture's Transformer) or another network",
        )),
    }
}

/// AdamW as PyTorch's `torch.optim.AdamW` computes it on the CPU, op for op (the single-tensor
/// loop PyTorch runs for CPU tensors): with the same gradients, the same weights after each step.
/// [`AdamW::new`] has PyTorch's defaults; the [`Trainer`] uses makemore.py's betas.
///
/// ```
/// use makemore::nn::{Linear, Params};
/// use makemore::train::AdamW;
/// use makemore::tch::{Device, Kind, Tensor};
/// let mut p = Params::new(Device::Cpu);
/// let lin = Linear::new(&mut p, "lin", 3, 1, true)?;
/// let mut optimizer = AdamW::new(&p.parameters(), 1e-3)?; // torch.optim.AdamW(m.parameters(), lr=1e-3)
/// let loss = lin.forward(&Tensor::ones([2, 3], (Kind::Float, Device::Cpu)))?.sum(Kind::Float);
/// optimizer.zero_grad();
/// loss.backward();
/// optimizer.step()?;
/// # Ok::<(), makemore::Error>(())
/// ```
#[derive(Debug)]
pub struct AdamW {
    /// The learning rate.
    pub lr: f64,
    /// The decay rates of the moving averages of the gradient and of its square.
    pub betas: (f64, f64),
    /// Decoupled weight decay: every step shrinks every weight by `lr * weight_decay` of itself.
    pub weight_decay: f64,
    params: Vec<Tensor>,
    step: i64,
    /// The moving averages of the gradient and of its square, one per parameter.
    m: Vec<Tensor>,
    v: Vec<Tensor>,
}

impl AdamW {
    /// `torch.optim.AdamW(params, lr)`: betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
    ///
    /// # Errors
    /// [`Error::Torch`] from libtorch.
    pub fn new(params: &[(String, Tensor)], lr: f64) -> Result<AdamW> {
        let zeros = || -> Result<Vec<Tensor>> {
            params.iter().map(|(_, p)| Ok(p.f_zeros_like()?.f_detach()?)).collect()
        };
        Ok(AdamW {
            lr,
            betas: (0.9, 0.999),
            weight_decay: 0.01,
            params: params.iter().map(|(_, p)| p.shallow_clone()).collect(),
            step: 0,
            m: zeros()?,
            v: zeros()?,
        })
    }

    /// Sets every parameter's gradient to zero (`optimizer.zero_grad()`).
    pub fn zero_grad(&mut self) {
        for p in &mut self.params {
            p.zero_grad();
        }
    }

    /// One update of every parameter from its gradient (`optimizer.step()`); a parameter
    /// without a gradient is left as it is.
    ///
    /// # Errors
    /// [`Error::Torch`] from libtorch.
    pub fn step(&mut self) -> Result<()> {
        self.step += 1;
        let (b1, b2) = self.betas;
        let bias1 = 1.0 - b1.powf(self.step as f64);
        let bias2 = 1.0 - b2.powf(self.step as f64);
        let (lr, weight_decay) = (self.lr, self.weight_decay);
        let step_size = lr / bias1;
        tch::no_grad(|| -> Result<()> {
            for (p, (m, v)) in self.params.iter().zip(self.m.iter_mut().zip(self.v.iter_mut())) {
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
