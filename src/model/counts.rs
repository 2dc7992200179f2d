//! The count model: next-character probabilities are normalized n-gram counts. The bigram counts
//! `N` of `01_counting_bigrams`, the probabilities `P` of `03_sampling_and_broadcasting`, the
//! smoothing of `04_loss_and_smoothing` and, with `context = 2`, the trigram of `e01_trigram`.
//!
//! A context of `n` characters is numbered as a base-`V` number, so the counts of any n-gram
//! model fit one `[V^n, V]` matrix: row = context, column = next character.

use std::collections::HashMap;

use tch::{Kind, Tensor};

use super::config::no_check;
use super::table::{table_log_likelihood, table_rows};
use super::{LanguageModel, ModelType, Spec};
use crate::data::{Dataset, Vocab};
use crate::error::{non_negative, Error, Result};

/// The n-gram counts as an `Int32` tensor of shape `[V; context + 1]`: `[27, 27]` for bigrams,
/// where `N[i, j]` counts how often character `j` follows character `i`.
///
/// # Errors
/// As [`Dataset::new`] and [`Dataset::counts`].
pub fn count_ngrams(words: &[String], vocab: &Vocab, context: usize) -> Result<Tensor> {
    let counts = Dataset::new(words, vocab, context)?.counts()?; // checks the context first
    let shape = vec![vocab.len() as i64; context + 1];
    Ok(counts.f_view(shape.as_slice())?)
}

/// The bigram counts `N`, `[V, V]` Int32: [`count_ngrams`] with one character of context.
///
/// # Errors
/// As [`count_ngrams`].
pub fn count_bigrams(words: &[String], vocab: &Vocab) -> Result<Tensor> {
    count_ngrams(words, vocab, 1)
}

/// The lecture's first counting cells: a dictionary of bigrams with `<S>` and `<E>` marking
/// start and end, sorted by count, most common first (ties keep first-seen order, as Python's
/// stable `sorted` does).
pub fn bigram_dict(words: &[String]) -> Vec<((String, String), usize)> {
    let mut seen: HashMap<(String, String), (usize, usize)> = HashMap::new();
    for w in words {
        let chs: Vec<String> = std::iter::once("<S>".to_string())
            .chain(w.chars().map(String::from))
            .chain(std::iter::once("<E>".to_string()))
            .collect();
        for pair in chs.windows(2) {
            let order = seen.len();
            seen.entry((pair[0].clone(), pair[1].clone())).or_insert((0, order)).0 += 1;
        }
    }
    let mut items: Vec<_> = seen.into_iter().collect();
    items.sort_by_key(|(_, (count, order))| (std::cmp::Reverse(*count), *order));
    items.into_iter().map(|(k, (count, _))| (k, count)).collect()
}

/// Probabilities from counts with add-`smoothing` ("fake counts"), by broadcast row
/// normalization: `P = (N + k).float(); P /= P.sum(1, keepdim=True)`.
/// `counts` is `[rows, V]` (or `[V; n + 1]`, flattened to rows).
///
/// # Errors
/// [`Error::Param`] for a negative or non-finite `smoothing`.
pub fn probs_from_counts(counts: &Tensor, smoothing: f64) -> Result<Tensor> {
    let smoothing = non_negative("smoothing", smoothing)?;
    let v = *counts.size().last().unwrap_or(&0);
    let p = counts.f_view([-1, v])?.f_to_kind(Kind::Float)?.f_add_scalar(smoothing)?; // (rows, V)
    let sums = p.f_sum_dim_intlist(1, true, Kind::Float)?; // (rows, 1)
    Ok(p.f_div(&sums)?) // (rows, V) / (rows, 1) broadcasts over columns
}

/// The counting model: next-character probabilities are normalized (smoothed) counts.
#[derive(Debug)]
pub struct CountModel {
    vocab: Vocab,
    context: usize,
    smoothing: f64,
    counts: Tensor,
    probs: Tensor,
}

impl CountModel {
    /// The lecture's context: one character, the bigram.
    pub const CONTEXT: usize = 1;
    /// The lecture's smoothing: add 1 to every count.
    pub const SMOOTHING: f64 = 1.0;

    /// Counts the n-grams of `words` and normalizes them with add-`smoothing`.
    ///
    /// # Errors
    /// As [`count_ngrams`] and [`probs_from_counts`].
    pub fn fit(words: &[String], vocab: &Vocab, context: usize, smoothing: f64) -> Result<Self> {
        let counts = count_ngrams(words, vocab, context)?;
        Self::from_counts(&counts, vocab, smoothing)
    }

