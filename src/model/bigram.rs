//! makemore.py's `Bigram`: a `V × V` table of logits, row = the last character, started at zero
//! (every next character equally likely) and trained with AdamW like the other networks. The
//! lecture's net of `06_gradient_descent` is the same table, drawn at random and trained by
//! plain gradient descent ([`crate::model::NeuralModel`]).

use tch::Tensor;

use super::config::no_check;
use super::nn::Params;
use super::{Core, ModelConfig, ModelType, Spec};
use crate::data::Vocab;
use crate::error::Result;

/// makemore.py's bigram.
#[derive(Debug)]
pub struct Bigram {
    /// The vocabulary, the block size of its data (its samples' cap; it reads one character)
    /// and the table (makemore.py's name: `logits`).
    pub(super) core: Core,
    logits: Tensor,
}

impl Bigram {
    pub(crate) fn new(
        vocab: &Vocab,
        block_size: usize,
        cfg: &ModelConfig,
        mut p: Params,
    ) -> Result<Bigram> {
        let v = vocab.len() as i64;
        let logits = p.constant("logits".into(), &[v, v], 0.0)?; // (V, V)
        Ok(Bigram { core: Core::new(vocab, block_size, cfg, p), logits }) // samples up to block_size
    }

    /// Row `x[b, t]` of the table for every position: `(B, T)` → `(B, T, V)`.
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let rows = self.logits.f_index_select(0, &x.f_reshape(-1)?)?; // (B*T, V)
        let (b, t) = x.size2()?;
        Ok(rows.f_view([b, t, -1])?)
    }
}

network!(Bigram);

#[allow(non_upper_case_globals)]
impl ModelType {
    /// makemore.py's bigram: a table of logits from zeros, trained with AdamW.
    pub const Bigram: ModelType = ModelType("bigram");
}

/// The type's facts: what it is, its sizes and checks, how to make one.
pub(super) const SPEC: Spec = Spec {
    kind: ModelType::Bigram,
    hypers: &[],
    check: no_check,
    build: Some(|v, b, c, p| Ok(Box::new(Bigram::new(v, b, c, p)?))),
};
