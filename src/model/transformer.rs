//! The Transformer (makemore.py's, "exactly as used in GPT-2"): token and position embeddings,
//! then blocks of causal self-attention and an MLP, each behind a LayerNorm and added back,
//! then the logits. The lectures end with it ("Let's build GPT").

use tch::{Kind, Tensor};

use super::config::{heads_split, N_EMBD, N_HEAD, N_LAYER};
use super::nn::{check_len, Embedding, LayerNorm, Linear, Params};
use super::{Core, ModelConfig, ModelType, Spec};
use crate::data::Vocab;
use crate::error::Result;

/// One block, GPT-2's (also `crate::gpt2`'s): `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`.
#[derive(Debug)]
pub(crate) struct Block {
    ln_1: LayerNorm,
    /// Queries, keys and values of every head, in one matmul.
    pub(crate) c_attn: Linear,
    pub(crate) attn_proj: Linear,
    ln_2: LayerNorm,
    pub(crate) c_fc: Linear,
    pub(crate) mlp_proj: Linear,
}

/// makemore.py's Transformer.
#[derive(Debug)]
pub struct Transformer {
    /// The vocabulary, block size, sizes and parameters (makemore.py's names).
    pub(super) core: Core,
    n_head: i64,
    wte: Embedding,
    wpe: Embedding,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    head: Linear,
}

impl Transformer {
    pub(crate) fn new(
        vocab: &Vocab,
        block_size: usize,
        cfg: &ModelConfig,
        mut p: Params,
    ) -> Result<Transformer> {
        let (v, c) = (vocab.len() as i64, cfg.size("n_embd") as i64);
        let wte = Embedding::new(&mut p, "transformer.wte", v, c)?;
        let wpe = Embedding::new(&mut p, "transformer.wpe", block_size as i64, c)?;
        let mut blocks = Vec::with_capacity(cfg.size("n_layer"));
        for i in 0..cfg.size("n_layer") {
            blocks.push(Block::new(&mut p, &format!("transformer.h.{i}"), c)?);
        }
        let ln_f = LayerNorm::new(&mut p, "transformer.ln_f", c)?;
        let head = Linear::new(&mut p, "lm_head", c, v, false)?;
        Ok(Transformer {
            core: Core::new(vocab, block_size, cfg, p),
            n_head: cfg.size("n_head") as i64,
            wte,
            wpe,
            blocks,
            ln_f,
            head,
        })
    }
}

impl Block {
    /// Its layers, named `<name>.ln_1`, `<name>.attn.c_attn`, ..., made in GPT-2's order.
    pub(crate) fn new(p: &mut Params, name: &str, c: i64) -> Result<Block> {
        let name = |part: &str| format!("{name}.{part}");
        Ok(Block {
            ln_1: LayerNorm::new(p, &name("ln_1"), c)?,
            c_attn: Linear::new(p, &name("attn.c_attn"), c, 3 * c, true)?,
            attn_proj: Linear::new(p, &name("attn.c_proj"), c, c, true)?,
            ln_2: LayerNorm::new(p, &name("ln_2"), c)?,
            c_fc: Linear::new(p, &name("mlp.c_fc"), c, 4 * c, true)?,
            mlp_proj: Linear::new(p, &name("mlp.c_proj"), 4 * c, c, true)?,
        })
    }

    /// The block on `x` `(B, T, C)` with `n_head` heads: attention by
    /// `scaled_dot_product_attention` when `flash`, else as the GPT-2 lecture first writes it,
    /// the (T, T) scores scaled, masked and softmaxed (equal to within float rounding). With
    /// `low` (bfloat16), the matmuls and the attention run in that kind as CPU autocast runs
    /// them, the LayerNorms and the residual stream in float32.
    pub(crate) fn forward(
        &self,
        x: &Tensor,
        n_head: i64,
        flash: bool,
        low: Option<Kind>,
    ) -> Result<Tensor> {
        let (b, t, c) = x.size3()?;
        // causal self-attention: each head attends to the positions up to its own
        let qkv = self.c_attn.forward_as(&self.ln_1.forward(x)?, low)?; // (B, T, 3C)
        let heads = |i: i64| -> Result<Tensor> {
            Ok(qkv.f_narrow(2, i * c, c)?.f_view([b, t, n_head, c / n_head])?.f_transpose(1, 2)?)
            // (B, nh, T, hs)
        };
        let (q, k, v) = (heads(0)?, heads(1)?, heads(2)?);
        let y = match flash {
            true => Tensor::f_scaled_dot_product_attention::<Tensor>(
                &q, &k, &v, None, 0.0, true, None, false,
            )?,
            false => {
                let scale = 1.0 / ((c / n_head) as f64).sqrt();
                let att = q.f_matmul(&k.f_transpose(-2, -1)?)?.f_mul_scalar(scale)?;
                let mask = Tensor::f_ones([t, t], (Kind::Float, x.device()))?.f_tril(0)?;
                let att = att.f_masked_fill(&mask.f_eq(0)?, f64::NEG_INFINITY)?;
                att.f_softmax(-1, att.kind())?.f_matmul(&v)?
            }
        };
        let y = y.f_transpose(1, 2)?.f_contiguous()?.f_view([b, t, c])?; // heads side by side
        let x = x.f_add(&self.attn_proj.forward_as(&y, low)?)?;
        // the MLP, with GPT-2's GELU (the tanh approximation)
        let h = self.c_fc.forward_as(&self.ln_2.forward(&x)?, low)?.f_gelu("tanh")?;
        Ok(x.f_add(&self.mlp_proj.forward_as(&h, low)?)?)
    }
}

network!(Transformer);

impl Transformer {
    /// The logits after every prefix: `(B, T)` → `(B, T, V)`.
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let (_, t) = check_len(x, self.core.block_size)?;
        let pos = Tensor::f_arange(t, (Kind::Int64, x.device()))?;
        let mut x = self.wte.forward(x)?.f_add(&self.wpe.forward(&pos)?)?; // (B, T, C)
        for block in &self.blocks {
            x = block.forward(&x, self.n_head, true, None)?;
        }
        self.head.forward(&self.ln_f.forward(&x)?) // (B, T, V)
    }
}

#[allow(non_upper_case_globals)]
impl ModelType {
    /// GPT-2's Transformer.
    pub const Transformer: ModelType = ModelType("transformer");
}

/// The type's facts: what it is, its sizes and checks, how to make one.
pub(super) const SPEC: Spec = Spec {
    kind: ModelType::Transformer,
    hypers: &[N_LAYER, N_HEAD, N_EMBD],
    check: heads_split,
    build: Some(|v, b, c, p| Ok(Box::new(Transformer::new(v, b, c, p)?))),
};
