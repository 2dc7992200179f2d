//! Part 3's `Linear`, `BatchNorm1d` and `Tanh` ("PyTorch-ifying" the MLP) and part 5's
//! `Embedding`, `FlattenConsecutive` and `Sequential` (WaveNet), as the lectures write them: the
//! lecture's class names and fields, each keeping its last output in `out` for the diagnostics;
//! not `torch.nn`'s (those are [`crate::nn`], with PyTorch's initialization).

use tch::{Device, Kind, Tensor};

use crate::error::{Error, Result};

/// One layer of a [`Vec<Box<dyn Layer>>`]: the lecture's `__call__`, `parameters()` and `.out`.
pub trait Layer {
    /// The forward pass (`layer(x)`); keeps the result as [`Layer::out`].
    ///
    /// # Errors
    /// [`Error::Torch`] when `x` does not fit the layer.
    fn forward(&mut self, x: &Tensor) -> Result<Tensor>;
    /// The tensors trained by backprop, in the lecture's order.
    fn parameters(&self) -> Vec<Tensor>;
    /// The tensors kept but not trained by backprop: BatchNorm's running mean and variance.
    fn buffers(&self) -> Vec<Tensor> {
        Vec::new()
    }
    /// The output of the last forward pass (`None` before the first).
    fn out(&self) -> Option<&Tensor>;
    /// The class name, for the plots' legends: `Linear`, `BatchNorm1d`, `Tanh`.
    fn name(&self) -> &'static str;
    /// `layer.training = training` (only BatchNorm1d behaves differently).
    fn set_training(&mut self, _training: bool) {}
}

/// `x @ weight + bias`, the weight drawn as `randn(fan_in, fan_out) / fan_in**0.5`.
#[derive(Debug)]
pub struct Linear {
    /// `(fan_in, fan_out)`.
    pub weight: Tensor,
    /// `(fan_out,)` zeros, or none (when a BatchNorm follows, its `beta` is the bias).
    pub bias: Option<Tensor>,
    /// The last output.
    pub out: Option<Tensor>,
}

impl Linear {
    /// The lecture's `Linear(fan_in, fan_out, bias=...)`.
    pub fn new(fan_in: i64, fan_out: i64, bias: bool) -> Linear {
        let opts = (Kind::Float, Device::Cpu);
        Linear {
            weight: Tensor::randn([fan_in, fan_out], opts) / (fan_in as f64).sqrt(),
            bias: bias.then(|| Tensor::zeros([fan_out], opts)),
            out: None,
        }
    }
}

impl Layer for Linear {
    fn forward(&mut self, x: &Tensor) -> Result<Tensor> {
        let mut out = x.f_matmul(&self.weight)?;
        if let Some(b) = &self.bias {
            out = out.f_add(b)?;
        }
        self.out = Some(out.shallow_clone());
        Ok(out)
    }
    fn parameters(&self) -> Vec<Tensor> {
        std::iter::once(&self.weight).chain(&self.bias).map(Tensor::shallow_clone).collect()
    }
    fn out(&self) -> Option<&Tensor> {
        self.out.as_ref()
    }
    fn name(&self) -> &'static str {
        "Linear"
    }
}

/// Batch normalization: `gamma * (x - mean) / sqrt(var + eps) + beta`, with the batch's
/// statistics in training and the running ones (a momentum average) after. A `(B, C)` input is
/// normalized over `B`, a `(B, T, C)` one over `B` and `T` (part 5's fix: one mean per channel,
/// as `torch.nn.BatchNorm1d` has it, not one per position).
#[derive(Debug)]
pub struct BatchNorm1d {
    /// Added to the variance: 1e-5.
    pub eps: f64,
    /// Weight of a batch in the running statistics: 0.1.
    pub momentum: f64,
    /// The batch's statistics (`true`) or the running ones.
    pub training: bool,
    /// Gain, `(dim,)` ones; trained.
    pub gamma: Tensor,
    /// Bias, `(dim,)` zeros; trained.
    pub beta: Tensor,
    /// Running mean, `(dim,)`; a buffer, not trained.
    pub running_mean: Tensor,
    /// Running (unbiased) variance, `(dim,)`; a buffer.
    pub running_var: Tensor,
    /// The last output.
    pub out: Option<Tensor>,
}

