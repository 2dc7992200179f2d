//! The optimizer: PyTorch's AdamW, op for op.

use tch::Tensor;

use crate::error::Result;

/// PyTorch's epsilon.
const EPS: f64 = 1e-8;

/// AdamW as PyTorch's `torch.optim.AdamW` computes it on the CPU, op for op (the single-tensor
/// loop PyTorch runs for CPU tensors): with the same gradients, the same weights after each step.
/// [`AdamW::new`] has PyTorch's defaults; the [`Trainer`](crate::train::Trainer) uses makemore.py's betas.
///
/// ```
/// use makemore::nn::{Linear, Params};
/// use makemore::train::AdamW;
/// use makemore::tch::{Device, Kind, Tensor};
/// let mut p = Params::new(Device::Cpu);
/// let lin = Linear::new(&mut p, "lin", 3, 1, true)?;
/// let mut optimizer = AdamW::new(&p.parameters(), 1e-3)?; // torch.optim.AdamW(m.parameters(), lr=1e-3)
/// let loss = lin.forward(&Tensor::ones([2, 3], (Kind::Float, Device::Cpu)))?.sum(Kind::Float);
/// optimizer.zero_grad();
/// loss.backward();
/// optimizer.step()?;
/// # Ok::<(), makemore::Error>(())
/// ```
#[derive(Debug)]
pub struct AdamW {
    /// The learning rate.
    pub learning_rate: f64,
    /// The decay rates of the moving averages of the gradient and of its square.
    pub betas: (f64, f64),
    /// Decoupled weight decay: every step shrinks every weight by `lr * weight_decay` of itself.
    pub weight_decay: f64,
    pub(super) params: Vec<Tensor>,
    /// Whether each parameter is weight-decayed (all, unless made [`AdamW::with_groups`]).
    pub(super) decays: Vec<bool>,
    pub(crate) step: i64,
    /// The moving averages of the gradient and of its square, one per parameter.
    pub(crate) m: Vec<Tensor>,
    pub(crate) v: Vec<Tensor>,
    /// Two buffers the size of the largest parameter, made at the first step.
    pub(super) scratch: Option<(Tensor, Tensor)>,
}

impl AdamW {
    /// `torch.optim.AdamW(params, lr)`: betas (0.9, 0.999), eps 1e-8, weight decay 0.01.
    ///
    /// # Errors
    /// [`Error::Torch`](crate::Error::Torch) from libtorch.
    pub fn new(params: &[(String, Tensor)], learning_rate: f64) -> Result<AdamW> {
        let zeros = || -> Result<Vec<Tensor>> {
            params.iter().map(|(_, p)| Ok(p.f_zeros_like()?.f_detach()?)).collect()
        };
        Ok(AdamW {
            learning_rate,
            betas: (0.9, 0.999),
            weight_decay: 0.01,
            params: params.iter().map(|(_, p)| p.shallow_clone()).collect(),
            decays: vec![true; params.len()],
            step: 0,
            m: zeros()?,
            v: zeros()?,
            scratch: None,
        })
    }

    /// `torch.optim.AdamW` on two parameter groups, `[{'params': decay, 'weight_decay':
    /// weight_decay}, {'params': other, 'weight_decay': 0.0}]`, with `betas` and eps 1e-8.
    ///
    /// # Errors
    /// [`Error::Torch`](crate::Error::Torch) from libtorch.
    pub fn with_groups(
        decay: &[(String, Tensor)],
        other: &[(String, Tensor)],
        learning_rate: f64,
        betas: (f64, f64),
        weight_decay: f64,
    ) -> Result<AdamW> {
        let all: Vec<(String, Tensor)> =
            decay.iter().chain(other).map(|(n, t)| (n.clone(), t.shallow_clone())).collect();
        let decays = (0..all.len()).map(|i| i < decay.len()).collect();
        let adam = AdamW::new(&all, learning_rate)?;
        Ok(AdamW { betas, weight_decay, decays, ..adam })
    }

    /// Sets every parameter's gradient to zero (`optimizer.zero_grad()`).
    pub fn zero_grad(&mut self) {
        for p in &mut self.params {
            p.zero_grad();
        }
    }

    /// One update of every parameter from its gradient (`optimizer.step()`); a parameter
    /// without a gradient is left as it is.
    ///
    /// # Errors
    /// [`Error::Torch`](crate::Error::Torch) from libtorch.
    pub fn step(&mut self) -> Result<()> {
        self.step += 1;
        let (b1, b2) = self.betas;
        let bias1 = 1.0 - b1.powf(self.step as f64);
        let bias2 = 1.0 - b2.powf(self.step as f64);
        let (lr, weight_decay) = (self.learning_rate, self.weight_decay);
        let step_size = lr / bias1;
        tch::no_grad(|| -> Result<()> {
            // two buffers the size of the largest parameter, for what PyTorch computes in new
            // tensors: the same numbers, without a fresh allocation per operation and tensor
            if self.scratch.is_none() {
                let most = self.params.iter().map(Tensor::numel).max().unwrap_or(0) as i64;
                let device = self.params.first().map_or(tch::Device::Cpu, Tensor::device);
                let empty = || Tensor::f_empty([most], (tch::Kind::Float, device));
                self.scratch = Some((empty()?, empty()?));
            }
            let (s, d) = self.scratch.as_ref().expect("made above");
            let moments = self.m.iter_mut().zip(self.v.iter_mut());
            for ((p, &decays), (m, v)) in self.params.iter().zip(&self.decays).zip(moments) {
                let g = p.f_grad()?;
                if !g.defined() {
                    continue; // a parameter this batch did not reach
                }
                let mut p = p.shallow_clone();
                let like = |buf: &Tensor| {
                    buf.f_narrow(0, 0, g.numel() as i64)?.f_view(g.size().as_slice())
                };
                let (s, mut d) = match g.kind() {
                    tch::Kind::Float => (like(s)?, like(d)?),
                    _ => (g.f_empty_like()?, g.f_empty_like()?),
                };
                if decays && weight_decay != 0.0 {
                    let _ = p.f_mul_scalar_(1.0 - lr * weight_decay)?; // decoupled weight decay
                }
                let _ = m.f_lerp_(&g, 1.0 - b1)?; // m = b1 m + (1 - b1) g
                let _ = v.f_mul_scalar_(b2)?.f_addcmul_(&g.f_mul_scalar_out(&s, 1.0 - b2)?, &g)?; // v = b2 v + (1 - b2) g²
                let _ = v.f_sqrt_out(&d)?; // denom = sqrt(v) / sqrt(bias2) + eps
                let _ = d.f_div_scalar_(bias2.powf(0.5))?.f_add_scalar_(EPS)?;
                let _ = p.f_addcdiv_(&m.f_mul_scalar_out(&s, -step_size)?, &d)?;
                // p -= step_size m / denom
            }
            Ok(())
        })
    }
}
