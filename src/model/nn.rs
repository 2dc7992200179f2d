//! `torch.nn`'s layers the networks are made of (not the lectures' handmade ones: those are
//! [`crate::handmade`]), initialized as PyTorch initializes them: with the same seed, the same
//! weights as makemore.py's (tch draws from torch's own generator). The GPT lecture's notebooks
//! (`part6_gpt/`) build their `Head`, `Block` and model from them:
//!
//! ```
//! use makemore::nn::{Linear, Params};
//! use makemore::tch::{Device, Kind, Tensor};
//! let mut p = Params::new(Device::Cpu);
//! let key = Linear::new(&mut p, "key", 32, 16, false)?; // nn.Linear(32, 16, bias=False)
//! let x = Tensor::zeros([4, 8, 32], (Kind::Float, Device::Cpu));
//! assert_eq!(key.forward(&x)?.size(), [4, 8, 16]);
//! assert_eq!(p.n_params(), 512);
//! # Ok::<(), makemore::Error>(())
//! ```

use tch::{Device, Kind, Tensor};

use crate::error::{Error, Result};

/// The parameters of a network, by name, in the order they were made: what the optimizer
/// updates and a model file holds (a module's `parameters()`). Weights are drawn on the CPU (as
/// PyTorch draws them before `model.to(device)`), or left uninitialized when a model file will
/// fill them.
#[derive(Debug)]
pub struct Params {
    device: Device,
    random: bool,
    list: Vec<(String, Tensor)>,
    buffers: Vec<(String, Tensor)>,
    count: i64,
}

/// Tensors by name, in the order they were made.
pub(crate) type Named = Vec<(String, Tensor)>;

/// The most parameters a network may have: 2^28 floats are 1 GiB, 4 GiB with the gradients
/// and AdamW's two moments. The lecture's models have about 10^5.
const MAX_PARAMETERS: i64 = 1 << 28;

impl Params {
    /// An empty list whose layers will live on `device`, drawn from torch's global generator.
    pub fn new(device: Device) -> Params {
        Params::with(device, true)
    }

    pub(crate) fn with(device: Device, random: bool) -> Params {
        Params { device, random, list: Vec::new(), buffers: Vec::new(), count: 0 }
    }

    /// The parameters made so far, by name, in order (shallow clones: the same tensors).
    pub fn parameters(&self) -> Vec<(String, Tensor)> {
        self.list.iter().map(|(n, t)| (n.clone(), t.shallow_clone())).collect()
    }

    /// Number of parameters: the lecture's `sum(p.numel() for p in m.parameters())`.
    pub fn n_params(&self) -> i64 {
        self.list.iter().map(|(_, t)| t.numel() as i64).sum()
    }

    /// All parameters, then all buffers, by name.
    pub(crate) fn into_lists(self) -> (Named, Named) {
        (self.list, self.buffers)
    }

    fn add(&mut self, name: String, t: Tensor) -> Result<Tensor> {
        let t = t.f_to(self.device)?.f_set_requires_grad(true)?;
        self.list.push((name, t.shallow_clone()));
        Ok(t)
    }

    /// An uninitialized tensor, once the parameter count allows it.
    fn empty(&mut self, shape: &[i64]) -> Result<Tensor> {
        self.count = self.count.saturating_add(shape.iter().product::<i64>());
        if self.count > MAX_PARAMETERS {
            return Err(Error::param(
                "model size",
                format!("more than {MAX_PARAMETERS} parameters"),
                "it would not fit in memory with its gradients and optimizer state",
                "use smaller sizes (n_embd, n_embd2, n_layer)",
            ));
        }
        Ok(Tensor::f_empty(shape, (Kind::Float, Device::Cpu))?)
    }

    /// `uniform_(-bound, bound)`.
    pub(crate) fn uniform(&mut self, name: String, shape: &[i64], bound: f64) -> Result<Tensor> {
        let mut t = self.empty(shape)?;
        if self.random {
            let _ = t.f_uniform_(-bound, bound)?;
        }
        self.add(name, t)
    }

    /// `normal_(0, 1)`, as `nn.Embedding` starts.
    pub(crate) fn normal(&mut self, name: String, shape: &[i64]) -> Result<Tensor> {
        let mut t = self.empty(shape)?;
        if self.random {
            let _ = t.f_normal_(0.0, 1.0)?;
        }
        self.add(name, t)
    }

