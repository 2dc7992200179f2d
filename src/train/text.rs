//! A text as one stream, the GPT lecture's way: the first 90% to train on, windows of the block
//! size at random places, the losses over batches at places drawn once. The defaults of training
//! on a text (the lecture's small model) are here, beside the stream they are for.

use tch::{Device, Kind, Tensor};

use super::{Checkpoint, Corpus, TrainOptions, Trainer};
use crate::data::Vocab;
use crate::error::{Error, Result};
use crate::loss::cross_entropy;
use crate::model::{LanguageModel, Model, ModelConfig, ModelType};
use crate::rng::with_torch_seed;
use crate::rng::TorchGenerator;

/// Training on a text, as the GPT lecture's script sets it up (its small model): the sizes of
/// the stream and of what is generated from it. The training options are
/// [`TrainOptions::gpt_lecture`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextOptions {
    /// The type of model (the lecture's Transformer).
    pub kind: ModelType,
    /// Characters of context: windows of this many (the lecture's `block_size`).
    pub block_size: usize,
    /// Batches of each part the losses are the mean of (the lecture's `eval_iters`).
    pub eval_batches: usize,
    /// Characters generated from a model of a text unless told otherwise.
    pub chars: usize,
}

impl TextOptions {
    /// The GPT lecture's small model (`gpt.py` before scaling up).
    pub const fn gpt_lecture() -> TextOptions {
        TextOptions { kind: ModelType::Gpt, block_size: 32, eval_batches: 200, chars: 500 }
    }
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions::gpt_lecture()
    }
}

/// A text as one stream of character indices, split as the lecture splits it: the first 90% to
/// train on, the rest to validate on. A batch is `batch_size` windows of `block + 1` characters
/// at random places of the training part; the losses are the mean of `eval_batches` batches of
/// each part, at places drawn once from the seed, so that every measurement reads the same text.
pub(crate) struct Stream {
    pub(super) train: Tensor,
    pub(super) val: Tensor,
    pub(super) block: i64,
    pub(super) eval_train: Vec<i64>,
    pub(super) eval_val: Vec<i64>,
}

impl Stream {
    pub(super) fn new(
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
            let (unit, why) = match vocab.tokenizer() {
                Some(_) => (
                    "tokens",
                    "a window is block size + 1 tokens, and the validation text is shorter",
                ),
                None => (
                    "characters",
                    "a window is block size + 1 characters, and the validation text is shorter",
                ),
            };
            return Err(Error::Param {
                name: "block size",
                value: block.to_string(),
                why,
                hint: format!(
                    "the last 10% of this text is {} {unit}: use a block size below that, or a longer text",
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
    pub(super) fn windows(
        &self,
        data: &Tensor,
        starts: &[i64],
        device: Device,
    ) -> Result<(Tensor, Tensor)> {
        let offsets = Tensor::f_arange(self.block, (Kind::Int64, Device::Cpu))?.f_unsqueeze(0)?;
        let ix = Tensor::from_slice(starts).f_unsqueeze(1)?.f_add(&offsets)?; // (B, block)
        let take = |ix: &Tensor| -> Result<Tensor> { Ok(data.f_take(ix)?.f_to(device)?) };
        Ok((take(&ix)?, take(&ix.f_add_scalar(1)?)?))
    }

    /// The mean loss of the batches of windows at `starts`, as the lecture's `estimate_loss`.
    pub(super) fn loss(
        &self,
        model: &Model,
        data: &Tensor,
        starts: &[i64],
        batch: usize,
    ) -> Result<f64> {
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

/// A digest of a text: tells [`Trainer::resume_text`] whether it was given the same text.
pub(super) fn text_digest(text: &str) -> i64 {
    let mut h = crate::io::Fnv::default();
    h.eat(text.as_bytes());
    h.finish() as i64
}

/// Refuses the lecture's two models on a text: they are made from words.
pub(super) fn text_kind(kind: ModelType) -> Result<()> {
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

impl Trainer {
    /// The GPT lecture's start on a text: seed torch's generator, make the model (its
    /// vocabulary: the text's characters, [`Vocab::from_text`], or a tokenizer's byte-pair
    /// tokens, [`Vocab::from_tokenizer`]; windows of `text_opts.block_size`), draw the seed of
    /// the batches; split the text 90/10 and draw the places of the `text_opts.eval_batches`
    /// batches the losses are measured on. AdamW with PyTorch's betas, as the lecture's.
    ///
    /// # Errors
    /// [`Error::Param`] for a vocabulary of words, a lecture model type, bad options or sizes, a
    /// block size the text is too short for.
    pub fn on_text(
        text: &str,
        vocab: Vocab,
        kind: ModelType,
        cfg: &ModelConfig,
        opts: &TrainOptions,
        text_opts: &TextOptions,
    ) -> Result<Trainer> {
        opts.check()?;
        if !vocab.is_text() {
            let hint = "use Vocab::from_text or Vocab::from_tokenizer";
            return Err(Error::param(
                "vocabulary",
                "a word list's",
                "a text has no boundary token",
                hint,
            ));
        }
        text_kind(kind)?;
        let TextOptions { block_size, eval_batches, .. } = *text_opts;
        if eval_batches == 0 {
            let hint = "use 200, the lecture's eval_iters";
            return Err(Error::param(
                "eval batches",
                0,
                "the losses are a mean over batches",
                hint,
            ));
        }
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
        text_opts: &TextOptions,
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
            text_opts.eval_batches.max(1),
            state.split_seed,
        )?;
        Self::restore(checkpoint, Corpus::Text(stream), opts)
    }
}
