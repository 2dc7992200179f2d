//! What every model can do, the count model and the neural net alike: give the probabilities of
//! the next character, be sampled from, and be scored by the mean negative log likelihood.
//! Sampling is in `03_sampling_and_broadcasting`, the loss in `04_loss_and_smoothing`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use tch::{Kind, Tensor};

use crate::error::{Error, Result};
use crate::ngram::{context_rows, for_each_example, Dataset};
use crate::rng::{
    exponential, exponential_lower_bound, exponential_upper_bound, uniform, TorchGenerator,
};
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
/// character with `torch.multinomial` until `.` comes back. `seed` plays the part of
/// `torch.Generator().manual_seed(seed)`, so seed 2147483647 gives the lecture's names.
///
/// For one sample, `torch.multinomial(p, 1)` draws `q = torch.empty_like(p).exponential_()` from
/// the generator and returns `argmax(p / q)`. This does the same without calling into torch for
/// each character: it runs its own copy of torch's CPU generator (mt19937, the same numbers,
/// made 624 at a time), fetches each row of probabilities once, and takes `argmax(p / q)` in the
/// probabilities' float type as torch does, with a logarithm only where bounds cannot decide.
/// Torch's own generator is not touched.
///
/// # Errors
/// [`Error::BadRow`] when a row of probabilities cannot be sampled (all zero, say: a context
/// never seen with smoothing 0).
pub fn sample(model: &dyn LanguageModel, n: usize, seed: i64) -> Result<Vec<String>> {
    let vocab = model.vocab();
    let v = vocab.len();
    let context = model.context();
    context_rows(vocab, context)?;
    let kind = if n > 0 {
        model.next_probs(0)?.kind()
    } else {
        Kind::Float
    };
    if kind != Kind::Float && kind != Kind::Double {
        return sample_each_step(model, n, seed);
    }
    let mut rows = Rows::default();
    let mut generator = TorchGenerator::new(seed);
    let mut scratch = Vec::with_capacity(2 * v);
    sample_with(model, n, |row| {
        let words = generator.words(2 * v, &mut scratch); // two per exponential of q
        Ok(match rows.get(model, row)? {
            Probs::Float(p, inverse) => multinomial_one(p, inverse, words),
            Probs::Double(p, inverse) => multinomial_one(p, inverse, words),
        })
    })
}

/// [`sample`] with one `torch.multinomial` call per character, as the lecture writes it: for
/// probabilities neither float32 nor float64. Seeds torch's generator and leaves it where the
/// lecture's loop would.
fn sample_each_step(model: &dyn LanguageModel, n: usize, seed: i64) -> Result<Vec<String>> {
    let _generator = crate::rng::seed(seed); // held until every name is drawn
    sample_with(model, n, |row| {
        let ix = model
            .next_probs(row as i64)? // (V,)
            .f_multinomial(1, true)
            .map_err(|e| Error::BadRow {
                row,
                why: first_line(&e.to_string()),
            })?
            .int64_value(&[0]);
        Ok(ix as usize)
    })
}