    /// `randn(shape) * scale`: the lectures' init (`randn(fan_in, fan_out) / fan_in**0.5`).
    pub(crate) fn randn(&mut self, name: String, shape: &[i64], scale: f64) -> Result<Tensor> {
        let mut t = self.empty(shape)?;
        if self.random {
            let _ = t.f_normal_(0.0, 1.0)?.f_mul_scalar_(scale)?;
        }
        self.add(name, t)
    }

    /// A constant: zeros or ones (no draw).
    pub(crate) fn constant(&mut self, name: String, shape: &[i64], value: f64) -> Result<Tensor> {
        let t = self.empty(shape)?.f_fill_(value)?;
        self.add(name, t)
    }

    /// A buffer: a constant that training does not update by gradient (BatchNorm's running
    /// statistics), saved with the model.
    pub(crate) fn buffer(&mut self, name: String, shape: &[i64], value: f64) -> Result<Tensor> {
        let t = self.empty(shape)?.f_fill_(value)?.f_to(self.device)?;
        self.buffers.push((name, t.shallow_clone()));
        Ok(t)
    }
}

/// `nn.Linear`: `x @ W.T + b`, with PyTorch's default initialization: `kaiming_uniform_(W,
/// a=sqrt(5))` (a bound of `1/sqrt(fan_in)`, computed as PyTorch computes it) and a bias
/// uniform in `±1/sqrt(fan_in)`.
#[derive(Debug)]
pub struct Linear {
    w: Tensor,
    b: Option<Tensor>,
}

impl Linear {
    /// `nn.Linear(n_in, n_out, bias)`, its parameters `<name>.weight` `(n_out, n_in)` and
    /// `<name>.bias` added to `p`.
    ///
    /// # Errors
    /// [`Error::Param`] past the parameter limit; [`Error::Torch`] from libtorch.
    pub fn new(p: &mut Params, name: &str, n_in: i64, n_out: i64, bias: bool) -> Result<Linear> {
        let a = 5f64.sqrt();
        let gain = (2.0 / (1.0 + a.powi(2))).sqrt();
        let bound = 3f64.sqrt() * (gain / (n_in as f64).sqrt());
        let w = p.uniform(format!("{name}.weight"), &[n_out, n_in], bound)?;
        let b = match bias {
            true => {
                Some(p.uniform(format!("{name}.bias"), &[n_out], 1.0 / (n_in as f64).sqrt())?)
            }
            false => None,
        };
        Ok(Linear { w, b })
    }

    /// The weight, `(n_out, n_in)` (the same tensor).
    pub fn weight(&self) -> Tensor {
        self.w.shallow_clone()
    }

    /// The bias, `(n_out,)` (the same tensor), if it has one.
    pub fn bias(&self) -> Option<Tensor> {
        self.b.as_ref().map(Tensor::shallow_clone)
    }

    /// `x @ W.T + b`: `(..., n_in)` → `(..., n_out)`.
    ///
    /// # Errors
    /// [`Error::Torch`] when the last dimension of `x` is not `n_in`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.f_linear(&self.w, self.b.as_ref())?)
    }

    /// [`Linear::forward`] in `kind` when given, as autocast runs `linear`: the input, weight
    /// and bias cast to it, the output in it (the casts differentiable, the gradients back in
    /// the parameters' kind).
    ///
    /// # Errors
    /// As [`Linear::forward`].
    pub fn forward_as(&self, x: &Tensor, kind: Option<Kind>) -> Result<Tensor> {
        let Some(kind) = kind else { return self.forward(x) };
        let b = self.b.as_ref().map(|b| b.f_to_kind(kind)).transpose()?;
        Ok(x.f_to_kind(kind)?.f_linear(&self.w.f_to_kind(kind)?, b.as_ref())?)
    }
}

/// `nn.Embedding`: a table of `n` vectors, started from a standard normal.
#[derive(Debug)]
pub struct Embedding {
    w: Tensor,
}

