//! The MLP of Bengio et al. 2003 (makemore.py's `MLP`): the last `block_size` characters, each
//! looked up in an embedding table, concatenated, then a hidden `tanh` layer and the logits.
//! The lecture after this one ("building makemore part 2: MLP") builds it by hand.

use tch::{Device, Kind, Tensor};

use super::nn::{device_of, Embedding, Linear, Params};
use super::{LanguageModel, ModelConfig};
use crate::data::Vocab;
use crate::error::Result;

/// makemore.py's MLP.
#[derive(Debug)]
pub struct Mlp {
    /// Every parameter, by name, as makemore.py names them.
    pub(super) params: Vec<(String, Tensor)>,
    pub(super) cfg: ModelConfig,
    vocab: Vocab,
    block_size: usize,
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
        let (e, e2) = (cfg.n_embd as i64, cfg.n_embd2 as i64);
        let wte = Embedding::new(&mut p, "wte", v + 1, e)?;
        let hidden = Linear::new(&mut p, "mlp.0", block * e, e2, true)?;
        let head = Linear::new(&mut p, "mlp.2", e2, v, true)?;
        Ok(Mlp {
            params: p.into_list(),
            cfg: *cfg,
            vocab: vocab.clone(),
            block_size,
            wte,
            hidden,
            head,
        })
    }
}

impl LanguageModel for Mlp {
    fn vocab(&self) -> &Vocab {
        &self.vocab
    }
    fn block_size(&self) -> usize {
        self.block_size
    }
    fn device(&self) -> Device {
        device_of(&self.params)
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t) = x.size2()?;
        let block = self.block_size as i64;
        // the window of each position, newest first: x[t], x[t-1], ..., <BLANK> before the start
        let blank = Tensor::f_full(
            [b, block - 1],
            self.vocab.len() as i64,
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
