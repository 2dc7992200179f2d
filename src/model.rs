//! What every model can do, the count model and the neural net alike: give the probabilities of
//! the next character, be sampled from, and be scored by the mean negative log likelihood.
//! Sampling is in `03_sampling_and_broadcasting`, the loss in `04_loss_and_smoothing`.

use std::collections::HashMap;

use tch::{Kind, Tensor};

use crate::error::{Error, Result};
use crate::ngram::{context_rows, for_each_example, Dataset};
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
/// For one sample, `torch.multinomial(p, 1)` draws `q = torch.empty_like(p).exponential_()` from
/// the generator and returns `argmax(p / q)`. This does the same with fewer calls into torch:
/// each row of probabilities is fetched once, the exponentials come from torch's generator in
/// blocks (never more than the names still to come need, so the generator ends where the
/// lecture's loop leaves it), and `argmax(p / q)` is taken in Rust, in float32 as torch does.
///
/// # Errors
/// [`Error::BadRow`] when a row of probabilities cannot be sampled (all zero, say: a context
/// never seen with smoothing 0).
pub fn sample(model: &dyn LanguageModel, n: usize, seed: i64) -> Result<Vec<String>> {
    let _generator = crate::rng::seed(seed); // held until every name is drawn
    let vocab = model.vocab();
    let v = vocab.len();
    let context = model.context();
    context_rows(vocab, context)?;
    if n > 0 && model.next_probs(0)?.kind() != Kind::Float {
        return sample_each_step(model, n, seed);
    }
    let mut rows = Rows::default();
    let mut noise = Noise::default();
    let mut names = Vec::with_capacity(n.min(1 << 16));
    for name in 0..n {
        let mut window = vec![0usize; context];
        let mut out = String::new();
        for len in 1.. {
            let row = window.iter().fold(0, |acc, &i| acc * v + i);
            let p = rows.get(model, row)?; // (V,)
            let q = noise.next(v, n - name)?; // (V,): exponential_() of torch's generator
            let ix = argmax_ratio(p, q);
            out.push(vocab.itos(ix as i64)?);
            if ix == 0 || len >= MAX_SAMPLE_LEN {
                break;
            }
            window.remove(0);
            window.push(ix);
        }
        names.push(out);
    }
    Ok(names)
}

/// [`sample`] with one `torch.multinomial` call per character, as the lecture writes it: for
/// models whose probabilities are not float32 (tests/sampling.rs checks the two agree).
fn sample_each_step(model: &dyn LanguageModel, n: usize, seed: i64) -> Result<Vec<String>> {
    tch::manual_seed(seed); // `sample` holds the generator's lock
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

/// The rows of probabilities [`sample`] has visited, fetched from the model once each and
/// checked as `torch.multinomial` checks them.
#[derive(Default)]
struct Rows(HashMap<usize, Vec<f32>>);

impl Rows {
    fn get(&mut self, model: &dyn LanguageModel, row: usize) -> Result<&[f32]> {
        let p = match self.0.entry(row) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(fetch_row(model, row)?),
        };
        Ok(p)
    }
}

fn fetch_row(model: &dyn LanguageModel, row: usize) -> Result<Vec<f32>> {
    let v = model.vocab().len();
    let p = model.next_probs(row as i64)?;
    if p.kind() != Kind::Float || p.numel() != v {
        return Err(Error::Shape {
            what: "next_probs",
            expected: format!("{v} Float probabilities"),
            got: format!("{:?} {:?}", p.size(), p.kind()),
            hint: "a LanguageModel gives one float32 probability per character of its vocabulary",
        });
    }
    let mut probs = vec![0f32; v];
    p.f_contiguous()?.f_copy_data(&mut probs, v)?;
    // torch.multinomial's checks: max < inf and min >= 0 (so no NaN), and sum > 0
    let why = if probs.iter().any(|x| !(0.0..f32::INFINITY).contains(x)) {
        "probability tensor contains either `inf`, `nan` or element < 0"
    } else if probs.iter().all(|&x| x == 0.0) {
        "invalid multinomial distribution (sum of probabilities <= 0)"
    } else {
        return Ok(probs);
    };
    Err(Error::BadRow {
        row,
        why: why.to_string(),
    })
}

/// Exponentials from torch's generator, drawn in blocks of rows of `V`: the `q` of
/// `torch.multinomial`, which draws `V` of them, in order, for every character.
#[derive(Default)]
struct Noise {
    q: Vec<f32>,
    used: usize,
}

/// The most rows of exponentials [`Noise`] draws at once (4096 x 27 floats: 442 KB).
const NOISE_ROWS: usize = 4096;

impl Noise {
    /// The next row of `v` exponentials. `names_left` (this one included) bounds the block: every
    /// name needs at least one more character, so the block is never more than the lecture's
    /// loop would draw.
    fn next(&mut self, v: usize, names_left: usize) -> Result<&[f32]> {
        if self.used + v > self.q.len() {
            let rows = names_left.clamp(1, NOISE_ROWS);
            let mut q = Tensor::f_empty([rows as i64, v as i64], (Kind::Float, tch::Device::Cpu))?;
            let _ = q.f_exponential_(1.0)?; // in place
            self.q.resize(rows * v, 0.0);
            q.f_copy_data(&mut self.q, rows * v)?;
            self.used = 0;
        }
        let q = &self.q[self.used..self.used + v];
        self.used += v;
        Ok(q)
    }
}

