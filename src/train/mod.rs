//! Training makemore.py's models as makemore.py does: a held-out test set, batches of words
//! drawn at random, AdamW. Or on a text as one stream, as the GPT lecture's script does
//! ([`Trainer::on_text`]): the first 90% to train on, windows of the block size at random places. With the same seed and words, the same split, the same initial
//! weights and the same batches as makemore.py (tch draws from torch's own generator).
//! [`Trainer`] takes one step at a time; [`Trainer::run`] ([`run`]) is makemore.py's whole
//! loop: the losses every 500 steps with the best model saved, samples every 200, a loss log,
//! until a step count or a stop flag. `07_from_bigram_to_gpt` and the `makemore` command both
//! call it. A [`Checkpoint`] is a model file with where training stood.

use tch::{Device, Kind, Tensor};

use crate::data::{block_size, permutation, Sequences, Split, Vocab};
use crate::error::{Error, Result};
use crate::eval::evaluate;
use crate::model::{LanguageModel, Model, ModelConfig, ModelType};
use crate::rng::{with_torch_lock, with_torch_seed, TorchGenerator};

mod adamw;
mod checkpoint;
pub mod job;
mod lecture;
mod loss_log;
mod options;
pub mod run;
pub mod saved;
mod text;
pub mod workdir;

pub use adamw::AdamW;
pub use checkpoint::{Checkpoint, TrainState};
pub use job::{Ended, Job, Lecture, Start};
pub use lecture::fit_lecture;
pub use loss_log::LossLog;
pub use options::{parse_device, TrainOptions};
pub use run::{Event, RunOptions, RunSummary};
use text::Stream;
pub use text::TextOptions;
/// The training words the train loss is measured on (makemore.py draws 1,100 at random; these
/// are fixed, so the curve does not jitter with the draw).
const TRAIN_EVAL_WORDS: usize = 1000;

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
pub(super) enum Corpus {
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
                let unit =
                    if model.vocab().tokenizer().is_some() { "tokens" } else { "characters" };
                write!(f, "{} {unit} of text ({train} train, {val} val), ", train + val)?;
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
    pub(super) fn restore(
        checkpoint: Checkpoint,
        corpus: Corpus,
        opts: &TrainOptions,
    ) -> Result<Trainer> {
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
        let corpus = Corpus::words(split, &model.vocab().clone(), block_size(words))?;
        Self::assemble_with(model, corpus, opts, batches, word_digest(words))
    }

    pub(super) fn assemble_with(
        model: Model,
        corpus: Corpus,
        opts: &TrainOptions,
        batches: TorchGenerator,
        digest: i64,
    ) -> Result<Trainer> {
        let params = model.parameters();
        let adam = AdamW::new(&params, opts.learning_rate)?;
        let adam = AdamW { betas: opts.betas, weight_decay: opts.weight_decay, ..adam };
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
