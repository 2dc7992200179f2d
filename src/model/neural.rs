//! The neural n-gram model: one linear layer `W` of shape `[V^context, V]`, read as log-counts.
//! `05_one_hot_and_softmax` builds the forward pass, `06_gradient_descent` trains it
//! ([`crate::model::methods`] has the training and exercises E04-E06's ways to compute its loss).

use tch::{Kind, Tensor};

use super::config::no_check;
use super::table::{table_log_likelihood, table_rows};
use super::{LanguageModel, ModelType, Spec};
use crate::data::{context_rows, Vocab};
use crate::error::{Error, Result};

/// A neural n-gram model: `logits = one_hot(xs) @ W`, `probs = softmax(logits)`. makemore.py's
/// bigram is the same table with context 1, from zeros, trained with AdamW ([`crate::model::Bigram`]).
#[derive(Debug)]
pub struct NeuralModel {
    vocab: Vocab,
    context: usize,
    w: Tensor,
}

impl NeuralModel {
    /// `W` drawn from a standard normal with torch's generator seeded by `seed`, as the
    /// lecture's `torch.randn((27, 27), generator=g, requires_grad=True)`.
    ///
    /// # Errors
    /// [`Error::Param`] for context 0 or too long.
    pub fn new(vocab: &Vocab, context: usize, seed: i64) -> Result<Self> {
        let rows = context_rows(vocab, context)? as i64;
        let w = crate::rng::with_torch_seed(seed, || {
            Tensor::f_randn([rows, vocab.len() as i64], (Kind::Float, tch::Device::Cpu))
        })?; // (V^n, V)
        Self::from_weights(vocab, w)
    }

    /// A model around given weights `[V^context, V]`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `w` does not match the vocabulary.
    pub fn from_weights(vocab: &Vocab, w: Tensor) -> Result<Self> {
        let v = vocab.len() as i64;
        let size = w.size();
        let mut context = 0;
        let mut rows = 1;
        while size.len() == 2 && rows < size[0] {
            rows *= v;
            context += 1;
        }
        if size.len() != 2 || size[1] != v || rows != size[0] || context == 0 {
            return Err(Error::Shape {
                what: "weights",
                expected: format!("[{v}^n, {v}]"),
                got: format!("{size:?}"),
                hint: "the weights must come from a model with this vocabulary",
            });
        }
        let w = w.f_to_kind(Kind::Float)?.f_detach()?.f_set_requires_grad(true)?;
        Ok(NeuralModel { vocab: vocab.clone(), context, w })
    }

    /// The weights `[V^context, V]`, with `requires_grad`.
    pub fn w(&self) -> &Tensor {
        &self.w
    }

    /// The weights, to update in place (training).
    pub(crate) fn w_mut(&mut self) -> &mut Tensor {
        &mut self.w
    }

    /// Characters of context (1 = bigram).
    pub fn context(&self) -> usize {
        self.context
    }

    /// The logits of each example, the lecture's way: `one_hot(xs).float() @ W`, `(n, V)`.
    ///
    /// # Errors
    /// [`Error::Torch`] for a row outside `0..V^context`.
    pub fn logits(&self, xs: &Tensor) -> Result<Tensor> {
        let xenc = xs.f_one_hot(self.w.size()[0])?.f_to_kind(Kind::Float)?; // (n, V^c)
        Ok(xenc.f_matmul(&self.w)?) // (n, V^c) @ (V^c, V) -> (n, V)
    }
}

impl LanguageModel for NeuralModel {
    fn vocab(&self) -> &Vocab {
        &self.vocab
    }
    fn block_size(&self) -> usize {
        self.context
    }
    fn device(&self) -> tch::Device {
        self.w.device()
    }
    /// `W` of each position's context row: `one_hot(row) @ W` is row `row` of `W`. `(B, T, V)`
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let rows = table_rows(x, self.context, self.vocab.len())?; // (B, T)
        let logits = self.w.f_index_select(0, &rows.f_reshape(-1)?)?; // (B*T, V)
        let mut shape = rows.size();
        shape.push(self.vocab.len() as i64);
        Ok(logits.f_view(shape.as_slice())?)
    }
    /// The lecture's `exp`, then normalize, of the last context row of `W`.
    fn next_probs(&self, x: &Tensor) -> Result<Tensor> {
        tch::no_grad(|| {
            let rows = table_rows(x, self.context, self.vocab.len())?.f_select(1, -1)?;
            let counts = self.w.f_index_select(0, &rows)?.f_exp()?; // (B, V)
            Ok(counts.f_div(&counts.f_sum_dim_intlist(1, true, Kind::Float)?)?)
        })
    }
    /// `log_softmax(W)[row, y]`, picked from the table: no `(B, T, V)` logits.
    fn log_likelihood(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let rows = table_rows(x, self.context, self.vocab.len())?;
        table_log_likelihood(&self.w.f_log_softmax(1, Kind::Float)?, &rows, y)
    }
    fn parameters(&self) -> Vec<(String, Tensor)> {
        vec![("w".to_string(), self.w.shallow_clone())]
    }
}

#[allow(non_upper_case_globals)]
impl ModelType {
    /// One linear layer trained by gradient descent on all the data (the lecture, second half).
    pub const Neural: ModelType = ModelType("neural");
}

/// The type's facts: what it is; it has no sizes, and is made by its own constructor.
pub(super) const SPEC: Spec =
    Spec { kind: ModelType::Neural, hypers: &[], check: no_check, build: None };

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;

    #[test]
    fn logits_of_one_hot_are_rows_of_w() {
        let w = vec!["emma".to_string(), "ava".to_string()];
        let v = Vocab::from_words(&w).unwrap();
        let d = Dataset::new(&w, &v, 1).unwrap();
        let net = NeuralModel::new(&v, 1, 1).unwrap();
        let logits = net.logits(d.xs()).unwrap();
        assert!(logits.equal(&net.w.index_select(0, d.xs())));
        assert!(NeuralModel::new(&v, 0, 1).is_err());
    }
}