/// The lecture's loop around a draw: `n` names, each from `.` on, `draw(row)` giving the next
/// character after context row `row`, until `.` (or [`MAX_SAMPLE_LEN`] characters).
fn sample_with(
    model: &dyn LanguageModel,
    n: usize,
    mut draw: impl FnMut(usize) -> Result<usize>,
) -> Result<Vec<String>> {
    let vocab = model.vocab();
    let v = vocab.len();
    let mut names = Vec::with_capacity(n.min(1 << 16));
    let mut window = Vec::with_capacity(model.context() + 1);
    for _ in 0..n {
        window.clear();
        window.resize(model.context(), 0usize);
        let mut out = String::with_capacity(16);
        for len in 1.. {
            let row = window.iter().fold(0, |acc, &i| acc * v + i);
            let ix = draw(row)?;
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

/// One row of probabilities, in the float type the model gives, and `1 / p` in float32 for
/// [`multinomial_one`]'s bounds.
enum Probs {
    Float(Vec<f32>, Vec<f32>),
    Double(Vec<f64>, Vec<f32>),
}

/// The rows of probabilities [`sample`] has visited, fetched from the model once each and
/// checked as `torch.multinomial` checks them.
#[derive(Default)]
struct Rows(HashMap<usize, Probs, BuildHasherDefault<RowHasher>>);

/// A row number is its own hash, spread by one multiplication: SipHash would cost more than the
/// rest of drawing a character.
#[derive(Default)]
struct RowHasher(u64);

impl Hasher for RowHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl Rows {
    fn get(&mut self, model: &dyn LanguageModel, row: usize) -> Result<&Probs> {
        let p = match self.0.entry(row) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(fetch_row(model, row)?),
        };
        Ok(p)
    }
}

fn fetch_row(model: &dyn LanguageModel, row: usize) -> Result<Probs> {
    let v = model.vocab().len();
    let p = model.next_probs(row as i64)?;
    if p.numel() != v || !matches!(p.kind(), Kind::Float | Kind::Double) {
        return Err(Error::Shape {
            what: "next_probs",
            expected: format!("{v} probabilities, all float32 or all float64"),
            got: format!("{:?} {:?}", p.size(), p.kind()),
            hint: "a LanguageModel gives one probability per character of its vocabulary, \
                   of the same float type for every row",
        });
    }
    let mut probs = vec![0f64; v];
    p.f_to_kind(Kind::Double)?
        .f_contiguous()?
        .f_copy_data(&mut probs, v)?;
    // torch.multinomial's checks: max < inf and min >= 0 (so no NaN), and sum > 0
    let why = if probs.iter().any(|x| !(0.0..f64::INFINITY).contains(x)) {
        "probability tensor contains either `inf`, `nan` or element < 0"
    } else if probs.iter().all(|&x| x == 0.0) {
        "invalid multinomial distribution (sum of probabilities <= 0)"
    } else {
        let inverse = probs.iter().map(|&x| (1.0 / x) as f32).collect();
        return Ok(if p.kind() == Kind::Float {
            Probs::Float(probs.iter().map(|&x| x as f32).collect(), inverse) // exact: from f32
        } else {
            Probs::Double(probs, inverse)
        });
    };
    Err(Error::BadRow {
        row,
        why: why.to_string(),
    })
}

/// The float types torch samples in: float32 and float64.
trait Real: Copy + PartialOrd + std::ops::Div<Output = Self> {
    const NEG_INFINITY: Self;
    /// Rounds a float64 to this type, as `static_cast` does.
    fn from_f64(x: f64) -> Self;
    fn is_nan(self) -> bool;
    /// `(1 + 1e-5) / best` in float32, with margin: the largest key that can still match `best`
    /// (NaN when `best` is: then every character is checked).
    fn threshold(best: Self) -> f32;
}

impl Real for f32 {
    const NEG_INFINITY: f32 = f32::NEG_INFINITY;
    fn from_f64(x: f64) -> f32 {
        x as f32
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn threshold(best: f32) -> f32 {
        f64::threshold(f64::from(best))
    }
}

impl Real for f64 {
    const NEG_INFINITY: f64 = f64::NEG_INFINITY;
    fn from_f64(x: f64) -> f64 {
        x
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn threshold(best: f64) -> f32 {
        ((1.0 + 1e-5) / best * (1.0 + 1e-6)) as f32
    }
}

/// `torch.multinomial(p, 1)` given the generator's words behind its `q` (two per character):
/// `argmax(p / q)` with `q = exponential(uniform(hi, lo))` rounded to `T`, the first largest, a
/// NaN counting as largest (torch's `argmax`). `inverse` is `1 / p` in float32.
///
/// The logarithms of `q` are most of the work, so most are skipped. Without a logarithm,
/// `key = lower bound of q * (1 / p)` is at most `q / p` (to 1e-6, rounding included): a
/// character with a large key cannot have a large ratio. A character with the smallest key wins
/// outright when every other key is above `upper bound of its q / p` (with a margin of 2e-5):
/// nearly always. Otherwise its exact ratio is computed, then that of every character whose key
/// is within 1e-5 of the best exact ratio so far, `key <= (1 + 1e-5) / best`.
fn multinomial_one<T: Real>(p: &[T], inverse: &[f32], words: &[u32]) -> usize {
    let n = p.len();
    if n > MAX_FAST_VOCAB {
        return argmax_exact(p, words);
    }
    let (inverse, words) = (&inverse[..n], &words[..2 * n]);
    let mut keys = [0f32; MAX_FAST_VOCAB];
    let keys = &mut keys[..n];
    for (j, k) in keys.iter_mut().enumerate() {
        *k = exponential_lower_bound(words[2 * j]) * inverse[j]; // NaN: p = 0 and q = 0
    }
    // the smallest key and the runner-up (NaN keys aside, but noted)
    let (mut first, mut smallest, mut second, mut nan) = (0, f32::INFINITY, f32::INFINITY, false);
    for (j, &k) in keys.iter().enumerate() {
        nan |= k.is_nan();
        if k < smallest {
            (second, first, smallest) = (smallest, j, k);
        } else if k < second {
            second = k;
        }
    }
    let (hi, lo) = (words[2 * first], words[2 * first + 1]);
    let quick = (exponential_upper_bound(hi, lo) * f64::from(inverse[first]) * (1.0 + 2e-5)) as f32;
    if !nan && second > quick {
        return first;
    }
    let exact = |j: usize| p[j] / T::from_f64(exponential(uniform(words[2 * j], words[2 * j + 1])));
    let (mut best_j, mut best) = (first, exact(first));
    let mut limit = T::threshold(best);
    for (j, &k) in keys.iter().enumerate() {
        if j == first || k > limit {
            continue; // exact ratio <= (1 + 1e-6) / k < best: j neither wins nor ties
        }
        let r = exact(j);
        let better = if best.is_nan() {
            r.is_nan() && j < best_j
        } else {
            r.is_nan() || r > best || (r == best && j < best_j)
        };
        if better {
            (best_j, best) = (j, r);
            limit = T::threshold(best);
        }
    }
    best_j
}

/// The largest vocabulary [`multinomial_one`] bounds on the stack; past it every ratio is exact.
const MAX_FAST_VOCAB: usize = 64;

/// [`multinomial_one`] with every ratio computed exactly.
fn argmax_exact<T: Real>(p: &[T], words: &[u32]) -> usize {
    let mut best = 0;
    let mut top = T::NEG_INFINITY;
    for (j, (&pj, w)) in p.iter().zip(words.chunks_exact(2)).enumerate() {
        let r = pj / T::from_f64(exponential(uniform(w[0], w[1])));
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