impl BatchNorm1d {
    /// The lecture's `BatchNorm1d(dim)`: eps 1e-5, momentum 0.1.
    pub fn new(dim: i64) -> BatchNorm1d {
        let opts = (Kind::Float, Device::Cpu);
        BatchNorm1d {
            eps: 1e-5,
            momentum: 0.1,
            training: true,
            gamma: Tensor::ones([dim], opts),
            beta: Tensor::zeros([dim], opts),
            running_mean: Tensor::zeros([dim], opts),
            running_var: Tensor::ones([dim], opts),
            out: None,
        }
    }
}

impl Layer for BatchNorm1d {
    fn forward(&mut self, x: &Tensor) -> Result<Tensor> {
        let (xmean, xvar) = if self.training {
            let dim = Some(if x.dim() == 3 { &[0i64, 1][..] } else { &[0i64][..] });
            (x.f_mean_dim(dim, true, Kind::Float)?, x.f_var_dim(dim, true, true)?)
        } else {
            (self.running_mean.shallow_clone(), self.running_var.shallow_clone())
        };
        let xhat = x.f_sub(&xmean)?.f_div(&xvar.f_add_scalar(self.eps)?.f_sqrt()?)?;
        let out = self.gamma.f_mul(&xhat)?.f_add(&self.beta)?;
        if self.training {
            let m = self.momentum;
            tch::no_grad(|| -> Result<()> {
                let mix = |run: &Tensor, batch: &Tensor| -> Result<Tensor> {
                    Ok(run.f_mul_scalar(1.0 - m)?.f_add(&batch.f_mul_scalar(m)?)?)
                };
                self.running_mean = mix(&self.running_mean, &xmean)?;
                self.running_var = mix(&self.running_var, &xvar)?;
                Ok(())
            })?;
        }
        self.out = Some(out.shallow_clone());
        Ok(out)
    }
    fn parameters(&self) -> Vec<Tensor> {
        vec![self.gamma.shallow_clone(), self.beta.shallow_clone()]
    }
    fn buffers(&self) -> Vec<Tensor> {
        vec![self.running_mean.shallow_clone(), self.running_var.shallow_clone()]
    }
    fn out(&self) -> Option<&Tensor> {
        self.out.as_ref()
    }
    fn name(&self) -> &'static str {
        "BatchNorm1d"
    }
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// `tanh(x)`.
#[derive(Debug, Default)]
pub struct Tanh {
    /// The last output.
    pub out: Option<Tensor>,
}

impl Layer for Tanh {
    fn forward(&mut self, x: &Tensor) -> Result<Tensor> {
        let out = x.f_tanh()?;
        self.out = Some(out.shallow_clone());
        Ok(out)
    }
    fn parameters(&self) -> Vec<Tensor> {
        Vec::new()
    }
    fn out(&self) -> Option<&Tensor> {
        self.out.as_ref()
    }
    fn name(&self) -> &'static str {
        "Tanh"
    }
}

/// A table of `num_embeddings` vectors, drawn as `randn(num_embeddings, embedding_dim)`:
/// `(...)` indices → `(..., embedding_dim)`.
#[derive(Debug)]
pub struct Embedding {
    /// `(num_embeddings, embedding_dim)`.
    pub weight: Tensor,
    /// The last output.
    pub out: Option<Tensor>,
}

impl Embedding {
    /// The lecture's `Embedding(num_embeddings, embedding_dim)`.
    pub fn new(num_embeddings: i64, embedding_dim: i64) -> Embedding {
        let weight = Tensor::randn([num_embeddings, embedding_dim], (Kind::Float, Device::Cpu));
        Embedding { weight, out: None }
    }
}

impl Layer for Embedding {
    fn forward(&mut self, ix: &Tensor) -> Result<Tensor> {
        let out = crate::loss::lookup(&self.weight, ix)?;
        self.out = Some(out.shallow_clone());
        Ok(out)
    }
    fn parameters(&self) -> Vec<Tensor> {
        vec![self.weight.shallow_clone()]
    }
    fn out(&self) -> Option<&Tensor> {
        self.out.as_ref()
    }
    fn name(&self) -> &'static str {
        "Embedding"
    }
}

/// `(B, T, C)` → `(B, T / n, C * n)`: each `n` consecutive vectors concatenated, the middle
/// dimension dropped when it becomes 1.
#[derive(Debug)]
pub struct FlattenConsecutive {
    /// How many consecutive vectors make one.
    pub n: i64,
    /// The last output.
    pub out: Option<Tensor>,
}

