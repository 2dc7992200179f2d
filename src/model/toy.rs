//! A model that exists only in tests, added the way any new model is: this one file (the
//! struct, `network!`, its `ModelType` constant, its `Spec`) and one line in `TYPES`. It is a
//! unigram: one learned row of logits, the same after every context. The test below shows that
//! the rest of the crate takes it with nothing else changed: by name, sizes checked, trained,
//! saved under its name and loaded back, sampled.

use tch::Tensor;

use super::nn::Params;
use super::{Core, ModelConfig, ModelType, Spec};
use crate::data::Vocab;
use crate::error::{Error, Result};

/// One row of logits, whatever came before.
#[derive(Debug)]
pub struct Unigram {
    pub(super) core: Core,
    logits: Tensor,
}

impl Unigram {
    fn new(vocab: &Vocab, block_size: usize, cfg: &ModelConfig, mut p: Params) -> Result<Unigram> {
        let logits = p.constant("logits".into(), &[vocab.len() as i64], 0.0)?; // (V,)
        Ok(Unigram { core: Core::new(vocab, block_size, cfg, p), logits })
    }

    /// The row at every position: `(B, T)` → `(B, T, V)`.
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t) = x.size2()?;
        Ok(self.logits.f_expand([b, t, -1], false)?.f_contiguous()?)
    }
}

network!(Unigram);

#[allow(non_upper_case_globals)]
impl ModelType {
    /// A test-only unigram.
    pub const Unigram: ModelType = ModelType("unigram");
}

/// The type's facts: it reads `n_embd` only to show that its own check runs.
pub(super) const SPEC: Spec = Spec {
    kind: ModelType::Unigram,
    about: "A test-only unigram: one row of logits.",
    defaults: ModelConfig { n_embd: 3, ..ModelConfig::DEFAULT },
    uses: &["n_embd"],
    dropout: false,
    check: |cfg| match cfg.n_embd <= 3 {
        true => Ok(()),
        false => Err(Error::param("n_embd", cfg.n_embd, "a unigram has no use for it", "use 3")),
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
        assert_eq!(ModelConfig::of(kind).n_embd, 3);
        let too_wide = ModelConfig { n_embd: 4, ..ModelConfig::of(kind) };
        let e = Trainer::new(&words(), kind, &too_wide, &TrainOptions::default()).unwrap_err();
        assert!(e.to_string().contains("no use for it"), "{e}");
        let zero = ModelConfig { n_embd: 0, ..ModelConfig::of(kind) };
        assert!(Trainer::new(&words(), kind, &zero, &TrainOptions::default()).is_err());
        // trained as makemore.py trains: the loss goes down
        let opts = TrainOptions { batch_size: 4, learning_rate: 0.1, ..TrainOptions::default() };
        let mut trainer = Trainer::new(&words(), kind, &ModelConfig::of(kind), &opts)?;
        let first = trainer.step()?;
        let last = (0..50).map(|_| trainer.step()).last().unwrap()?;
        assert!(last < first, "{first} -> {last}");
        // saved under its name, loaded back the same, sampled
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unigram.mm");
        trainer.save(&path)?;
        let loaded = Model::load(&path)?;
        assert_eq!(loaded.kind(), kind);
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
