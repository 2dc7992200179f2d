//! The GPT lecture's Transformer (its `gpt.py`, `notebooks/part6_gpt/03_transformer`): token and
//! position embeddings; blocks of multi-head causal self-attention (heads side by side, then a
//! projection) and a feed-forward layer (4x wide, ReLU, a projection), each behind a LayerNorm
//! and added back; a final LayerNorm and the logits. Dropout on the attention weights and after
//! each projection, in training only. The parameters are made in the lecture's order with
//! PyTorch's default initialization, under gpt.py's names (`blocks.0.sa.heads.1.key.weight`), so
//! the same seed gives the notebook's weights. Unlike the notebook's `Head`, the heads' keys,
//! queries and values run as one matmul each and attention is one fused call
//! (`scaled_dot_product_attention`): the same numbers, without holding the `(T, T)` matrices.

use tch::{Kind, Tensor};

use super::config::{heads_split, DROPOUT, N_EMBD, N_HEAD, N_LAYER};
use super::nn::{check_len, Embedding, LayerNorm, Linear, Params};
use super::{Core, ModelConfig, ModelType, Spec};
use crate::data::Vocab;
use crate::error::Result;

/// One block: `x + sa(ln1(x))`, then `x + ffwd(ln2(x))`.
#[derive(Debug)]
struct Block {
    /// Each head's key, query and value weights, `(head_size, n_embd)`, in head order.
    key: Vec<Tensor>,
    query: Vec<Tensor>,
    value: Vec<Tensor>,
    proj: Linear,
    fc: Linear,
    fc_proj: Linear,
    ln1: LayerNorm,
    ln2: LayerNorm,
}

/// The lecture's GPT.
#[derive(Debug)]
pub struct Gpt {
    /// The vocabulary, block size, sizes and parameters (gpt.py's names).
    pub(super) core: Core,
    token_embedding_table: Embedding,
    position_embedding_table: Embedding,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    lm_head: Linear,
}

impl Gpt {
    pub(crate) fn new(
        vocab: &Vocab,
        block_size: usize,
        cfg: &ModelConfig,
        mut p: Params,
    ) -> Result<Gpt> {
        let (v, c, n_head) =
            (vocab.len() as i64, cfg.size("n_embd") as i64, cfg.size("n_head") as i64);
        let head_size = c / n_head;
        let token_embedding_table = Embedding::new(&mut p, "token_embedding_table", v, c)?;
        let position_embedding_table =
            Embedding::new(&mut p, "position_embedding_table", block_size as i64, c)?;
        let mut blocks = Vec::with_capacity(cfg.size("n_layer"));
        for i in 0..cfg.size("n_layer") {
            let name = |part: &str| format!("blocks.{i}.{part}");
            let (mut key, mut query, mut value) = (Vec::new(), Vec::new(), Vec::new());
            for h in 0..n_head {
                let head = |w: &str| name(&format!("sa.heads.{h}.{w}"));
                // nn.Linear(n_embd, head_size, bias=False), drawn key, query, value
                key.push(Linear::new(&mut p, &head("key"), c, head_size, false)?.weight());
                query.push(Linear::new(&mut p, &head("query"), c, head_size, false)?.weight());
                value.push(Linear::new(&mut p, &head("value"), c, head_size, false)?.weight());
            }
            blocks.push(Block {
                key,
                query,
                value,
                proj: Linear::new(&mut p, &name("sa.proj"), c, c, true)?,
                fc: Linear::new(&mut p, &name("ffwd.net.0"), c, 4 * c, true)?,
                fc_proj: Linear::new(&mut p, &name("ffwd.net.2"), 4 * c, c, true)?,
                ln1: LayerNorm::new(&mut p, &name("ln1"), c)?,
                ln2: LayerNorm::new(&mut p, &name("ln2"), c)?,
            });
        }
        let ln_f = LayerNorm::new(&mut p, "ln_f", c)?;
        let lm_head = Linear::new(&mut p, "lm_head", c, v, true)?;
        Ok(Gpt {
            core: Core::new(vocab, block_size, cfg, p),
            token_embedding_table,
            position_embedding_table,
            blocks,
            ln_f,
            lm_head,
        })
    }

    /// The logits after every prefix, `(B, T)` → `(B, T, V)`; dropout at `dropout` (0 in
    /// evaluation).
    fn run(&self, idx: &Tensor, dropout: f64) -> Result<Tensor> {
        let (_, t) = check_len(idx, self.core.block_size)?;
        let pos = Tensor::f_arange(t, (Kind::Int64, idx.device()))?;
        let tok_emb = self.token_embedding_table.forward(idx)?; // (B,T,C)
        let mut x = tok_emb.f_add(&self.position_embedding_table.forward(&pos)?)?; // (B,T,C)
        let n_head = self.core.cfg.size("n_head") as i64;
        for block in &self.blocks {
            x = block.forward(&x, n_head, dropout)?;
        }
        self.lm_head.forward(&self.ln_f.forward(&x)?) // (B,T,vocab_size)
    }

    fn logits(&self, idx: &Tensor) -> Result<Tensor> {
        self.run(idx, 0.0)
    }

    /// The loss with dropout on, as the lecture's `model.train()`.
    fn training_loss(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        crate::loss::cross_entropy(&self.run(x, self.core.cfg.get("dropout").unwrap_or(0.0))?, y)
    }
}

impl Block {
    fn forward(&self, x: &Tensor, n_head: i64, dropout: f64) -> Result<Tensor> {
        let (b, t, c) = x.size3()?;
        let h = self.ln1.forward(x)?;
        // every head's keys, queries, values at once: (B,T,C) -> (B,nh,T,hs)
        let heads = |w: &[Tensor]| -> Result<Tensor> {
            let y = h.f_linear(&Tensor::f_cat(w, 0)?, None::<Tensor>)?;
            Ok(y.f_view([b, t, n_head, c / n_head])?.f_transpose(1, 2)?)
        };
        let (k, q, v) = (heads(&self.key)?, heads(&self.query)?, heads(&self.value)?);
        // softmax(q @ k^T * hs**-0.5, masked causally), dropout, @ v
        let y = Tensor::f_scaled_dot_product_attention(
            &q,
            &k,
            &v,
            None::<Tensor>,
            dropout,
            true,
            None,
            false,
        )?;
        let y = y.f_transpose(1, 2)?.f_contiguous()?.f_view([b, t, c])?; // heads side by side
        let x = x.f_add(&self.proj.forward(&y)?.f_dropout(dropout, dropout > 0.0)?)?;
        let h = self.fc.forward(&self.ln2.forward(&x)?)?.f_relu()?;
        Ok(x.f_add(&self.fc_proj.forward(&h)?.f_dropout(dropout, dropout > 0.0)?)?)
    }
}

network!(Gpt, training_loss);

#[allow(non_upper_case_globals)]
impl ModelType {
    /// The GPT lecture's Transformer (gpt.py), with dropout.
    pub const Gpt: ModelType = ModelType("gpt");
}

/// The type's facts: what it is, its sizes and checks, how to make one.
pub(super) const SPEC: Spec = Spec {
    kind: ModelType::Gpt,
    hypers: &[N_LAYER, N_HEAD, N_EMBD, DROPOUT],
    check: heads_split,
    build: Some(|v, b, c, p| Ok(Box::new(Gpt::new(v, b, c, p)?))),
};
