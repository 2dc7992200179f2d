//! GPT-2 as the course's last lecture ("Let's reproduce GPT-2 (124M)", build-nanogpt's
//! `train_gpt2.py`) builds it: [`Config`] with OpenAI's sizes and the lecture's, and [`Gpt2`]
//! with the state dict's names (`transformer.h.0.attn.c_attn.weight`, ...), the tanh GELU, the
//! token embedding tied to the output layer, and the lecture's initialization (std 0.02, the
//! residual projections scaled by `(2 * n_layer)^-0.5`) drawn from torch's generator in
//! PyTorch's order: with the same seed, the same weights as the lecture's code.
//!
//! ```no_run
//! use makemore::gpt2::{Config, Gpt2};
//! makemore::tch::manual_seed(1337);
//! let model = Gpt2::new(&Config::gpt2())?; // GPT(GPTConfig()): 124,439,808 parameters
//! # Ok::<(), makemore::Error>(())
//! ```

use tch::{Device, Kind, Tensor};

use crate::error::{Error, Result};

mod data;
pub mod hellaswag;
mod hf;
mod optim;
pub mod shards;
pub mod train;
use crate::model::transformer::Block;
use crate::nn::{Embedding, LayerNorm, Linear, Params};
pub use data::DataLoaderLite;
pub use optim::{clip_grad_norm, configure_optimizers, CosineLr, Groups};
pub use train::{Setup, Trainer};

/// A GPT-2's sizes: the lecture's `GPTConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// The longest sequence, and the positions `wpe` has.
    pub block_size: usize,
    /// Tokens: 50,257 for GPT-2's tokenizer (50,000 merges, 256 bytes, `<|endoftext|>`).
    pub vocab_size: usize,
    /// Transformer blocks.
    pub n_layer: usize,
    /// Attention heads per block; they split `n_embd`.
    pub n_head: usize,
    /// Width of the residual stream.
    pub n_embd: usize,
}

impl Config {
    /// OpenAI's GPT-2 (124M), the lecture's `GPTConfig()`.
    pub const fn gpt2() -> Config {
        Config { block_size: 1024, vocab_size: 50257, n_layer: 12, n_head: 12, n_embd: 768 }
    }

    /// The lecture's training model: GPT-2 (124M) with the vocabulary padded to 50,304, a
    /// "nice number" (a multiple of 128), for speed.
    pub const fn d12() -> Config {
        Config { vocab_size: 50304, ..Config::gpt2() }
    }

    /// A preset by name: OpenAI's `gpt2`, `gpt2-medium` (350M), `gpt2-large` (774M), `gpt2-xl`
    /// (1558M), and the lecture's `d12`.
    ///
    /// # Errors
    /// [`Error::Param`] for another name.
    pub fn named(name: &str) -> Result<Config> {
        let sized = |n_layer, n_head, n_embd| Config { n_layer, n_head, n_embd, ..Config::gpt2() };
        match name {
            "gpt2" => Ok(Config::gpt2()),
            "gpt2-medium" => Ok(sized(24, 16, 1024)),
            "gpt2-large" => Ok(sized(36, 20, 1280)),
            "gpt2-xl" => Ok(sized(48, 25, 1600)),
            "d12" => Ok(Config::d12()),
            _ => Err(Error::param(
                "model",
                name,
                "there is no such preset",
                "use gpt2, gpt2-medium, gpt2-large, gpt2-xl or d12",
            )),
        }
    }

    /// Checks the sizes: none 0, the heads splitting `n_embd`.
    ///
    /// # Errors
    /// [`Error::Param`] for a size of 0 or heads that do not split `n_embd`.
    pub fn check(&self) -> Result<()> {
        let sizes = [
            ("block_size", self.block_size),
            ("vocab_size", self.vocab_size),
            ("n_layer", self.n_layer),
            ("n_head", self.n_head),
            ("n_embd", self.n_embd),
        ];
        if let Some((name, _)) = sizes.iter().find(|(_, n)| *n == 0) {
            return Err(Error::param(
                name,
                0,
                "it must be at least 1",
                "use GPT-2's: Config::gpt2()",
            ));
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            let hint = "pick n_head dividing n_embd, e.g. 12 heads for 768";
            return Err(Error::param("n_head", self.n_head, "the heads must split n_embd", hint));
        }
        Ok(())
    }
}

