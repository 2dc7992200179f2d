//! Training the lecture's net ([`NeuralModel`]) by gradient descent, and four ways to compute
//! its loss: the lecture's one-hot matmul (`06_gradient_descent`), and exercises E04 (indexing),
//! E05 (`cross_entropy`) and E06 (the loss from the counts alone, with its gradient in closed
//! form).

use tch::{Kind, Tensor};

use super::{LanguageModel, NeuralModel};
use crate::data::Dataset;
use crate::error::{non_negative, Error, Result};
use crate::loss::mean_nll;

/// How the loss is computed. All four give the same loss and gradient (to float rounding);
/// they differ in speed: `OneHot` is the lecture's, `Counts` the fastest. BENCHMARKS.md times
/// each against the lecture's Python loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The lecture: `one_hot(xs) @ W`, `exp`, normalize, `-probs[arange(n), ys].log().mean()`.
    OneHot,
    /// E04: pick rows of `W` (`W[xs]`) instead of multiplying by a one-hot matrix. `exp` and
    /// the normalization act on each row alone, so they are done once on the `V^c` rows of `W`
    /// and the pick comes last, `probs[xs, ys]`: per step `(n,)` work, not `(n, V)`.
    Index,
    /// E05: the fused loss of `F.cross_entropy`, `log_softmax` (logits minus their
    /// `logsumexp`: no `exp` overflows) then the mean of `-log_softmax` at `ys`. As in `Index`,
    /// `log_softmax` is taken on the `V^c` rows of `W` and the pick comes last: the value of
    /// `cross_entropy(W[xs], ys)` without making the `(n, V)` logits.
    CrossEntropy,
    /// E06: the loss from the count matrix alone, `-(N * log_softmax(W)).sum() / N.sum()`.
    /// Training steps with its gradient in closed form, `(R * softmax(W) - N) / N.sum()` plus the
    /// regularization's (`R`: the row sums of `N`), without autograd: `W.grad()` is not updated.
    Counts,
}

impl Method {
    /// Every method, by the name the command line takes.
    pub const NAMES: [&'static str; 4] = ["one-hot", "index", "cross-entropy", "counts"];
    const ALL: [Method; 4] = [Method::OneHot, Method::Index, Method::CrossEntropy, Method::Counts];
}

impl std::str::FromStr for Method {
    type Err = Error;

    fn from_str(name: &str) -> Result<Method> {
        let i = Method::NAMES.iter().position(|n| *n == name);
        let why = "there is no such method";
        i.map(|i| Method::ALL[i]).ok_or(Error::param(
            "method",
            name,
            why,
            "use one-hot, index, cross-entropy or counts",
        ))
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = Method::ALL.iter().position(|m| m == self).unwrap_or(0);
        f.write_str(Method::NAMES[i])
    }
}

impl Method {
    /// The thread count torch's ops run this method fastest with, for a program to set with
    /// `tch::set_num_threads` (the crate sets no process-wide state): `None` keeps torch's own.
    /// `OneHot` works on `(n, V)` tensors, which two threads share well. The others work on
    /// `(n,)` and `(V^c, V)` tensors, where splitting an op costs more than it saves, and a
    /// thread whose core is busy holds every op up at the barrier: one thread. BENCHMARKS.md
    /// has the timings.
    pub fn threads(self) -> Option<i32> {
        match self {
            Method::OneHot => None,
            Method::Index | Method::CrossEntropy | Method::Counts => Some(1),
        }
    }
}

/// The training settings; the defaults are the lecture's, computed the fastest way that gives
/// its losses (to 1e-5: `Counts`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// Gradient-descent steps (lecture: 100).
    pub steps: usize,
    /// Learning rate (lecture: 50, large because the net is tiny and the loss smooth).
    pub learning_rate: f64,
    /// Weight of the `(W**2).mean()` term, which pulls `W` to 0 like smoothing (lecture: 0.01).
    pub reg: f64,
    /// How the loss is computed.
    pub method: Method,
}

impl TrainConfig {
    /// The lecture's: 100 steps at learning rate 50, `0.01 * (W**2).mean()`, by the counts.
    pub const fn lecture() -> TrainConfig {
        TrainConfig { steps: 100, learning_rate: 50.0, reg: 0.01, method: Method::Counts }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig::lecture()
    }
}

impl NeuralModel {
    /// The loss of one forward pass on `data` with `method`, plus `reg * (W**2).mean()`.
    ///
    /// # Errors
    /// [`Error::Shape`] when the dataset does not match the model, [`Error::NoWords`] when it
    /// is empty, [`Error::Param`] when `OneHot`'s one-hot matrix would not fit in memory.
    pub fn loss(&self, data: &Dataset, reg: f64, method: Method) -> Result<Tensor> {
        Pass::new(self, data, method)?.loss(self.w(), reg)
    }

    /// Trains with plain gradient descent and returns the loss of every step, measured before
    /// that step's update (what the lecture prints).
    ///
    /// # Errors
    /// [`Error::Param`] for a negative or non-finite learning rate or regularization,
    /// and as [`NeuralModel::loss`].
    pub fn train(&mut self, data: &Dataset, cfg: &TrainConfig) -> Result<Vec<f64>> {
        self.train_with(data, cfg, &mut |_, _| {})
    }