impl FlattenConsecutive {
    /// The lecture's `FlattenConsecutive(n)`.
    pub fn new(n: i64) -> FlattenConsecutive {
        FlattenConsecutive { n, out: None }
    }
}

impl Layer for FlattenConsecutive {
    fn forward(&mut self, x: &Tensor) -> Result<Tensor> {
        let size = x.size();
        let [b, t, c] = size[..] else {
            return Err(Error::Shape {
                what: "FlattenConsecutive's input",
                expected: "(B, T, C)".to_string(),
                got: format!("{size:?}"),
                hint: "put it after an Embedding or another FlattenConsecutive",
            });
        };
        if self.n < 1 || t % self.n != 0 {
            return Err(Error::Shape {
                what: "FlattenConsecutive's input",
                expected: format!("T a multiple of n = {}", self.n),
                got: format!("{size:?}"),
                hint: "make the block size a product of the layers' n (8 = 2 * 2 * 2)",
            });
        }
        let mut out = x.f_view([b, t / self.n, c * self.n])?;
        if t == self.n {
            out = out.f_squeeze_dim(1)?;
        }
        self.out = Some(out.shallow_clone());
        Ok(out)
    }
    fn parameters(&self) -> Vec<Tensor> {
        Vec::new()
    }
    fn out(&self) -> Option<&Tensor> {
        self.out.as_ref()
    }
    fn name(&self) -> &'static str {
        "FlattenConsecutive"
    }
}

/// Layers applied in order; its parameters are theirs, in order.
pub struct Sequential {
    /// The layers.
    pub layers: Vec<Box<dyn Layer>>,
}

impl Sequential {
    /// The lecture's `Sequential(layers)`.
    pub fn new(layers: Vec<Box<dyn Layer>>) -> Sequential {
        Sequential { layers }
    }
}

impl Layer for Sequential {
    fn forward(&mut self, x: &Tensor) -> Result<Tensor> {
        let mut x = x.shallow_clone();
        for layer in self.layers.iter_mut() {
            x = layer.forward(&x)?;
        }
        Ok(x)
    }
    fn parameters(&self) -> Vec<Tensor> {
        self.layers.iter().flat_map(|l| l.parameters()).collect()
    }
    fn buffers(&self) -> Vec<Tensor> {
        self.layers.iter().flat_map(|l| l.buffers()).collect()
    }
    fn out(&self) -> Option<&Tensor> {
        self.layers.last().and_then(|l| l.out())
    }
    fn name(&self) -> &'static str {
        "Sequential"
    }
    fn set_training(&mut self, training: bool) {
        for layer in self.layers.iter_mut() {
            layer.set_training(training);
        }
    }
}