/// GPT-2: the lecture's `GPT`.
#[derive(Debug)]
pub struct Gpt2 {
    config: Config,
    /// The token embedding, `(vocab_size, n_embd)`: also the output layer's weight (tied).
    wte: Tensor,
    wpe: Embedding,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    params: Vec<(String, Tensor)>,
    /// Attention by `scaled_dot_product_attention` (the lecture's flash attention, commit 15)
    /// instead of the materialized (T, T) scores.
    flash: bool,
    /// The kind the matmuls and attention run in: bfloat16 as under the lecture's
    /// `torch.autocast(device_type, dtype=torch.bfloat16)` (commit 13), else float32.
    autocast: Option<Kind>,
}

impl Gpt2 {
    /// `GPT(config)`: the layers made in the lecture's order (each drawing PyTorch's default
    /// initialization, as `nn.Linear` and `nn.Embedding` do), `wte` tied to `lm_head`, then
    /// `self.apply(self._init_weights)`: every Linear and Embedding drawn again from a normal of
    /// std 0.02 (the residual projections' `NANOGPT_SCALE_INIT` scaled by `(2 * n_layer)^-0.5`),
    /// biases zeroed, in `apply`'s order (children first; the tied weight twice, as `wte` and as
    /// `lm_head`). Seed torch's generator first for the lecture's weights.
    ///
    /// # Errors
    /// [`Error::Param`] for sizes [`Config::check`] refuses or past the parameter limit.
    pub fn new(config: &Config) -> Result<Gpt2> {
        Gpt2::build(config, Params::new(Device::Cpu), true)
    }

    fn build(config: &Config, mut p: Params, init: bool) -> Result<Gpt2> {
        config.check()?;
        let (v, t, c) = (config.vocab_size as i64, config.block_size as i64, config.n_embd as i64);
        let wte = Embedding::new(&mut p, "transformer.wte", v, c)?;
        let wpe = Embedding::new(&mut p, "transformer.wpe", t, c)?;
        let mut blocks = Vec::with_capacity(config.n_layer);
        for i in 0..config.n_layer {
            blocks.push(Block::new(&mut p, &format!("transformer.h.{i}"), c)?);
        }
        let ln_f = LayerNorm::new(&mut p, "transformer.ln_f", c)?;
        let lm_head = Linear::new(&mut p, "lm_head", c, v, false)?;
        // weight sharing: wte's weight is lm_head's, a parameter once (as `model.parameters()`)
        let (mut params, _) = p.into_lists();
        params.retain(|(name, _)| name != "lm_head.weight");
        let tied = lm_head.weight();
        params[0].1 = tied.shallow_clone();
        drop(wte);
        let model = Gpt2 {
            config: *config,
            wte: tied,
            wpe,
            blocks,
            ln_f,
            params,
            flash: false,
            autocast: None,
        };
        if init {
            model.init_weights()?;
        }
        Ok(model)
    }

    /// `_init_weights` over the modules in `apply`'s order.
    fn init_weights(&self) -> Result<()> {
        let std = 0.02;
        let scaled = std * (2.0 * self.config.n_layer as f64).powf(-0.5);
        let normal = |t: &Tensor, std: f64| -> Result<()> {
            let _ = tch::no_grad(|| t.shallow_clone().f_normal_(0.0, std))?;
            Ok(())
        };
        let linear = |l: &Linear, std: f64| -> Result<()> {
            normal(&l.weight(), std)?;
            if let Some(mut b) = l.bias() {
                let _ = tch::no_grad(|| b.f_zero_())?;
            }
            Ok(())
        };
        normal(&self.wte, std)?; // transformer.wte
        normal(&self.wpe.weight(), std)?;
        for b in &self.blocks {
            linear(&b.c_attn, std)?;
            linear(&b.attn_proj, scaled)?;
            linear(&b.c_fc, std)?;
            linear(&b.mlp_proj, scaled)?;
        }
        normal(&self.wte, std) // lm_head, the same tensor again
    }

