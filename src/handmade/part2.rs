//! Part 2's net and its loop, as `01_mlp` writes them, for the exercises to reuse.

use tch::{Device, Kind, Tensor};

use crate::error::Result;
use crate::loss::{cross_entropy, lookup};

/// Part 2's net (`01_mlp`): an embedding of `n_embd` for each character (`C`), the embeddings of
/// `context` characters side by side through a tanh layer of `n_hidden` (`W1`, `b1`), the logits
/// (`W2`, `b2`); drawn from torch's generator in this order, as the lecture's `torch.randn` calls.
#[allow(non_snake_case)]
pub struct Mlp {
    pub C: Tensor,
    pub W1: Tensor,
    pub b1: Tensor,
    pub W2: Tensor,
    pub b2: Tensor,
}

impl Mlp {
    /// A net over `vocab` characters.
    pub fn new(vocab: i64, context: i64, n_embd: i64, n_hidden: i64) -> Mlp {
        let randn = |shape: &[i64]| {
            Tensor::randn(shape, (Kind::Float, Device::Cpu)).set_requires_grad(true)
        };
        Mlp {
            C: randn(&[vocab, n_embd]),
            W1: randn(&[context * n_embd, n_hidden]),
            b1: randn(&[n_hidden]),
            W2: randn(&[n_hidden, vocab]),
            b2: randn(&[vocab]),
        }
    }

    /// `[C, W1, b1, W2, b2]`, sharing their storage.
    pub fn parameters(&self) -> Vec<Tensor> {
        Vec::from([&self.C, &self.W1, &self.b1, &self.W2, &self.b2].map(|p| p.shallow_clone()))
    }

    /// The logits of a batch of contexts `x` (n, context): (n, vocab).
    ///
    /// # Errors
    /// [`Error::Torch`](crate::Error::Torch) when `x` holds an index outside the vocabulary or has another context.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let emb = lookup(&self.C, x)?.f_view([-1, self.W1.size()[0]])?; // (n, context * n_embd)
        Ok((emb.f_matmul(&self.W1)? + &self.b1).f_tanh()?.f_matmul(&self.W2)? + &self.b2)
    }
}

/// Part 2's learning rate: 0.1, then 0.01 from step 100,000 (of the lecture's 200,000).
pub fn lecture_lr(step: usize) -> f64 {
    if step < 100_000 {
        0.1
    } else {
        0.01
    }
}

/// Part 2's loop (`01_mlp`): `steps` minibatches of 32 rows of `(x, y)` drawn from torch's
/// generator, the cross-entropy of `forward`'s logits, `p.data += -lr(i) * p.grad` on each of
/// `params`; `on_step(i, loss)` after each step. A notebook's Interrupt ends it after the step it
/// is in ([`crate::interrupt`]).
///
/// # Errors
/// As `forward`; [`Error::Torch`](crate::Error::Torch) when `x` and `y` do not fit.
pub fn minibatch_sgd(
    params: &[Tensor],
    forward: &dyn Fn(&Tensor) -> Result<Tensor>,
    (x, y): (&Tensor, &Tensor),
    steps: usize,
    lr: &dyn Fn(usize) -> f64,
    on_step: &mut dyn FnMut(usize, f64),
) -> Result<()> {
    for i in crate::interrupt::steps(steps) {
        let ix = Tensor::f_randint(x.size()[0], [32], (Kind::Int64, Device::Cpu))?;
        let loss =
            cross_entropy(&forward(&x.f_index_select(0, &ix)?)?, &y.f_index_select(0, &ix)?)?;
        for p in params {
            p.shallow_clone().zero_grad();
        }
        loss.f_backward()?;
        tch::no_grad(|| -> Result<()> {
            for p in params {
                let mut p = p.shallow_clone();
                let _ = p.f_add_(&(p.grad() * -lr(i)))?;
            }
            Ok(())
        })?;
        on_step(i, loss.f_double_value(&[])?);
    }
    Ok(())
}

/// The mean cross-entropy of `forward`'s logits on a whole split, without gradients.
///
/// # Errors
/// As `forward`.
pub fn split_loss(
    forward: &dyn Fn(&Tensor) -> Result<Tensor>,
    x: &Tensor,
    y: &Tensor,
) -> Result<f64> {
    tch::no_grad(|| Ok(cross_entropy(&forward(x)?, y)?.f_double_value(&[])?))
}