/// `argmax(p / q)` in float32, as torch computes it: the first largest, a NaN counting as largest.
fn argmax_ratio(p: &[f32], q: &[f32]) -> usize {
    let mut best = 0;
    let mut top = f32::NEG_INFINITY;
    for (j, (&pj, &qj)) in p.iter().zip(q).enumerate() {
        let r = pj / qj;
        if r.is_nan() {
            return j;
        }
        if r > top {
            top = r;
            best = j;
        }
    }
    best
}

/// The mean negative log likelihood of `words` under the model: the lecture's loss,
/// `-sum(log P[ix1, ix2]) / n` over every n-gram of every word, summed in float64.
///
/// The examples are counted first, so the model is asked for each distinct `(context, next)`
/// probability once (729 for the bigram) rather than 228,146 times.
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
    let mut pairs = PairCounts::new(model.vocab(), model.context())?;
    for_each_example(words, model.vocab(), model.context(), |row, next| {
        pairs.add(row, next);
    })?;
    pairs.nll(model)
}

/// [`nll`] of a dataset made already.
///
/// # Errors
/// [`Error::Shape`] when the dataset was made for another vocabulary or context, or holds an
/// index outside it; [`Error::NoWords`] when it is empty.
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
    let mut pairs = PairCounts::new(model.vocab(), model.context())?;
    data.for_each_pair(|x, y| pairs.add(x, y))?;
    pairs.nll(model)
}

/// How often each `(context row, next character)` pair occurs. The loss of a model depends on
/// an example only through its pair, so `-mean(log p)` over the examples is
/// `-sum(count * log p) / n` over the distinct pairs: at most `V^(context+1)` probabilities to
/// ask the model for, whatever the number of examples.
struct PairCounts {
    v: usize,
    /// Counts by `row * V + next`, when that table is small; else a map.
    dense: Vec<u64>,
    sparse: HashMap<usize, u64>,
}

/// The largest pair table [`PairCounts`] keeps as a vector (16 Mi cells, 128 MB).
const DENSE_PAIRS: usize = 1 << 24;

impl PairCounts {
    fn new(vocab: &Vocab, context: usize) -> Result<PairCounts> {
        let rows = context_rows(vocab, context)?;
        let v = vocab.len();
        let cells = rows * v;
        Ok(PairCounts {
            v,
            dense: if cells <= DENSE_PAIRS {
                vec![0; cells]
            } else {
                Vec::new()
            },
            sparse: HashMap::new(),
        })
    }

    fn add(&mut self, row: usize, next: usize) {
        let cell = row * self.v + next;
        match self.dense.get_mut(cell) {
            Some(c) => *c += 1,
            None => *self.sparse.entry(cell).or_insert(0) += 1,
        }
    }

    /// `-sum(count * log p) / n`, in float64.
    fn nll(&self, model: &dyn LanguageModel) -> Result<f64> {
        let mut cells: Vec<(usize, u64)> = self
            .dense
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0)
            .map(|(cell, &c)| (cell, c))
            .chain(self.sparse.iter().map(|(&cell, &c)| (cell, c)))
            .collect();
        cells.sort_unstable();
        let n: u64 = cells.iter().map(|&(_, c)| c).sum();
        if n == 0 {
            return Err(Error::NoWords {
                what: "the dataset".to_string(),
            });
        }
        let xs: Vec<i64> = cells.iter().map(|&(c, _)| (c / self.v) as i64).collect();
        let ys: Vec<i64> = cells.iter().map(|&(c, _)| (c % self.v) as i64).collect();
        let p = model.probs(&Tensor::from_slice(&xs), &Tensor::from_slice(&ys))?; // (pairs,)
        let p = Vec::<f64>::try_from(&p.f_to_kind(Kind::Double)?)?;
        let log_likelihood: f64 = cells
            .iter()
            .zip(&p)
            .map(|(&(_, c), &p)| c as f64 * p.ln())
            .sum();
        Ok(-log_likelihood / n as f64)
    }
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

    /// A model whose rows all differ: smoothed counts of a few words.
    fn varied() -> (Vec<String>, CountModel) {
        let w: Vec<String> = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "zoe"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 1, 0.5).unwrap();
        (w, m)
    }

    #[test]
    fn nll_of_a_dataset_is_nll_of_its_words() {
        let (w, m) = varied();
        let data = Dataset::new(&w, m.vocab(), 1).unwrap();
        let a = nll(&m, &w).unwrap();
        assert_eq!(a, nll_of(&m, &data).unwrap());
        // and the per-example mean, as the lecture computes it
        let logp = m
            .probs(&data.xs, &data.ys)
            .unwrap()
            .to_kind(Kind::Double)
            .log();
        let b = -logp.mean(Kind::Double).double_value(&[]);
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}
