//! The MLP of Bengio et al. 2003 (makemore.py's `MLP`): the last `block_size` characters, each
//! looked up in an embedding table, concatenated, then a hidden `tanh` layer and the logits.
//! The lecture after this one ("building makemore part 2: MLP") builds it by hand.

use tch::{Kind, Tensor};

use super::config::{no_check, N_EMBD, N_EMBD2};
use super::nn::{Embedding, Linear, Params};
use super::{Core, ModelConfig, ModelType, Spec};
use crate::data::Vocab;
use crate::error::Result;

/// makemore.py's MLP.
#[derive(Debug)]
pub struct Mlp {
    /// The vocabulary, block size, sizes and parameters (makemore.py's names).
    pub(super) core: Core,
    /// One more row than the vocabulary: `<BLANK>`, for the places before the word starts.
    wte: Embedding,
    hidden: Linear,
    head: Linear,
}

impl Mlp {
    pub(crate) fn new(
        vocab: &Vocab,
        block_size: usize,
        cfg: &ModelConfig,
        mut p: Params,
    ) -> Result<Mlp> {
        let (v, block) = (vocab.len() as i64, block_size as i64);
        let (e, e2) = (cfg.size("n_embd") as i64, cfg.size("n_embd2") as i64);
        let wte = Embedding::new(&mut p, "wte", v + 1, e)?;
        let hidden = Linear::new(&mut p, "mlp.0", block * e, e2, true)?;
        let head = Linear::new(&mut p, "mlp.2", e2, v, true)?;
        Ok(Mlp { core: Core::new(vocab, block_size, cfg, p), wte, hidden, head })
    }
}

network!(Mlp);

impl Mlp {
    /// The logits after every prefix: `(B, T)` → `(B, T, V)`.
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t) = x.size2()?;
        let block = self.core.block_size as i64;
        // the window of each position, newest first: x[t], x[t-1], ..., <BLANK> before the start
        let blank = Tensor::f_full(
            [b, block - 1],
            self.core.vocab.len() as i64,
            (Kind::Int64, x.device()),
        )?;
        let windows = Tensor::f_cat(&[&blank, x], 1)? // (B, block - 1 + T)
            .f_unfold(1, block, 1)? // (B, T, block), oldest first
            .f_flip([-1])?;
        let emb = self.wte.forward(&windows)?.f_reshape([b, t, -1])?; // (B, T, block * n_embd)
        let h = self.hidden.forward(&emb)?.f_tanh()?; // (B, T, n_embd2)
        self.head.forward(&h) // (B, T, V)
    }
}

#[allow(non_upper_case_globals)]
impl ModelType {
    /// Bengio et al. 2003: embeddings of the last characters, a tanh layer.
    pub const Mlp: ModelType = ModelType("mlp");
}

/// The type's facts: what it is, its sizes and checks, how to make one.
pub(super) const SPEC: Spec = Spec {
    kind: ModelType::Mlp,
    hypers: &[N_EMBD, N_EMBD2],
    check: no_check,
    build: Some(|v, b, c, p| Ok(Box::new(Mlp::new(v, b, c, p)?))),
};
