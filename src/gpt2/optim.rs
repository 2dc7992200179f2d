//! The GPT-2 lecture's optimization (commits 18-20): AdamW with GPT-3's betas on two groups,
//! the 2-D tensors weight-decayed and the rest not ([`configure_optimizers`]); the gradient's
//! norm clipped to 1 ([`clip_grad_norm`]); the learning rate warmed up then cosine-decayed
//! ([`CosineLr`]). Each computes what PyTorch's computes on the CPU, op for op.

use tch::Tensor;

use super::Gpt2;
use crate::error::Result;
use crate::train::AdamW;

/// The lecture's `get_lr`: a linear warmup over `warmup_steps`, then a cosine from `max_lr`
/// down to `min_lr` at `max_steps`, then `min_lr`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineLr {
    pub max_lr: f64,
    pub min_lr: f64,
    pub warmup_steps: usize,
    pub max_steps: usize,
}

impl CosineLr {
    /// The learning rate of step `it`, computed as the lecture's Python computes it.
    pub fn at(&self, it: usize) -> f64 {
        if it < self.warmup_steps {
            return self.max_lr * (it + 1) as f64 / self.warmup_steps as f64;
        }
        if it > self.max_steps {
            return self.min_lr;
        }
        let decay_ratio =
            (it - self.warmup_steps) as f64 / (self.max_steps - self.warmup_steps).max(1) as f64;
        let coeff = 0.5 * (1.0 + (std::f64::consts::PI * decay_ratio).cos()); // from 1 to 0
        self.min_lr + coeff * (self.max_lr - self.min_lr)
    }
}

/// The two groups of [`configure_optimizers`]: how many tensors and parameters each holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Groups {
    pub decayed_tensors: usize,
    pub decayed: i64,
    pub other_tensors: usize,
    pub other: i64,
}

impl std::fmt::Display for Groups {
    /// The lecture's two lines, with Python's thousands separators.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let commas = |n: i64| {
            let digits = n.to_string();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        };
        writeln!(
            f,
            "num decayed parameter tensors: {}, with {} parameters",
            self.decayed_tensors,
            commas(self.decayed)
        )?;
        write!(
            f,
            "num non-decayed parameter tensors: {}, with {} parameters",
            self.other_tensors,
            commas(self.other)
        )
    }
}

/// The lecture's `model.configure_optimizers(weight_decay, learning_rate)`: AdamW with betas
/// (0.9, 0.95) and eps 1e-8, `weight_decay` on the tensors of 2 or more dimensions (the
/// matmuls' weights and the embeddings), none on the biases and LayerNorms.
///
/// # Errors
/// [`crate::Error::Torch`] from libtorch.
pub fn configure_optimizers(
    model: &Gpt2,
    weight_decay: f64,
    learning_rate: f64,
) -> Result<(AdamW, Groups)> {
    let (decay, other): (Vec<_>, Vec<_>) =
        model.parameters().into_iter().partition(|(_, p)| p.dim() >= 2);
    let count = |list: &[(String, Tensor)]| list.iter().map(|(_, p)| p.numel() as i64).sum();
    let groups = Groups {
        decayed_tensors: decay.len(),
        decayed: count(&decay),
        other_tensors: other.len(),
        other: count(&other),
    };
    let optimizer = AdamW::with_groups(&decay, &other, learning_rate, (0.9, 0.95), weight_decay)?;
    Ok((optimizer, groups))
}

/// `torch.nn.utils.clip_grad_norm_(params, max_norm)` as it runs on the CPU: the 2-norm of each
/// gradient, the 2-norm of those, and every gradient multiplied by `max_norm / (norm + 1e-6)`
/// clamped to 1. The norm before clipping, as the lecture prints it.
///
/// # Errors
/// [`crate::Error::Torch`] from libtorch.
pub fn clip_grad_norm(params: &[(String, Tensor)], max_norm: f64) -> Result<f64> {
    let grads: Vec<Tensor> = params.iter().map(|(_, p)| p.grad()).filter(Tensor::defined).collect();
    if grads.is_empty() {
        return Ok(0.0);
    }
    let norm = |t: &Tensor| t.f_norm(); // torch.linalg.vector_norm(t, 2): at::norm routes there
    let norms = grads.iter().map(norm).collect::<std::result::Result<Vec<_>, _>>()?;
    let total = norm(&Tensor::f_stack(&norms, 0)?)?;
    // max_norm / (total + 1e-6) as PyTorch computes a float over a tensor: reciprocal, then times
    let coef = total.f_add_scalar(1e-6)?.f_reciprocal()?.f_mul_scalar(max_norm)?;
    let coef = coef.f_clamp_max(1.0)?;
    tch::no_grad(|| -> Result<()> {
        for mut g in grads {
            let _ = g.f_mul_(&coef)?;
        }
        Ok(())
    })?;
    Ok(total.f_double_value(&[])?)
}

/// The parameters in the optimizer's order: the decayed group's, then the others'.
pub(super) fn grouped(model: &Gpt2) -> Vec<(String, Tensor)> {
    let (mut decay, other): (Vec<_>, Vec<_>) =
        model.parameters().into_iter().partition(|(_, p)| p.dim() >= 2);
    decay.extend(other);
    decay
}