    /// Computes attention with `F.scaled_dot_product_attention(q, k, v, is_causal=True)`, the
    /// lecture's flash attention (commit 15 on), or (`false`, the default) as the lecture first
    /// writes it, the (T, T) scores masked and softmaxed: equal to within float rounding.
    pub fn set_flash_attention(&mut self, on: bool) {
        self.flash = on;
    }

    /// Runs the forward as the lecture's code does under `torch.autocast(device_type="cpu",
    /// dtype=torch.bfloat16)`: every `linear` and the attention in bfloat16 (their inputs and
    /// weights cast, the logits bfloat16), the LayerNorms, the residual stream and the loss in
    /// float32; the parameters and their gradients stay float32. On this CPU it is slower than
    /// float32 (its bfloat16 matmuls are); on a GPU it is the lecture's speed-up.
    pub fn set_autocast(&mut self, bfloat16: bool) {
        self.autocast = bfloat16.then_some(Kind::BFloat16);
    }

    /// Whether the forward runs under bfloat16 autocast ([`Gpt2::set_autocast`]).
    pub fn autocast(&self) -> bool {
        self.autocast.is_some()
    }

    /// The model on `device` (`model.to(device)`): the same weights, copied; attention and
    /// autocast as they were.
    ///
    /// # Errors
    /// [`Error::Torch`] for a device libtorch was not built for (CUDA without a CUDA build).
    pub fn to_device(&self, device: Device) -> Result<Gpt2> {
        let mut moved = Gpt2::build(&self.config, Params::with(device, false), false)?;
        for ((_, mut to), (_, from)) in moved.parameters().into_iter().zip(self.parameters()) {
            tch::no_grad(|| to.f_copy_(&from))?;
        }
        (moved.flash, moved.autocast) = (self.flash, self.autocast);
        Ok(moved)
    }

    /// Where the parameters are.
    pub fn device(&self) -> Device {
        self.wte.device()
    }

    /// The sizes.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The parameters by the state dict's names, in `model.parameters()`'s order (the tied
    /// weight once, as `transformer.wte.weight`).
    pub fn parameters(&self) -> Vec<(String, Tensor)> {
        self.params.iter().map(|(n, t)| (n.clone(), t.shallow_clone())).collect()
    }

    /// Number of parameters: `sum(p.numel() for p in model.parameters())`.
    pub fn n_params(&self) -> i64 {
        self.params.iter().map(|(_, t)| t.numel() as i64).sum()
    }

    /// `model(idx)`: the logits `(B, T, vocab_size)` of the next token after each prefix of
    /// `idx` `(B, T)`.
    ///
    /// # Errors
    /// [`Error::Param`] for `T` past the block size; [`Error::Torch`] for a token id out of
    /// range.
    pub fn forward(&self, idx: &Tensor) -> Result<Tensor> {
        let (_, t) = idx.size2()?;
        if t > self.config.block_size as i64 {
            let why = "the model has no position past its block size";
            return Err(Error::param(
                "sequence length",
                t,
                why,
                "crop the input to the block size",
            ));
        }
        let pos = Tensor::f_arange(t, (Kind::Int64, idx.device()))?;
        let tok_emb = Tensor::f_embedding(&self.wte, idx, -1, false, false)?; // (B, T, C)
        let mut x = tok_emb.f_add(&self.wpe.forward(&pos)?)?;
        for block in &self.blocks {
            x = block.forward(&x, self.config.n_head as i64, self.flash, self.autocast)?;
        }
        let x = self.ln_f.forward(&x)?;
        Ok(match self.autocast {
            Some(kind) => {
                x.f_to_kind(kind)?.f_linear::<Tensor>(&self.wte.f_to_kind(kind)?, None)?
            }
            None => x.f_linear::<Tensor>(&self.wte, None)?,
        })
    }

