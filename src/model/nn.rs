//! The layers the networks are made of, initialized as PyTorch initializes them: with the same
//! seed, the same weights as makemore.py's (tch draws from torch's own generator).

use tch::{Device, Kind, Tensor};

use crate::error::{Error, Result};

/// The parameters of a network, by name, in the order they were made: what the optimizer
/// updates and a model file holds. Weights are drawn on the CPU (as PyTorch draws them before
/// `model.to(device)`), or left uninitialized when a model file will fill them.
pub(crate) struct Params {
    device: Device,
    random: bool,
    list: Vec<(String, Tensor)>,
    count: i64,
}

/// The most parameters a network may have: 2^28 floats are 1 GiB, 4 GiB with the gradients
/// and AdamW's two moments. The lecture's models have about 10^5.
const MAX_PARAMETERS: i64 = 1 << 28;

impl Params {
    pub(crate) fn new(device: Device, random: bool) -> Params {
        Params { device, random, list: Vec::new(), count: 0 }
    }

    /// All parameters, by name.
    pub(crate) fn into_list(self) -> Vec<(String, Tensor)> {
        self.list
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

    /// A constant: zeros or ones (no draw).
    pub(crate) fn constant(&mut self, name: String, shape: &[i64], value: f64) -> Result<Tensor> {
        let t = self.empty(shape)?.f_fill_(value)?;
        self.add(name, t)
    }
}

/// `nn.Linear`: `x @ W.T + b`, with PyTorch's default initialization: `kaiming_uniform_(W,
/// a=sqrt(5))` (a bound of `1/sqrt(fan_in)`, computed as PyTorch computes it) and a bias
/// uniform in `±1/sqrt(fan_in)`.
#[derive(Debug)]
pub(crate) struct Linear {
    w: Tensor,
    b: Option<Tensor>,
}

impl Linear {
    pub(crate) fn new(
        p: &mut Params,
        name: &str,
        n_in: i64,
        n_out: i64,
        bias: bool,
    ) -> Result<Linear> {
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

    pub(crate) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.f_linear(&self.w, self.b.as_ref())?)
    }
}

/// `nn.Embedding`: a table of `n` vectors, started from a standard normal.
#[derive(Debug)]
pub(crate) struct Embedding {
    w: Tensor,
}

impl Embedding {
    pub(crate) fn new(p: &mut Params, name: &str, n: i64, dim: i64) -> Result<Embedding> {
        Ok(Embedding { w: p.normal(format!("{name}.weight"), &[n, dim])? })
    }

    /// The vectors of `ids`: `(...)` → `(..., dim)`.
    pub(crate) fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        Ok(Tensor::f_embedding(&self.w, ids, -1, false, false)?)
    }
}

/// `nn.LayerNorm` over the last dimension: weight 1, bias 0.
#[derive(Debug)]
pub(crate) struct LayerNorm {
    w: Tensor,
    b: Tensor,
}

impl LayerNorm {
    pub(crate) fn new(p: &mut Params, name: &str, dim: i64) -> Result<LayerNorm> {
        Ok(LayerNorm {
            w: p.constant(format!("{name}.weight"), &[dim], 1.0)?,
            b: p.constant(format!("{name}.bias"), &[dim], 0.0)?,
        })
    }

    pub(crate) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dim = self.w.size()[0];
        Ok(x.f_layer_norm([dim], Some(&self.w), Some(&self.b), 1e-5, true)?)
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