    /// [`NeuralModel::train`], calling `on_step(step, loss)` after every step (for progress). A
    /// notebook's Interrupt ends it after the step it is in ([`crate::interrupt`]).
    ///
    /// # Errors
    /// As [`NeuralModel::train`].
    pub fn train_with(
        &mut self,
        data: &Dataset,
        cfg: &TrainConfig,
        on_step: &mut dyn FnMut(usize, f64),
    ) -> Result<Vec<f64>> {
        let lr = non_negative("learning rate", cfg.learning_rate)?;
        let reg = non_negative("regularization", cfg.reg)?;
        let pass = Pass::new(self, data, cfg.method)?;
        let mut losses = Vec::with_capacity(cfg.steps.min(1 << 16));
        for step in crate::interrupt::steps(cfg.steps) {
            let value = pass.step(self.w_mut(), reg, lr)?;
            losses.push(value);
            on_step(step, value);
        }
        Ok(losses)
    }
}

/// What a training step needs besides `W`, made once before the loop: the one-hot matrix,
/// `arange(n)`, or the count matrix, depending on the method.
struct Pass<'a> {
    data: &'a Dataset,
    prep: Prep,
}

/// The per-method part of a [`Pass`]: each method holds exactly what it uses.
enum Prep {
    /// `one_hot(xs)` `(n, V^c)`.
    OneHot {
        xenc: Tensor,
    },
    /// Nothing: `xs` and `ys` pick from `W`'s rows.
    Index,
    CrossEntropy,
    /// The count matrix `N` `(V^c, V)` as floats and its total `T`; for the training step,
    /// `N / T` and the row sums `R / T` `(V^c, 1)`.
    Counts {
        counts: Tensor,
        total: f64,
        share: Tensor,
        row_share: Tensor,
    },
}

/// The most elements the lecture's one-hot matrix `(n, V^context)` may have (4 GiB of floats):
/// beyond this, [`Method::Index`] gives the same loss without making it.
const MAX_ONE_HOT: i64 = 1 << 30;

