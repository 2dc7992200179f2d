//! Recurrent nets (makemore.py's `RNN`): a hidden state carried from character to character,
//! updated by a cell, read out as the logits. The vanilla RNN cell (Mikolov et al. 2010) and the
//! GRU (Cho et al. 2014), whose gates learn what to keep; the lectures reach them after the MLP.

use tch::Tensor;

use super::config::{no_check, N_EMBD, N_EMBD2};
use super::nn::{Embedding, Linear, Params};
use super::{Core, ModelConfig, ModelType, Spec};
use crate::data::Vocab;
use crate::error::Result;

/// How the hidden state is updated.
#[derive(Debug)]
enum Cell {
    /// `h = tanh(W [x, h])`.
    Rnn { xh_to_h: Linear },
    /// Gates `r` (reset) and `z` (update): `h = (1 - z) h + z tanh(W [x, r h])`.
    Gru { xh_to_z: Linear, xh_to_r: Linear, xh_to_hbar: Linear },
}

/// makemore.py's RNN, with either cell.
#[derive(Debug)]
pub struct Rnn {
    /// The vocabulary, block size, sizes and parameters (makemore.py's names).
    pub(super) core: Core,
    /// The hidden state before the first character, learned.
    start: Tensor,
    wte: Embedding,
    cell: Cell,
    head: Linear,
}

impl Rnn {
    pub(crate) fn new(
        kind: ModelType,
        vocab: &Vocab,
        block_size: usize,
        cfg: &ModelConfig,
        mut p: Params,
    ) -> Result<Rnn> {
        let (v, e, e2) =
            (vocab.len() as i64, cfg.size("n_embd") as i64, cfg.size("n_embd2") as i64);
        let start = p.constant("start".into(), &[1, e2], 0.0)?;
        let wte = Embedding::new(&mut p, "wte", v, e)?;
        let cell = match kind == ModelType::Gru {
            false => Cell::Rnn { xh_to_h: Linear::new(&mut p, "cell.xh_to_h", e + e2, e2, true)? },
            true => Cell::Gru {
                xh_to_z: Linear::new(&mut p, "cell.xh_to_z", e + e2, e2, true)?,
                xh_to_r: Linear::new(&mut p, "cell.xh_to_r", e + e2, e2, true)?,
                xh_to_hbar: Linear::new(&mut p, "cell.xh_to_hbar", e + e2, e2, true)?,
            },
        };
        let head = Linear::new(&mut p, "lm_head", e2, v, true)?;
        Ok(Rnn { core: Core::new(vocab, block_size, cfg, p), start, wte, cell, head })
    }
}

network!(Rnn);

impl Rnn {
    /// The logits after every prefix: `(B, T)` → `(B, T, V)`.
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t) = x.size2()?;
        let emb = self.wte.forward(x)?; // (B, T, n_embd)
        let mut h = self.start.f_expand([b, -1], false)?; // (B, n_embd2)
        let mut hiddens = Vec::with_capacity(t as usize);
        for i in 0..t {
            let xt = emb.f_select(1, i)?; // (B, n_embd)
            let xh = Tensor::f_cat(&[&xt, &h], 1)?; // (B, n_embd + n_embd2)
            h = match &self.cell {
                Cell::Rnn { xh_to_h } => xh_to_h.forward(&xh)?.f_tanh()?,
                Cell::Gru { xh_to_z, xh_to_r, xh_to_hbar } => {
                    let r = xh_to_r.forward(&xh)?.f_sigmoid()?;
                    let xhr = Tensor::f_cat(&[&xt, &r.f_mul(&h)?], 1)?;
                    let hbar = xh_to_hbar.forward(&xhr)?.f_tanh()?;
                    let z = xh_to_z.forward(&xh)?.f_sigmoid()?;
                    let keep = z.f_neg()?.f_add_scalar(1.0)?.f_mul(&h)?; // (1 - z) h
                    keep.f_add(&z.f_mul(&hbar)?)? // + z hbar
                }
            };
            hiddens.push(h.shallow_clone());
        }
        let hidden = Tensor::f_stack(&hiddens, 1)?; // (B, T, n_embd2)
        self.head.forward(&hidden) // (B, T, V)
    }
}

#[allow(non_upper_case_globals)]
impl ModelType {
    /// A vanilla recurrent net.
    pub const Rnn: ModelType = ModelType("rnn");
    /// A recurrent net with gates (GRU).
    pub const Gru: ModelType = ModelType("gru");
}

/// The vanilla RNN's facts: what it is, its sizes and checks, how to make one.
pub(super) const RNN: Spec = Spec {
    kind: ModelType::Rnn,
    hypers: &[N_EMBD, N_EMBD2],
    check: no_check,
    build: Some(|v, b, c, p| Ok(Box::new(Rnn::new(ModelType::Rnn, v, b, c, p)?))),
};

/// The GRU's: the same net with the gated cell.
pub(super) const GRU: Spec = Spec {
    kind: ModelType::Gru,
    build: Some(|v, b, c, p| Ok(Box::new(Rnn::new(ModelType::Gru, v, b, c, p)?))),
    ..RNN
};
