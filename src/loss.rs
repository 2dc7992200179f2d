//! The loss formulas, on tensors: the lecture's `probs[arange(n), ys]` and mean negative log
//! likelihood (`05_one_hot_and_softmax`, E04, E05), the embedding lookup `C[X]` (part 2), and
//! makemore.py's masked cross-entropy (training). The loss of a model on words is in
//! [`crate::eval`], above the models.

use tch::{Kind, Tensor};

use crate::error::Result;

/// `probs[torch.arange(n), ys]`: entry `ys[i]` of every row `i` of `probs`, `(n, V)` → `(n,)`,
/// with the lecture's own indexing (and so its gradient).
///
/// # Errors
/// [`Error::Torch`](crate::Error::Torch) when `ys` is not `(n,)` Int64 with values in `0..V`.
pub fn pick(probs: &Tensor, ys: &Tensor) -> Result<Tensor> {
    let arange = Tensor::f_arange(ys.size1()?, (Kind::Int64, ys.device()))?;
    Ok(probs.f_index(&[Some(arange), Some(ys.shallow_clone())])?)
}

/// `table[ix]`: the rows of `table` at the indices `ix`, of any shape: `(V, d)` and `(…)` →
/// `(…, d)`. Part 2's embedding lookup `C[X]`, with PyTorch's own indexing (and so its gradient).
///
/// # Errors
/// [`crate::Error::Torch`] for an index outside `0..V`.
pub fn lookup(table: &Tensor, ix: &Tensor) -> Result<Tensor> {
    Ok(table.f_index(&[Some(ix.shallow_clone())])?)
}

/// The lecture's loss from logits `(n, V)`: `exp` (counts), normalize (probabilities), then
/// `-probs[arange(n), ys].log().mean()`, in the logits' own float kind.
///
/// # Errors
/// [`crate::Error::Torch`] when the shapes do not match.
pub fn mean_nll(logits: &Tensor, ys: &Tensor) -> Result<Tensor> {
    let kind = logits.kind();
    let counts = logits.f_exp()?; // counts, equivalent to N
    let probs = counts.f_div(&counts.f_sum_dim_intlist(1, true, kind)?)?; // (n, V) / (n, 1)
    Ok(pick(&probs, ys)?.f_log()?.f_mean(kind)?.f_neg()?) // probs[arange(n), ys]: (n,)
}

/// makemore.py's training loss: `F.cross_entropy(logits, y, ignore_index=-1)`, the mean over the
/// positions that are not padding. `logits` `(B, T, V)`, `y` `(B, T)`.
///
/// # Errors
/// [`Error::Torch`](crate::Error::Torch) when the shapes do not match.
pub fn cross_entropy(logits: &Tensor, y: &Tensor) -> Result<Tensor> {
    let v = *logits.size().last().unwrap_or(&0);
    Ok(logits.f_reshape([-1, v])?.f_cross_entropy_loss(
        &y.f_reshape([-1])?,
        None::<Tensor>,
        tch::Reduction::Mean,
        -1,
        0.0,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_entropy_leaves_padding_out() {
        let logits =
            crate::with_torch_seed(0, || Tensor::randn([2, 3, 4], (Kind::Float, tch::Device::Cpu)));
        let y = Tensor::from_slice(&[1i64, 2, -1, 0, -1, -1]).view([2, 3]);
        let loss = cross_entropy(&logits, &y).unwrap().double_value(&[]);
        let logp = logits.log_softmax(-1, Kind::Float);
        let by_hand = -(logp.double_value(&[0, 0, 1])
            + logp.double_value(&[0, 1, 2])
            + logp.double_value(&[1, 0, 0]))
            / 3.0;
        assert!((loss - by_hand).abs() < 1e-6, "{loss} vs {by_hand}");
        let probs = Tensor::from_slice(&[0.1f32, 0.9, 0.7, 0.3]).view([2, 2]);
        let picked =
            Vec::<f32>::try_from(pick(&probs, &Tensor::from_slice(&[1i64, 0])).unwrap()).unwrap();
        assert_eq!(picked, [0.9, 0.7]);
    }
}
