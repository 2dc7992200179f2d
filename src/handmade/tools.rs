//! What the exercises compare and time with.

use std::time::Instant;

use tch::Tensor;

use crate::error::Result;

/// The largest absolute difference between two tensors of the same shape (`(a - b).abs().max()`).
///
/// # Errors
/// [`crate::Error::Torch`] when the shapes do not broadcast.
pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> Result<f64> {
    Ok(a.f_sub(b)?.f_abs()?.f_max()?.f_double_value(&[])?)
}

/// The fastest of `repeats` runs of `f` (at least one), in milliseconds.
///
/// # Errors
/// The first error of `f`.
pub fn best_ms<T>(repeats: usize, mut f: impl FnMut() -> Result<T>) -> Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(best)
}
