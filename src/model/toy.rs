//! A model that exists only in tests, added the way any new model is: this one file (the
//! struct, `network!`, its `ModelType` constant, its `Spec` with a hyperparameter of its own)
//! and one line in `TYPES`. It is a unigram: the mean of `n_rows` learned rows of logits, the
//! same after every context. The test below shows that the rest of the crate takes it with
//! nothing else changed: by name, its hyperparameter checked, trained, saved under its name with
//! its hyperparameter by name, loaded back, sampled.

use tch::Tensor;

use super::nn::Params;
use super::{Core, Hyper, ModelConfig, ModelType, Spec};
use crate::data::Vocab;
use crate::error::{Error, Result};

/// The mean of `n_rows` rows of logits, whatever came before.
#[derive(Debug)]
pub struct Unigram {
    pub(super) core: Core,
    logits: Tensor,
}

impl Unigram {
    fn new(vocab: &Vocab, block_size: usize, cfg: &ModelConfig, mut p: Params) -> Result<Unigram> {
        let shape = [cfg.size("n_rows") as i64, vocab.len() as i64];
        let logits = p.constant("logits".into(), &shape, 0.0)?; // (R, V)
        Ok(Unigram { core: Core::new(vocab, block_size, cfg, p), logits })
    }

    /// The row at every position: `(B, T)` → `(B, T, V)`.
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t) = x.size2()?;
        let row = self.logits.f_mean_dim(0, false, None)?; // (V,)
        Ok(row.f_expand([b, t, -1], false)?.f_contiguous()?)
    }
}

network!(Unigram);

#[allow(non_upper_case_globals)]
impl ModelType {
    /// A test-only unigram.
    pub const Unigram: ModelType = ModelType("unigram");
}

/// Its own hyperparameter: rows of logits, at most 3.
const N_ROWS: Hyper = Hyper::size("n_rows", 1);

/// The type's facts: its own hyperparameter, and its own check of it.
pub(super) const SPEC: Spec = Spec {
    kind: ModelType::Unigram,
    hypers: &[N_ROWS],
    check: |cfg| match cfg.size("n_rows") <= 3 {
        true => Ok(()),
        false => Err(Error::param(
            "n_rows",
            cfg.size("n_rows"),
            "a unigram has no use for it",
            "use 1 to 3",
        )),
    },
    build: Some(|v, b, c, p| Ok(Box::new(Unigram::new(v, b, c, p)?))),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::sample::Sampling;
    use crate::train::{TrainOptions, Trainer};

    #[test]
    fn a_new_model_is_one_file_and_one_line() -> Result<()> {
        let kind: ModelType = "unigram".parse()?;
        assert_eq!(kind, ModelType::Unigram);
        assert!(ModelType::all().any(|k| k == kind) && kind.is_makemore());
        assert_eq!(ModelConfig::of(kind).get("n_rows"), Some(1.0));
        let too_many = ModelConfig::default().with("n_rows", 4);
        let e = Trainer::new(&words(), kind, &too_many, &TrainOptions::default()).unwrap_err();
        assert!(e.to_string().contains("no use for it"), "{e}");
        let zero = ModelConfig::default().with("n_rows", 0);
        assert!(Trainer::new(&words(), kind, &zero, &TrainOptions::default()).is_err());
        // another type has no n_rows: the error names the type that has
        let e =
            Trainer::new(&words(), ModelType::Mlp, &zero, &TrainOptions::default()).unwrap_err();
        assert!(e.to_string().contains("unigram's"), "{e}");
        // trained as makemore.py trains: the loss goes down
        let opts = TrainOptions { batch_size: 4, learning_rate: 0.1, ..TrainOptions::default() };
        let two = ModelConfig::default().with("n_rows", 2);
        let mut trainer = Trainer::new(&words(), kind, &two, &opts)?;
        let first = trainer.step()?;
        let last = (0..50).map(|_| trainer.step()).last().unwrap()?;
        assert!(last < first, "{first} -> {last}");
        // saved under its name, loaded back the same, sampled
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unigram.mm");
        trainer.save(&path)?;
        let loaded = Model::load(&path)?;
        assert_eq!(loaded.kind(), kind);
        assert_eq!(loaded.config(), ModelConfig::of(kind).with("n_rows", 2));
        let file = tch::Tensor::read_safetensors(&path)?;
        assert!(file
            .iter()
            .any(|(name, t)| name == "config.n_rows" && t.double_value(&[0]) == 2.0));
        let saved = trainer.model().parameters()[0].1.shallow_clone();
        assert!(loaded.parameters()[0].1.equal(&saved));
        let names = Sampling::default().sample(&loaded, 3)?;
        assert_eq!(names, Sampling::default().sample(trainer.model(), 3)?);
        Ok(())
    }

    fn words() -> Vec<String> {
        ["emma", "olivia", "ava", "isabella", "sophia"].map(String::from).to_vec()
    }
}