    /// A model from counts already made, `[V; context + 1]` or `[V^context, V]`, none negative
    /// (the model keeps a view of them: no copy).
    ///
    /// # Errors
    /// [`Error::Shape`] if the counts do not match the vocabulary or one is negative;
    /// [`Error::Param`] for a negative or non-finite `smoothing`.
    pub fn from_counts(counts: &Tensor, vocab: &Vocab, smoothing: f64) -> Result<Self> {
        let v = vocab.len() as i64;
        let numel: i64 = counts.size().iter().product();
        let mut context = 0;
        let mut rows = 1;
        while rows * v < numel {
            rows *= v;
            context += 1;
        }
        let negative = numel > 0 && counts.f_min()?.f_double_value(&[])? < 0.0;
        if context == 0 || rows * v != numel || negative {
            return Err(Error::Shape {
                what: "counts",
                expected: format!("[{v}^n, {v}] counts >= 0 for a vocabulary of {v}"),
                got: format!(
                    "{:?}{}",
                    counts.size(),
                    if negative { " with a negative count" } else { "" }
                ),
                hint: "count with the same vocabulary you pass here",
            });
        }
        let counts = counts.f_view([rows, v])?;
        let probs = probs_from_counts(&counts, smoothing)?;
        Ok(CountModel { vocab: vocab.clone(), context, smoothing, counts, probs })
    }

    /// The counts `[V^context, V]`, Int32: the lecture's `N`.
    pub fn counts(&self) -> &Tensor {
        &self.counts
    }

    /// The probabilities `[V^context, V]`, Float, every row summing to 1: the lecture's `P`.
    pub fn probs(&self) -> &Tensor {
        &self.probs
    }

    /// Characters of context (1 = bigram).
    pub fn context(&self) -> usize {
        self.context
    }

    /// The add-k smoothing this model was made with.
    pub fn smoothing(&self) -> f64 {
        self.smoothing
    }
}

impl LanguageModel for CountModel {
    fn vocab(&self) -> &Vocab {
        &self.vocab
    }
    fn block_size(&self) -> usize {
        self.context
    }
    /// `log P` of each position's context row: `(B, T, V)`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let rows = table_rows(x, self.context, self.vocab.len())?; // (B, T)
        let logp = self.probs.f_log()?.f_index_select(0, &rows.f_reshape(-1)?)?; // (B*T, V)
        let mut shape = rows.size();
        shape.push(self.vocab.len() as i64);
        Ok(logp.f_view(shape.as_slice())?)
    }
    /// The row of `P` itself, as the lecture samples from it.
    fn next_probs(&self, x: &Tensor) -> Result<Tensor> {
        let rows = table_rows(x, self.context, self.vocab.len())?.f_select(1, -1)?; // (B,)
        Ok(self.probs.f_index_select(0, &rows)?)
    }
    /// `log P[row, y]`, picked from the table: no `(B, T, V)` logits.
    fn log_likelihood(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let rows = table_rows(x, self.context, self.vocab.len())?;
        table_log_likelihood(&self.probs.f_log()?, &rows, y)
    }
    fn parameters(&self) -> Vec<(String, Tensor)> {
        vec![("counts".to_string(), self.counts.shallow_clone())]
    }
}

#[allow(non_upper_case_globals)]
impl ModelType {
    /// Normalized n-gram counts (the lecture, first half).
    pub const Counts: ModelType = ModelType("counts");
}

/// The type's facts: what it is; it has no sizes, and is made by its own constructor.
pub(super) const SPEC: Spec =
    Spec { kind: ModelType::Counts, hypers: &[], check: no_check, build: None };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emma_gives_five_bigrams() {
        let w = vec!["emma".to_string()];
        let v = Vocab::from_words(&w).unwrap(); // . a e m
        let n = count_bigrams(&w, &v).unwrap();
        assert_eq!((n.size(), n.kind()), (vec![4, 4], Kind::Int));
        assert_eq!(n.int64_value(&[3, 3]), 1);
        assert_eq!(n.int64_value(&[0, 2]), 1);
        let n3 = count_ngrams(&w, &v, 2).unwrap();
        assert_eq!(n3.size(), vec![4, 4, 4]);
        assert_eq!(n3.int64_value(&[2, 3, 3]), 1); // e m -> m
    }

    #[test]
    fn dictionary_counts_with_start_and_end() {
        let w = vec!["emma".to_string(), "ma".to_string()];
        let b = bigram_dict(&w);
        assert_eq!(b[0], (("m".to_string(), "a".to_string()), 2));
        assert_eq!(b[1], (("a".to_string(), "<E>".to_string()), 2));
        assert_eq!(b.iter().map(|(_, c)| c).sum::<usize>(), 8);
    }

    #[test]
    fn rows_sum_to_one_with_smoothing() {
        let w = vec!["emma".to_string()];
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 1, 1.0).unwrap();
        let sums = m.probs().sum_dim_intlist(1, false, Kind::Float);
        assert!(sums.allclose(&sums.ones_like(), 1e-6, 1e-6, false));
        // (N + 1) / rowsum: row '.' has counts [0, 0, 1, 0] -> [1, 1, 2, 1] / 5
        assert!((m.probs().double_value(&[0, 2]) - 0.4).abs() < 1e-6);
        assert!(CountModel::from_counts(&m.counts().neg(), &v, 1.0).is_err());
    }
}
