//! What a saved model gives the `makemore` command: samples (`makemore sample`, and
//! `--sample-only` through [`super::Job::samples`]), drawn by one seed rule ([`seed_of`]), and
//! its score (`makemore eval`).

use std::path::Path;

use tch::Device;

use super::workdir::{Expect, Output};
use super::{Checkpoint, TrainOptions};
use crate::data::{read_text, read_words, Vocab};
use crate::error::{Error, Result};
use crate::eval::{nll, text_nll};
use crate::model::{CountModel, LanguageModel, ModelType};
use crate::sample::Sampling;

/// The seed a model of `kind` trains and samples with unless told: the GPT lecture's on a text
/// (1337), makemore.py's for its networks (3407), the lecture's [`crate::SEED`] for its two.
/// Sampling a saved model, by `--sample-only` or `makemore sample`, follows the same rule.
pub fn seed_of(kind: ModelType, text: bool) -> i64 {
    match (text, kind.is_makemore()) {
        (true, _) => TrainOptions::gpt_lecture().seed,
        (false, true) => TrainOptions::makemore_py().seed,
        (false, false) => crate::SEED,
    }
}

/// Where `makemore sample` draws from: a saved model, or a count model of the words made on the
/// spot with `context` characters and add-`smoothing` counts.
#[derive(Debug, Clone)]
pub enum Source {
    Saved(Output),
    Counts { context: usize, smoothing: f64 },
}

impl Source {
    /// The saved model of `output`, else a count model of `context` and `smoothing` (unless
    /// told, [`CountModel`]'s).
    ///
    /// # Errors
    /// [`Error::Param`] for `context` or `smoothing` with a saved model (it has its own).
    pub fn new(
        output: Option<Output>,
        context: Option<usize>,
        smoothing: Option<f64>,
    ) -> Result<Source> {
        match output {
            Some(_) if context.is_some() || smoothing.is_some() => {
                let why = "they make a count model from --input alone; a saved model has its own";
                Err(Error::param("--smoothing and --context", "given", why, "leave them out"))
            }
            Some(out) => Ok(Source::Saved(out)),
            None => Ok(Source::Counts {
                context: context.unwrap_or(CountModel::CONTEXT),
                smoothing: smoothing.unwrap_or(CountModel::SMOOTHING),
            }),
        }
    }
}

/// `makemore sample`: lines of `n` samples of the model of `from` (names grouped as in train /
/// in test / new when `words` are given). The seed is `seed`, else the model's type's
/// ([`seed_of`]), as `--sample-only` draws them.
///
/// # Errors
/// As [`Output::load`], [`CountModel::fit`] and [`Checkpoint::samples`].
pub fn samples(
    from: &Source,
    words: Option<&[String]>,
    seed: Option<i64>,
    sampling: &Sampling,
    n: Option<usize>,
    prefix: &str,
) -> Result<String> {
    let checkpoint = match from {
        Source::Saved(out) => out.load(Device::Cpu, Expect::default())?,
        Source::Counts { context, smoothing } => {
            let words = words.unwrap_or_default();
            let model = CountModel::fit(words, &Vocab::from_words(words)?, *context, *smoothing)?;
            Checkpoint { model: model.into(), state: None }
        }
    };
    let model = &checkpoint.model;
    let seed = seed.unwrap_or(seed_of(model.kind(), model.vocab().is_text()));
    let words = words.filter(|_| matches!(from, Source::Saved(_)));
    draw(&checkpoint, &Sampling { seed, ..*sampling }, n, prefix, words)
}

/// The samples of a saved model, the words split as its training split them.
pub(super) fn draw(
    checkpoint: &Checkpoint,
    sampling: &Sampling,
    n: Option<usize>,
    prefix: &str,
    words: Option<&[String]>,
) -> Result<String> {
    sampling.check()?;
    let kind = checkpoint.model.kind();
    let split_seed = kind.is_makemore().then_some(sampling.seed);
    checkpoint.samples(sampling, n, prefix, words, split_seed)
}

/// `makemore eval`: the mean negative log likelihood per character of the words (or the text)
/// in `input` under the model saved in `from`.
///
/// # Errors
/// As [`Output::load`], [`read_words`] and [`read_text`]; [`Error::Scoring`] when the model
/// cannot score the input (a character it has never seen).
pub fn score(from: &Output, input: &Path) -> Result<f64> {
    let model = from.load(Device::Cpu, Expect::default())?.model;
    let loss = match model.vocab().is_text() {
        true => read_text(input).map_err(Error::from).map(|text| text_nll(&model, &text)),
        false => read_words(input).map(|words| nll(&model, &words)),
    }?;
    loss.map_err(|e| Error::Scoring {
        input: input.to_path_buf(),
        model: from.model_path().into(),
        cause: Box::new(e),
    })
}
