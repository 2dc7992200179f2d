//! Bag of words (makemore.py's `BoW`): each position averages the embeddings (token plus
//! position) of everything before it, adds an MLP of that, and reads out the logits. The average
//! is attention with equal weights: the step before the Transformer.

use tch::{Kind, Tensor};

use super::config::{no_check, N_EMBD, N_EMBD2};
use super::nn::{check_len, Embedding, Linear, Params};
use super::{Core, ModelConfig, ModelType, Spec};
use crate::data::Vocab;
use crate::error::Result;

/// makemore.py's BoW.
#[derive(Debug)]
pub struct Bow {
    /// The vocabulary, block size, sizes and parameters (makemore.py's names).
    pub(super) core: Core,
    wte: Embedding,
    wpe: Embedding,
    c_fc: Linear,
    c_proj: Linear,
    head: Linear,
}

impl Bow {
    pub(crate) fn new(
        vocab: &Vocab,
        block_size: usize,
        cfg: &ModelConfig,
        mut p: Params,
    ) -> Result<Bow> {
        let (v, e, e2) =
            (vocab.len() as i64, cfg.size("n_embd") as i64, cfg.size("n_embd2") as i64);
        let wte = Embedding::new(&mut p, "wte", v, e)?;
        let wpe = Embedding::new(&mut p, "wpe", block_size as i64, e)?;
        let c_fc = Linear::new(&mut p, "context_block.mlp.c_fc", e, e2, true)?;
        let c_proj = Linear::new(&mut p, "context_block.mlp.c_proj", e2, e, true)?;
        let head = Linear::new(&mut p, "lm_head", e, v, true)?;
        Ok(Bow { core: Core::new(vocab, block_size, cfg, p), wte, wpe, c_fc, c_proj, head })
    }
}

network!(Bow);

impl Bow {
    /// The logits after every prefix: `(B, T)` → `(B, T, V)`.
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let (_, t) = check_len(x, self.core.block_size)?;
        let pos = Tensor::f_arange(t, (Kind::Int64, x.device()))?;
        let x = self.wte.forward(x)?.f_add(&self.wpe.forward(&pos)?)?; // (B, T, n_embd)
                                                                       // the causal bag of words: the mean of positions 0..=t
        let counts = Tensor::f_arange_start(1, t + 1, (Kind::Float, x.device()))?.f_view([t, 1])?;
        let x = x.f_add(&x.f_cumsum(1, Kind::Float)?.f_div(&counts)?)?;
        let x = x.f_add(&self.c_proj.forward(&self.c_fc.forward(&x)?.f_tanh()?)?)?;
        self.head.forward(&x) // (B, T, V)
    }
}

#[allow(non_upper_case_globals)]
impl ModelType {
    /// Bag of words: the average of everything before, then an MLP.
    pub const Bow: ModelType = ModelType("bow");
}

/// The type's facts: what it is, its sizes and checks, how to make one.
pub(super) const SPEC: Spec = Spec {
    kind: ModelType::Bow,
    hypers: &[N_EMBD, N_EMBD2],
    check: no_check,
    build: Some(|v, b, c, p| Ok(Box::new(Bow::new(v, b, c, p)?))),
};
