//! A checkpoint: a model file (`crate::model::file`) with where training stood, for `--resume`.
//! Read once: the model, and the training state as typed fields.
//!
//! | tensor            | kind  | holds                                                    |
//! |-------------------|-------|----------------------------------------------------------|
//! | `train.step`      | Int64 | `[steps taken, split seed, digest of the words, AdamW's step]` |
//! | `train.best`      | F64   | the best score so far (absent before an evaluation)      |
//! | `train.batches`   | Int64 | the batch generator's 624 words and position             |
//! | `train.m.<name>`, `train.v.<name>` | any | AdamW's moments of each parameter       |

use std::path::Path;

use tch::{Device, Tensor};

use crate::error::{Error, Result};
use crate::model::{file, LanguageModel, Model};
use crate::rng::TorchGenerator;
use crate::sample::{Grouped, Sampling};

/// Where training stood when a model was saved: what [`crate::train::Trainer::resume`] needs.
#[derive(Debug)]
pub struct TrainState {
    pub(crate) step: usize,
    pub(crate) split_seed: i64,
    pub(crate) digest: i64,
    pub(crate) best: Option<f64>,
    pub(crate) adam_step: i64,
    /// AdamW's two moments of each parameter, in the model's order.
    pub(crate) moments: Vec<(Tensor, Tensor)>,
    pub(crate) batches: TorchGenerator,
}

impl TrainState {
    /// Steps taken.
    pub fn step(&self) -> usize {
        self.step
    }

    /// The seed of the train/test split.
    pub fn split_seed(&self) -> i64 {
        self.split_seed
    }

    /// The best score an evaluation saw.
    pub fn best(&self) -> Option<f64> {
        self.best
    }
}

/// A model file as training saves it: the model, and where training stood (`None` for a model
/// saved without training state, such as the lecture's).
#[derive(Debug)]
pub struct Checkpoint {
    pub model: Model,
    pub state: Option<TrainState>,
}

impl Checkpoint {
    /// Names sampled unless told otherwise (makemore.py's 10 of each group).
    pub const NAMES: usize = 10;
    /// Names makemore.py's `--sample-only` prints.
    pub const SAMPLE_ONLY_NAMES: usize = 50;

    /// What a saved model gives when asked for samples, as lines to print: `n` characters of a
    /// model of a text (unless told, [`super::TextOptions`]'s), or `n` names (unless told, 10),
    /// grouped as in train / in test / new when the `words` are given, split as training split
    /// them (the saved seed, else `split_seed`; with neither, all count as training).
    ///
    /// # Errors
    /// As [`Sampling::sample_from`], [`Sampling::generate`] and [`super::run::split_of`].
    pub fn samples(
        &self,
        sampling: &Sampling,
        n: Option<usize>,
        prefix: &str,
        words: Option<&[String]>,
        split_seed: Option<i64>,
    ) -> Result<String> {
        let (model, vocab) = (&self.model, self.model.vocab());
        if vocab.is_text() {
            let chars = n.unwrap_or(super::TextOptions::default().chars);
            return Ok(sampling.generate(model, chars, prefix)? + "\n");
        }
        let names = sampling.sample_from(model, n.unwrap_or(Checkpoint::NAMES), prefix)?;
        let Some(words) = words else {
            return Ok(names.iter().map(|name| format!("{}\n", vocab.strip(name))).collect());
        };
        let seed = self.state.as_ref().map(|s| s.split_seed).or(split_seed);
        Ok(format!("{}\n", Grouped::new(&names, vocab, &super::run::split_of(words, seed)?)))
    }

    /// Reads a model file once, onto `device`.
    ///
    /// # Errors
    /// As [`Model::load`]; [`Error::Model`] when its training state is damaged.
    pub fn load(path: impl AsRef<Path>, device: Device) -> Result<Checkpoint> {
        let path = path.as_ref();
        let (model, mut extra) = file::load_on(path, device)?;
        if extra.is_empty() {
            return Ok(Checkpoint { model, state: None });
        }
        let bad = || Error::Model {
            path: path.to_path_buf(),
            why: "its training state is damaged".to_string(),
            hint: "train it again, or load it as a model without resuming",
        };
        let ints = extra
            .get("train.step")
            .and_then(|t| Vec::<i64>::try_from(t).ok())
            .filter(|v| v.len() == 4)
            .ok_or_else(bad)?;
        let batches = extra
            .get("train.batches")
            .and_then(|t| Vec::<i64>::try_from(t).ok())
            .and_then(|s| TorchGenerator::from_state(&s))
            .ok_or_else(bad)?;
        let best = match extra.get("train.best") {
            Some(t) => Some(t.f_double_value(&[0]).map_err(|_| bad())?),
            None => None,
        };
        let mut moments = Vec::new();
        for (name, _) in model.parameters() {
            let m = extra.remove(&format!("train.m.{name}")).ok_or_else(bad)?;
            let v = extra.remove(&format!("train.v.{name}")).ok_or_else(bad)?;
            moments.push((m, v));
        }
        let state = TrainState {
            step: usize::try_from(ints[0]).map_err(|_| bad())?,
            split_seed: ints[1],
            digest: ints[2],
            adam_step: ints[3],
            best,
            moments,
            batches,
        };
        Ok(Checkpoint { model, state: Some(state) })
    }
}

/// Saves `model` and `state` to `path` atomically.
pub(crate) fn save(model: &Model, state: Option<&TrainState>, path: &Path) -> Result<()> {
    let mut extra = Vec::new();
    if let Some(s) = state {
        let ints = [s.step as i64, s.split_seed, s.digest, s.adam_step];
        extra.push(("train.step".to_string(), Tensor::from_slice(&ints)));
        extra.push(("train.batches".to_string(), Tensor::from_slice(&s.batches.state())));
        if let Some(best) = s.best {
            extra.push(("train.best".to_string(), Tensor::from_slice(&[best])));
        }
        for ((name, _), (m, v)) in model.parameters().iter().zip(&s.moments) {
            extra.push((format!("train.m.{name}"), m.shallow_clone()));
            extra.push((format!("train.v.{name}"), v.shallow_clone()));
        }
    }
    file::save(model, path, extra)
}
