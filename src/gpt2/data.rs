//! The lecture's `DataLoaderLite` over tokens held in memory: batches of `B` rows of `T`
//! consecutive tokens, read in order, back to the start when the next would run past the end.

use tch::Tensor;

use crate::error::{Error, Result};

/// `DataLoaderLite(B, T)` of the lecture's commits 8-21: the tokens in order, `B * T` at a time.
#[derive(Debug)]
pub struct DataLoaderLite {
    tokens: Tensor,
    b: i64,
    t: i64,
    position: i64,
}

impl DataLoaderLite {
    /// A loader of `tokens` (GPT-2 ids) in batches of `b` rows of `t`.
    ///
    /// # Errors
    /// [`Error::Param`] for `b` or `t` of 0, or tokens too few for one batch (`b * t + 1`).
    pub fn new(tokens: &[u32], b: usize, t: usize) -> Result<DataLoaderLite> {
        let need = b * t + 1;
        if b == 0 || t == 0 || tokens.len() < need {
            let why = "a batch needs B * T + 1 tokens, and B and T at least 1";
            let hint = "use a longer text, or a smaller B or T";
            return Err(Error::param(
                "B, T",
                format!("{b}, {t} ({} tokens)", tokens.len()),
                why,
                hint,
            ));
        }
        let ids: Vec<i64> = tokens.iter().map(|&id| i64::from(id)).collect();
        Ok(DataLoaderLite {
            tokens: Tensor::from_slice(&ids),
            b: b as i64,
            t: t as i64,
            position: 0,
        })
    }

    /// The tokens: `loaded {len} tokens`.
    pub fn len(&self) -> usize {
        self.tokens.size()[0] as usize
    }

    /// Never empty: a loader holds a batch at least.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Batches in one pass over the tokens: `1 epoch = {n} batches`.
    pub fn batches_per_epoch(&self) -> usize {
        self.len() / (self.b * self.t) as usize
    }

    /// The next batch `(x, y)`, each `(B, T)`, `y` the tokens after `x`'s.
    ///
    /// # Errors
    /// [`Error::Torch`] from libtorch.
    pub fn next_batch(&mut self) -> Result<(Tensor, Tensor)> {
        let (b, t) = (self.b, self.t);
        let buf = self.tokens.f_narrow(0, self.position, b * t + 1)?;
        let x = buf.f_narrow(0, 0, b * t)?.f_view([b, t])?;
        let y = buf.f_narrow(0, 1, b * t)?.f_view([b, t])?;
        self.position += b * t;
        if self.position + b * t + 1 > self.len() as i64 {
            self.position = 0;
        }
        Ok((x, y))
    }
}
