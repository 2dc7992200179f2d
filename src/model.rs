//! What every model can do, the count model and the neural net alike: give the probabilities of
//! the next character, be sampled from, and be scored by the mean negative log likelihood.
//! Sampling is in `03_sampling_and_broadcasting`, the loss in `04_loss_and_smoothing`.

use tch::{Kind, Tensor};

use crate::error::{Error, Result};
use crate::ngram::{context_rows, Dataset};
use crate::vocab::Vocab;

/// A character-level language model over `context` characters.
pub trait LanguageModel {
    /// The model's vocabulary.
    fn vocab(&self) -> &Vocab;
    /// Characters of context (1 = bigram).
    fn context(&self) -> usize;
    /// Probabilities of the next character after context row `row`: `[V]`, summing to 1.
    fn next_probs(&self, row: i64) -> Result<Tensor>;
    /// The probability the model gives to each example `ys[i]` after context `xs[i]`: `[n]`.
    fn probs(&self, xs: &Tensor, ys: &Tensor) -> Result<Tensor>;
}

/// The longest name [`sample`] makes before it stops a name by itself: a guard against a model
/// that never picks `.`.
pub const MAX_SAMPLE_LEN: usize = 10_000;

/// Samples `n` names, each ending with `.`, the lecture's way: start at `.`, draw the next
/// character with `torch.multinomial` until `.` comes back. `seed` seeds torch's generator
/// first (`tch::manual_seed`), so seed 2147483647 gives the lecture's names.
///
/// # Errors
/// [`Error::BadRow`] when a row of probabilities cannot be sampled (all zero, say: a context
/// never seen with smoothing 0).
pub fn sample(model: &dyn LanguageModel, n: usize, seed: i64) -> Result<Vec<String>> {
    tch::manual_seed(seed);
    let v = model.vocab().len();
    let context = model.context();
    context_rows(model.vocab(), context)?;
    let mut names = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        let mut window = vec![0usize; context];
        let mut out = String::new();
        for len in 1.. {
            let row = window.iter().fold(0, |acc, &i| acc * v + i) as i64;
            let p = model.next_probs(row)?; // (V,)
            let ix = p
                .f_multinomial(1, true)
                .map_err(|e| Error::BadRow {
                    row: row as usize,
                    why: first_line(&e.to_string()),
                })?
                .int64_value(&[0]);
            out.push(model.vocab().itos(ix)?);
            if ix == 0 || len >= MAX_SAMPLE_LEN {
                break;
            }
            window.remove(0);
            window.push(ix as usize);
        }
        names.push(out);
    }
    Ok(names)
}

/// The mean negative log likelihood of `words` under the model: the lecture's loss,
/// `-sum(log P[ix1, ix2]) / n` over every n-gram of every word.
///
/// # Errors
/// [`Error::UnknownChar`] for a character the model's vocabulary lacks, [`Error::NoWords`] for
/// an empty list.
pub fn nll(model: &dyn LanguageModel, words: &[String]) -> Result<f64> {
    if words.is_empty() {
        return Err(Error::NoWords {
            what: "the word list".to_string(),
        });
    }
    let data = Dataset::new(words, model.vocab(), model.context())?;
    nll_of(model, &data)
}

/// [`nll`] of a dataset made already.
///
/// # Errors
/// [`Error::Shape`] when the dataset was made for another vocabulary or context.
pub fn nll_of(model: &dyn LanguageModel, data: &Dataset) -> Result<f64> {
    if data.vocab_len != model.vocab().len() || data.context != model.context() {
        return Err(Error::Shape {
            what: "dataset",
            expected: format!(
                "vocabulary {} and context {}",
                model.vocab().len(),
                model.context()
            ),
            got: format!("vocabulary {} and context {}", data.vocab_len, data.context),
            hint: "build the dataset with the model's vocabulary and context",
        });
    }
    let logp = model.probs(&data.xs, &data.ys)?.f_log()?; // (n,)
    Ok(-logp.f_mean(Kind::Double)?.double_value(&[]))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ngram::CountModel;

    #[test]
    fn a_deterministic_model_spells_its_only_word() {
        let w = vec!["abc".to_string()];
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 1, 0.0).unwrap();
        assert_eq!(sample(&m, 3, 1).unwrap(), vec!["abc.", "abc.", "abc."]);
        // every bigram has probability 1: the loss is 0
        assert!(nll(&m, &w).unwrap().abs() < 1e-12);
    }

    #[test]
    fn nll_is_the_mean_of_minus_log_p() {
        let w = vec!["ab".to_string(), "ba".to_string()];
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 1, 0.0).unwrap();
        // .a .b: 1/2 each; ab, ba: 1/2; a. b.: 1/2 -> every bigram has p = 1/2
        assert!((nll(&m, &w).unwrap() - 2f64.ln()).abs() < 1e-6);
        assert!(nll(&m, &["abz".to_string()]).is_err());
    }

    #[test]
    fn unseen_row_without_smoothing_is_an_error_not_a_panic() {
        let w = vec!["ab".to_string(), "c".to_string()];
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 2, 0.0).unwrap();
        // '.c' then 'c.' rows exist; context 'ca' never does, but sampling only visits seen rows
        assert!(sample(&m, 5, 3).is_ok());
        let probs = m.probs.zeros_like();
        let empty = CountModel::from_counts(probs.to_kind(Kind::Int), &v, 0.0).unwrap();
        assert!(matches!(
            sample(&empty, 1, 1),
            Err(Error::BadRow { row: 0, .. })
        ));
    }
}