/// `torch.autograd.grad(loss, tensors)`: the gradient of `loss` with respect to each tensor, leaf
/// or not, without touching any `.grad`. With the parameters and the layers' outputs it is the
/// lecture's `layer.out.retain_grad()` then `loss.backward()` (tch has no `retain_grad`), with
/// the same numbers.
///
/// # Errors
/// [`Error::Shape`] when `loss` is not one number; [`Error::Torch`] when a tensor is not part of
/// the graph of `loss`.
pub fn gradients(loss: &Tensor, tensors: &[&Tensor]) -> Result<Vec<Tensor>> {
    if loss.numel() != 1 {
        return Err(Error::Shape {
            what: "loss",
            expected: "one number".to_string(),
            got: format!("{:?}", loss.size()),
            hint: "take the mean of the losses first",
        });
    }
    Ok(Tensor::f_run_backward(&[loss], tensors, false, false)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_net_of_layers_matches_its_formula_and_its_gradients_match_backward() {
        let (x, mut layers) = crate::with_torch_seed(1, || {
            let x = Tensor::randn([8, 4], (Kind::Float, Device::Cpu));
            let layers: Vec<Box<dyn Layer>> = vec![
                Box::new(Linear::new(4, 3, true)),
                Box::new(BatchNorm1d::new(3)),
                Box::new(Tanh::default()),
            ];
            (x, layers)
        });
        let params: Vec<Tensor> =
            layers.iter().flat_map(|l| l.parameters()).map(|p| p.set_requires_grad(true)).collect();
        assert_eq!(params.iter().map(|p| p.numel()).sum::<usize>(), 4 * 3 + 3 + 3 + 3);
        let mut h = x.shallow_clone();
        for layer in layers.iter_mut() {
            h = layer.forward(&h).unwrap();
        }
        // by hand: the batch's mean and unbiased variance, gamma 1, beta 0
        let lin = x.matmul(&params[0]) + &params[1];
        let (m, v) = (lin.mean_dim(0, true, Kind::Float), lin.var_dim(0, true, true));
        let want = ((&lin - &m) / (&v + 1e-5).sqrt()).tanh();
        assert!(h.allclose(&want, 1e-6, 1e-6, false));
        let loss = h.pow_tensor_scalar(2).sum(Kind::Float);
        let outs: Vec<Tensor> = layers.iter().map(|l| l.out().unwrap().shallow_clone()).collect();
        let wrt: Vec<&Tensor> = params.iter().chain(&outs).collect();
        let grads = gradients(&loss, &wrt).unwrap();
        assert_eq!(grads.len(), 4 + 3);
        assert!(grads[6].allclose(&(2 * &h), 1e-6, 1e-6, false)); // d(sum h^2)/dh
        let mut h = x.shallow_clone(); // the same forward again: gradients() freed the graph
        for layer in layers.iter_mut() {
            h = layer.forward(&h).unwrap();
        }
        h.pow_tensor_scalar(2).sum(Kind::Float).backward();
        for (p, g) in params.iter().zip(&grads) {
            assert!(p.grad().equal(g), "autograd.grad and backward differ");
        }
        // the running statistics move a tenth of the way to the batch's; eval mode uses them
        let mut bn = BatchNorm1d::new(3);
        let _ = bn.forward(&lin.detach()).unwrap();
        assert!(bn.running_mean.allclose(&(0.1 * &m), 1e-6, 1e-7, false));
        assert!(bn.running_var.allclose(&(0.9 + 0.1 * &v), 1e-6, 1e-7, false));
        bn.set_training(false);
        let y = bn.forward(&lin.detach()).unwrap();
        let want = (&lin - &bn.running_mean) / (&bn.running_var + 1e-5).sqrt();
        assert!(y.allclose(&want, 1e-6, 1e-6, false));
        let e = gradients(&h, &wrt).unwrap_err().to_string();
        assert!(e.contains("one number"), "{e}");
    }

    #[test]
    fn the_hierarchical_net_has_the_lectures_shapes_and_batchnorm_one_mean_per_channel() {
        let mut net = crate::with_torch_seed(42, || {
            let mut layers: Vec<Box<dyn Layer>> = vec![Box::new(Embedding::new(27, 10))];
            for fan_in in [20, 136, 136] {
                layers.push(Box::new(FlattenConsecutive::new(2)));
                layers.push(Box::new(Linear::new(fan_in, 68, false)));
                layers.push(Box::new(BatchNorm1d::new(68)));
                layers.push(Box::new(Tanh::default()));
            }
            layers.push(Box::new(Linear::new(68, 27, true)));
            Sequential::new(layers)
        });
        assert_eq!(net.parameters().iter().map(|p| p.numel()).sum::<usize>(), 22_397);
        let x =
            Tensor::from_slice(&[0i64, 0, 0, 0, 0, 0, 25, 21, 0, 0, 0, 0, 0, 0, 0, 5]).view([2, 8]);
        let logits = net.forward(&x).unwrap();
        assert_eq!(logits.size(), [2, 27]);
        let shapes: Vec<Vec<i64>> = net.layers.iter().map(|l| l.out().unwrap().size()).collect();
        assert_eq!(shapes[..4], [vec![2, 8, 10], vec![2, 4, 20], vec![2, 4, 68], vec![2, 4, 68]]);
        assert_eq!(shapes[9..11], [vec![2, 136], vec![2, 68]]);
        // a 3-D input's statistics over batch and positions: one running mean per channel
        let h = &net.layers[2].out().unwrap().detach(); // (2, 4, 68)
        let mut bn = BatchNorm1d::new(68);
        let _ = bn.forward(h).unwrap();
        assert_eq!(bn.running_mean.size(), [1, 1, 68]);
        let m = h.view([8, 68]).mean_dim(0, true, Kind::Float);
        assert!(bn.running_mean.view([1, 68]).allclose(&(0.1 * m), 1e-6, 1e-7, false));
        net.set_training(false); // eval mode reaches every BatchNorm inside
        let again = net.forward(&x).unwrap();
        assert!(!again.allclose(&logits, 1e-6, 1e-6, false));
        let e = FlattenConsecutive::new(3).forward(h).unwrap_err().to_string();
        assert!(e.contains("multiple of n = 3"), "{e}");
    }
}