    /// `model(idx, targets)`: the logits and `F.cross_entropy` of them against `targets`.
    ///
    /// # Errors
    /// As [`Gpt2::forward`]; [`Error::Torch`] when `targets` is not `(B, T)`.
    pub fn loss(&self, idx: &Tensor, targets: &Tensor) -> Result<(Tensor, Tensor)> {
        let logits = self.forward(idx)?;
        let v = logits.size()[2];
        let flat = logits.f_view([-1, v])?.f_to_kind(Kind::Float)?; // autocast's log_softmax
        let loss = flat.f_cross_entropy_loss::<Tensor>(
            &targets.f_view([-1])?,
            None,
            tch::Reduction::Mean,
            -100,
            0.0,
        )?;
        Ok((logits, loss))
    }

    /// The lecture's generation: `n` copies of `prompt`, each extended one token at a time to
    /// `max_length` by drawing from the `top_k` likeliest next tokens (HuggingFace's pipeline
    /// default, 50) with `torch.multinomial` on torch's generator (seed it first: the lecture's
    /// `torch.manual_seed(42)`). The token ids of each sequence, the prompt first.
    ///
    /// # Errors
    /// [`Error::Param`] for an empty prompt, `top_k` of 0 or past the vocabulary, or a prompt or
    /// `max_length` past the block size (the model reads at most that many tokens).
    pub fn generate(
        &self,
        prompt: &[u32],
        n: usize,
        max_length: usize,
        top_k: usize,
    ) -> Result<Vec<Vec<u32>>> {
        if prompt.is_empty() || top_k == 0 || top_k > self.config.vocab_size {
            let why = "generation needs a prompt and 1 <= top_k <= vocab_size";
            let value = format!("{} prompt tokens, top_k {top_k}", prompt.len());
            return Err(Error::param("prompt", value, why, "give a prompt, and top_k 50"));
        }
        if prompt.len() > self.config.block_size {
            let why = "the model reads at most block_size tokens";
            let hint = format!("give a prompt of at most {} tokens", self.config.block_size);
            return Err(Error::Param {
                name: "prompt",
                value: format!("{} tokens", prompt.len()),
                why,
                hint,
            });
        }
        if max_length > self.config.block_size {
            let why = "the model reads at most block_size tokens";
            let hint = "generate at most block_size tokens";
            return Err(Error::param("max_length", max_length, why, hint));
        }
        let ids: Vec<i64> = prompt.iter().map(|&t| i64::from(t)).collect();
        let mut x = Tensor::from_slice(&ids)
            .f_unsqueeze(0)?
            .f_repeat([n as i64, 1])?
            .f_to(self.device())?; // (n, T)
        tch::no_grad(|| -> Result<()> {
            while (x.size()[1] as usize) < max_length {
                let logits = self.forward(&x)?.f_select(1, -1)?; // (n, vocab_size)
                let probs = logits.f_softmax(-1, logits.kind())?; // bfloat16 under autocast
                let (topk_probs, topk_indices) = probs.f_topk(top_k as i64, -1, true, true)?;
                let ix = topk_probs.f_multinomial(1, false)?; // (n, 1)
                let xcol = topk_indices.f_gather(-1, &ix, false)?;
                x = Tensor::f_cat(&[&x, &xcol], 1)?;
            }
            Ok(())
        })?;
        let rows: Vec<Vec<i64>> = Vec::<Vec<i64>>::try_from(&x.f_to(Device::Cpu)?)?;
        Ok(rows.into_iter().map(|r| r.into_iter().map(|t| t as u32).collect()).collect())
    }
}
