//! The table models' shortcut (counts, the one-layer net): a `[V^context, V]` table read by
//! the row of each position's context, without `(B, T, V)` logits.

use tch::{Kind, Tensor};

use crate::error::Result;

/// `logp[b, t, y[b, t]]` for every position: `(B, T, V)` and `(B, T)` → `(B, T)`, 0 at `y = -1`.
pub(super) fn pick_targets(logp: &Tensor, y: &Tensor) -> Result<Tensor> {
    let picked =
        logp.f_gather(-1, &y.f_clamp_min(0)?.f_unsqueeze(-1)?, false)?.f_squeeze_dim(-1)?;
    Ok(picked.f_masked_fill(&y.f_lt(0)?, 0.0)?)
}

/// The context row of every position of `x` `(B, T)` for a `[V^context, V]` table: the last
/// `context` tokens up to `t` (`.` before the start) as a base-`V` number, `(B, T)`.
pub(super) fn table_rows(x: &Tensor, context: usize, v: usize) -> Result<Tensor> {
    let (b, t) = x.size2()?;
    let pad = Tensor::f_zeros([b, context as i64 - 1], (Kind::Int64, x.device()))?;
    let padded = Tensor::f_cat(&[&pad, x], 1)?; // (B, T + context - 1)
    let mut rows = padded.f_narrow(1, 0, t)?;
    for k in 1..context as i64 {
        rows = rows.f_mul_scalar(v as i64)?.f_add(&padded.f_narrow(1, k, t)?)?;
    }
    Ok(rows)
}

/// `logp[row, y]` for every position, from a `[V^context, V]` table of log-probabilities:
/// [`LanguageModel::log_likelihood`] of the table models, without `(B, T, V)` logits.
pub(super) fn table_log_likelihood(logp: &Tensor, rows: &Tensor, y: &Tensor) -> Result<Tensor> {
    let v = logp.size()[1];
    let cells = rows.f_mul_scalar(v)?.f_add(&y.f_clamp_min(0)?)?; // (B, T)
    let picked = logp.f_reshape(-1)?.f_take(&cells)?;
    Ok(picked.f_masked_fill(&y.f_lt(0)?, 0.0)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Vocab;
    use crate::eval::nll;
    use crate::model::{CountModel, LanguageModel, NeuralModel};
    use tch::Kind;

    #[test]
    fn every_position_reads_its_own_context() {
        let w: Vec<String> = ["emma", "olivia", "ava"].iter().map(|s| s.to_string()).collect();
        let v = Vocab::from_words(&w).unwrap();
        let x = crate::data::Sequences::new(&w, &v, 7).unwrap();
        for context in [1, 2, 3] {
            let rows = table_rows(x.x(), context, v.len()).unwrap();
            // row of position t = the `context` tokens up to t, as in the lecture's Dataset
            let ds = crate::data::Dataset::new(&w[..1], &v, context).unwrap();
            let first: Vec<i64> = Vec::try_from(rows.get(0).narrow(0, 0, 5)).unwrap();
            assert_eq!(first, Vec::<i64>::try_from(ds.xs()).unwrap(), "context {context}");
        }
    }

    #[test]
    fn table_models_score_as_their_logits_say() {
        let w: Vec<String> =
            ["emma", "olivia", "ava", "isabella"].iter().map(|s| s.to_string()).collect();
        let v = Vocab::from_words(&w).unwrap();
        let counts = CountModel::fit(&w, &v, 2, 0.5).unwrap();
        let net = NeuralModel::new(&v, 2, 3).unwrap();
        let s = crate::data::Sequences::new(&w, &v, 9).unwrap();
        for m in [&counts as &dyn LanguageModel, &net] {
            // the override picks from the table what the default computes from the logits
            let fast = m.log_likelihood(s.x(), s.y()).unwrap();
            let logp = m.forward(s.x()).unwrap().log_softmax(-1, Kind::Float);
            let slow = pick_targets(&logp, s.y()).unwrap();
            assert!(fast.allclose(&slow, 1e-5, 1e-6, false), "{m:?}");
            // and the probabilities of the next character are the softmax of the last logits
            let p = m.next_probs(&s.x().narrow(1, 0, 3)).unwrap();
            let q =
                m.forward(&s.x().narrow(1, 0, 3)).unwrap().select(1, -1).softmax(-1, Kind::Float);
            assert!(p.allclose(&q, 1e-5, 1e-6, false));
            assert!(nll(m, &w).unwrap().is_finite());
        }
    }
}