impl<'a> Pass<'a> {
    fn new(model: &NeuralModel, data: &'a Dataset, method: Method) -> Result<Pass<'a>> {
        if data.vocab_len() != model.vocab().len() || data.context() != model.context() {
            return Err(Error::Shape {
                what: "dataset",
                expected: format!(
                    "vocabulary {} and context {}",
                    model.vocab().len(),
                    model.context()
                ),
                got: format!("vocabulary {} and context {}", data.vocab_len(), data.context()),
                hint: "build the dataset with the model's vocabulary and context",
            });
        }
        if data.is_empty() {
            return Err(Error::NoWords { what: "the dataset".to_string() });
        }
        let n = data.len() as i64;
        let prep = match method {
            Method::OneHot => {
                if n.saturating_mul(data.rows()) > MAX_ONE_HOT {
                    return Err(Error::param(
                        "examples x context rows",
                        format!("{n} x {}", data.rows()),
                        "the one-hot matrix would not fit in memory",
                        "use Method::Index (the index method), which gives the same loss",
                    ));
                }
                let xenc = data.xs().f_one_hot(data.rows())?.f_to_kind(Kind::Float)?; // (n, V^c)
                Prep::OneHot { xenc }
            }
            Method::Index => Prep::Index,
            Method::CrossEntropy => Prep::CrossEntropy,
            Method::Counts => {
                let counts = data.counts()?.f_to_kind(Kind::Float)?; // (V^c, V)
                let total = counts.f_sum(Kind::Double)?.f_double_value(&[])?;
                let share = counts.f_div_scalar(total)?; // N / T: (V^c, V)
                let row_share = share.f_sum_dim_intlist(1, true, Kind::Float)?; // R / T: (V^c, 1)
                Prep::Counts { counts, total, share, row_share }
            }
        };
        Ok(Pass { data, prep })
    }

    fn loss(&self, w: &Tensor, reg: f64) -> Result<Tensor> {
        let data_loss = match &self.prep {
            Prep::OneHot { xenc } => {
                let logits = xenc.f_matmul(w)?; // (n, V^c) @ (V^c, V) -> (n, V)
                mean_nll(&logits, self.data.ys())?
            }
            Prep::Index => {
                // Row i of W[xs] is row xs[i] of W: normalize the rows of W, then pick.
                let counts = w.f_exp()?; // (V^c, V)
                let probs = counts.f_div(&counts.f_sum_dim_intlist(1, true, Kind::Float)?)?; // (V^c, V) / (V^c, 1)
                probs
                    .f_index(&[
                        Some(self.data.xs().shallow_clone()),
                        Some(self.data.ys().shallow_clone()),
                    ])? // probs[xs, ys]: (n,)
                    .f_log()?
                    .f_mean(Kind::Float)?
                    .f_neg()?
            }
            Prep::CrossEntropy => {
                // cross_entropy(W[xs], ys) = -log_softmax(W[xs])[i, ys[i]].mean(), and
                // log_softmax acts on each row alone: take it on W's rows, then pick.
                w.f_log_softmax(1, Kind::Float)? // (V^c, V): logits - logsumexp(logits)
                    .f_index(&[
                        Some(self.data.xs().shallow_clone()),
                        Some(self.data.ys().shallow_clone()),
                    ])? // (n,)
                    .f_mean(Kind::Float)?
                    .f_neg()?
            }
            Prep::Counts { counts, total, .. } => {
                let logp = w.f_log_softmax(1, Kind::Float)?; // (V^c, V)
                counts.f_mul(&logp)?.f_sum(Kind::Float)?.f_div_scalar(-total)?
            }
        };
        let penalty = w.f_pow_tensor_scalar(2)?.f_mean(Kind::Float)?.f_mul_scalar(reg)?;
        Ok(data_loss.f_add(&penalty)?)
    }
}

impl Pass<'_> {
    /// One step of gradient descent on `w`; the loss before the update.
    fn step(&self, w: &mut Tensor, reg: f64, lr: f64) -> Result<f64> {
        if let Prep::Counts { share, row_share, .. } = &self.prep {
            // E06 knows its gradient without autograd: d loss / d W = (R * softmax(W) - N) / T
            // + 2 * reg * W / W.numel(), what the net predicts minus what was counted. Zero,
            // without reg, where softmax(W) = N / R: the count model.
            return tch::no_grad(|| {
                let value = self.loss(w, reg)?.f_double_value(&[])?; // the same loss
                let probs = w.f_softmax(1, Kind::Float)?; // (V^c, V)
                let grad = probs
                    .f_mul(row_share)? // (V^c, V) * (V^c, 1)
                    .f_sub(share)?
                    .f_add(&w.f_mul_scalar(2.0 * reg / w.numel() as f64)?)?;
                let _ = w.f_add_(&grad.f_mul_scalar(-lr)?)?;
                Ok(value)
            });
        }
        // the lecture's step: forward pass
        let loss = self.loss(w, reg)?;
        let value = loss.f_double_value(&[])?;
        // backward pass
        w.zero_grad();
        loss.f_backward()?;
        // update: W.data += -lr * W.grad
        tch::no_grad(|| -> Result<()> {
            let grad = w.grad();
            let _ = w.f_add_(&grad.f_mul_scalar(-lr)?)?;
            Ok(())
        })?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Vocab;

    fn setup() -> (Vocab, Dataset) {
        let w = vec!["emma".to_string(), "ava".to_string()];
        let v = Vocab::from_words(&w).unwrap();
        let d = Dataset::new(&w, &v, 1).unwrap();
        (v, d)
    }

    #[test]
    fn all_methods_give_the_same_loss_and_training() {
        let (v, d) = setup();
        let cfg = |method| TrainConfig { steps: 20, learning_rate: 1.0, reg: 0.01, method };
        let mut runs = Vec::new();
        for method in [Method::OneHot, Method::Index, Method::CrossEntropy, Method::Counts] {
            let mut net = NeuralModel::new(&v, 1, 7).unwrap();
            runs.push(net.train(&d, &cfg(method)).unwrap());
        }
        for run in &runs[1..] {
            for (a, b) in runs[0].iter().zip(run) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b}");
            }
        }
        assert!(runs[0][19] < runs[0][0], "training lowers the loss");
    }

    #[test]
    fn the_counts_step_is_the_autograd_step() {
        let (v, d) = setup();
        // W without torch's generator, which other tests seed at the same time
        let n = v.len() as i64;
        let w = Tensor::arange(n * n, (Kind::Float, tch::Device::Cpu)).sin().view([n, n]);
        let mut net = NeuralModel::from_weights(&v, w).unwrap();
        let (reg, lr) = (0.1, 2.0);
        let loss = net.loss(&d, reg, Method::Counts).unwrap();
        net.w_mut().zero_grad();
        loss.backward();
        let expected = (net.w() - net.w().grad() * lr).detach();
        let pass = Pass::new(&net, &d, Method::Counts).unwrap();
        let value = pass.step(&mut net.w_mut().shallow_clone(), reg, lr).unwrap();
        assert!((value - loss.double_value(&[])).abs() < 1e-7);
        let diff = (net.w() - &expected).abs().max().double_value(&[]);
        assert!(diff < 1e-6, "W after the closed-form step differs by {diff}");
    }

    #[test]
    fn bad_hyperparameters_are_errors() {
        let (v, d) = setup();
        let mut net = NeuralModel::new(&v, 1, 1).unwrap();
        for (learning_rate, reg) in
            [(-1.0, 0.0), (f64::NAN, 0.0), (1.0, -0.1), (1.0, f64::INFINITY)]
        {
            let cfg = TrainConfig { steps: 1, learning_rate, reg, method: Method::OneHot };
            assert!(matches!(net.train(&d, &cfg), Err(Error::Param { .. })));
        }
        let other = Dataset::new(&["emma".to_string()], &v, 2).unwrap();
        assert!(net.train(&other, &TrainConfig::default()).is_err());
    }
}
