//! Part 5's WaveNet ("Building makemore Part 5: Building a WaveNet"): each position reads the
//! last `2^n_layer` characters (`.` before the word starts), embeds them, then fuses them two at
//! a time in `n_layer` levels (the lecture's `FlattenConsecutive(2)`, a linear layer without
//! bias, BatchNorm, `tanh`), then reads out the logits: a dilated causal convolution. Its init is
//! the lecture's: weights `randn / sqrt(fan_in)`, the last layer's scaled by 0.1.
//!
//! BatchNorm makes training differ from use: [`LanguageModel::loss`](super::LanguageModel::loss) normalizes by the batch's
//! statistics (over the examples of the batch's words, padding left out) and updates the running
//! ones; [`LanguageModel::forward`](super::LanguageModel::forward), which evaluation and sampling call, uses the running ones.

use tch::{Kind, Tensor};

use super::config::{N_EMBD, N_EMBD2, N_LAYER};
use super::nn::{BatchNorm, Embedding, Params};
use super::{Core, ModelConfig, ModelType, Spec};
use crate::data::Vocab;
use crate::error::Error;
use crate::error::Result;

/// One level: two neighbours' vectors side by side, a linear layer, BatchNorm, `tanh`.
#[derive(Debug)]
struct Level {
    /// `(2 * fan_in, n_embd2)`, the lecture's layout (`x @ weight`).
    weight: Tensor,
    bn: BatchNorm,
}

/// Part 5's hierarchical net.
#[derive(Debug)]
pub struct Wavenet {
    /// The vocabulary, block size, sizes, parameters and BatchNorm's running statistics.
    pub(super) core: Core,
    wte: Embedding,
    levels: Vec<Level>,
    head_weight: Tensor,
    head_bias: Tensor,
}

impl Wavenet {
    pub(crate) fn new(
        vocab: &Vocab,
        block_size: usize,
        cfg: &ModelConfig,
        mut p: Params,
    ) -> Result<Wavenet> {
        let (v, e, h) = (vocab.len() as i64, cfg.size("n_embd") as i64, cfg.size("n_embd2") as i64);
        let wte = Embedding::new(&mut p, "wte", v, e)?;
        let mut levels = Vec::with_capacity(cfg.size("n_layer"));
        let mut fan_in = 2 * e;
        for i in 0..cfg.size("n_layer") {
            let scale = 1.0 / (fan_in as f64).sqrt();
            let weight = p.randn(format!("levels.{i}.weight"), &[fan_in, h], scale)?;
            levels
                .push(Level { weight, bn: BatchNorm::new(&mut p, &format!("levels.{i}.bn"), h)? });
            fan_in = 2 * h;
        }
        let scale = 0.1 / (h as f64).sqrt(); // the last layer less confident
        let head_weight = p.randn("head.weight".into(), &[h, v], scale)?;
        let head_bias = p.constant("head.bias".into(), &[v], 0.0)?;
        let core = Core::new(vocab, block_size, cfg, p);
        Ok(Wavenet { core, wte, levels, head_weight, head_bias })
    }

    /// The characters each position reads: `2^n_layer`.
    pub fn context(&self) -> usize {
        1 << self.levels.len()
    }

    /// The window of each position, oldest first, `.` before the start: `(B, T)` → `(B, T, context)`.
    fn windows(&self, x: &Tensor) -> Result<Tensor> {
        let (b, _) = x.size2()?;
        let c = self.context() as i64;
        let dots = Tensor::f_zeros([b, c - 1], (Kind::Int64, x.device()))?;
        Ok(Tensor::f_cat(&[&dots, x], 1)?.f_unfold(1, c, 1)?)
    }

    /// The net on windows `(N, context)` → logits `(N, V)`.
    fn net(&self, windows: &Tensor, training: bool) -> Result<Tensor> {
        let mut h = self.wte.forward(windows)?; // (N, context, n_embd)
        for level in &self.levels {
            let (n, t, c) = h.size3()?;
            h = h.f_reshape([n, t / 2, 2 * c])?; // FlattenConsecutive(2)
            h = level.bn.forward(&h.f_matmul(&level.weight)?, training)?.f_tanh()?;
        }
        Ok(h.f_squeeze_dim(1)?.f_matmul(&self.head_weight)?.f_add(&self.head_bias)?)
    }

    /// The logits after every prefix, BatchNorm on its running statistics: `(B, T)` → `(B, T, V)`.
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t) = x.size2()?;
        let w = self.windows(x)?.f_reshape([b * t, -1])?;
        Ok(self.net(&w, false)?.f_reshape([b, t, -1])?)
    }
}

network!(Wavenet, training_loss);

impl Wavenet {
    /// The batch's examples (every position of its words with a target: the lecture's examples),
    /// BatchNorm on their statistics.
    fn training_loss(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let c = self.context() as i64;
        let y = y.f_reshape([-1])?;
        let keep = y.f_ge(0)?.f_nonzero()?.f_squeeze_dim(1)?;
        let w = self.windows(x)?.f_reshape([-1, c])?.f_index_select(0, &keep)?;
        crate::loss::cross_entropy(&self.net(&w, true)?, &y.f_index_select(0, &keep)?)
    }
}

#[allow(non_upper_case_globals)]
impl ModelType {
    /// Part 5's WaveNet: the context fused two characters at a time, with BatchNorm.
    pub const Wavenet: ModelType = ModelType("wavenet");
}

/// The most levels a wavenet may have: a context of 2^10 = 1,024 characters.
const MAX_LEVELS: usize = 10;

/// The type's facts: part 5's sizes (3 levels, so a context of 8; embeddings of 24; 128
/// neurons per level), its checks, how to make one.
pub(super) const SPEC: Spec = Spec {
    kind: ModelType::Wavenet,
    hypers: &[N_LAYER.or(3), N_EMBD.or(24), N_EMBD2.or(128)],
    check: |cfg| match cfg.size("n_layer") > MAX_LEVELS {
        true => Err(Error::Param {
            name: "n_layer",
            value: cfg.size("n_layer").to_string(),
            why: "a wavenet of n_layer levels reads 2^n_layer characters",
            hint: format!("use at most {MAX_LEVELS} (part 5's: 3, a context of 8)"),
        }),
        false => Ok(()),
    },
    build: Some(|v, b, c, p| Ok(Box::new(Wavenet::new(v, b, c, p)?))),
};