impl Embedding {
    /// `nn.Embedding(n, dim)`, its `<name>.weight` `(n, dim)` added to `p`.
    ///
    /// # Errors
    /// As [`Linear::new`].
    pub fn new(p: &mut Params, name: &str, n: i64, dim: i64) -> Result<Embedding> {
        Ok(Embedding { w: p.normal(format!("{name}.weight"), &[n, dim])? })
    }

    /// The table, `(n, dim)` (the same tensor).
    pub fn weight(&self) -> Tensor {
        self.w.shallow_clone()
    }

    /// The vectors of `ids`: `(...)` → `(..., dim)`.
    ///
    /// # Errors
    /// [`Error::Torch`] for an id out of range.
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        Ok(Tensor::f_embedding(&self.w, ids, -1, false, false)?)
    }
}

/// `nn.LayerNorm` over the last dimension: weight 1, bias 0.
#[derive(Debug)]
pub struct LayerNorm {
    w: Tensor,
    b: Tensor,
}

impl LayerNorm {
    /// `nn.LayerNorm(dim)`, its `<name>.weight` (ones) and `<name>.bias` (zeros) added to `p`.
    ///
    /// # Errors
    /// As [`Linear::new`].
    pub fn new(p: &mut Params, name: &str, dim: i64) -> Result<LayerNorm> {
        Ok(LayerNorm {
            w: p.constant(format!("{name}.weight"), &[dim], 1.0)?,
            b: p.constant(format!("{name}.bias"), &[dim], 0.0)?,
        })
    }

    /// Each vector of the last dimension to mean 0 and (biased) variance 1, then scaled and
    /// shifted.
    ///
    /// # Errors
    /// [`Error::Torch`] when the last dimension is not `dim`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dim = self.w.size()[0];
        Ok(x.f_layer_norm([dim], Some(&self.w), Some(&self.b), 1e-5, true)?)
    }
}

/// The lecture's `BatchNorm1d` (part 5's, fixed for 3-D inputs): in training, each channel
/// normalized by the batch's mean and unbiased variance (over every dimension but the last) and
/// its running statistics moved a tenth of the way to them; otherwise by the running statistics.
#[derive(Debug)]
pub(crate) struct BatchNorm {
    gamma: Tensor,
    beta: Tensor,
    running_mean: Tensor,
    running_var: Tensor,
}

impl BatchNorm {
    pub(crate) fn new(p: &mut Params, name: &str, dim: i64) -> Result<BatchNorm> {
        Ok(BatchNorm {
            gamma: p.constant(format!("{name}.weight"), &[dim], 1.0)?,
            beta: p.constant(format!("{name}.bias"), &[dim], 0.0)?,
            running_mean: p.buffer(format!("{name}.running_mean"), &[dim], 0.0)?,
            running_var: p.buffer(format!("{name}.running_var"), &[dim], 1.0)?,
        })
    }

    pub(crate) fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let (mean, var) = match training {
            true => {
                let dims: Vec<i64> = (0..x.dim() as i64 - 1).collect();
                let (mean, var) = (
                    x.f_mean_dim(&dims[..], false, Kind::Float)?,
                    x.f_var_dim(&dims[..], true, false)?,
                );
                tch::no_grad(|| -> Result<()> {
                    for (run, batch) in [(&self.running_mean, &mean), (&self.running_var, &var)] {
                        let _ = run.shallow_clone().f_lerp_(batch, 0.1)?; // 0.9 run + 0.1 batch
                    }
                    Ok(())
                })?;
                (mean, var)
            }
            false => (self.running_mean.shallow_clone(), self.running_var.shallow_clone()),
        };
        let xhat = x.f_sub(&mean)?.f_div(&var.f_add_scalar(1e-5)?.f_sqrt()?)?;
        Ok(xhat.f_mul(&self.gamma)?.f_add(&self.beta)?)
    }
}

/// The error for a sequence longer than a model with position embeddings can read.
pub(crate) fn check_len(x: &Tensor, block_size: usize) -> Result<(i64, i64)> {
    let (b, t) = x.size2()?;
    if t as usize > block_size {
        return Err(Error::param(
            "sequence length",
            t,
            "it is longer than the model's block size (the longest word it was trained on, plus one)",
            "give it shorter words, or train it on data with words this long",
        ));
    }
    Ok((b, t))
}
