//! Counting n-grams and the count model: the bigram counts `N` of `01_counting_bigrams`, the
//! probabilities `P` of `03_sampling_and_broadcasting`, and, with `context = 2`, the trigram
//! model of exercise `e01_trigram`.
//!
//! A context of `n` characters is numbered as a base-`V` number, so the counts of any n-gram
//! model fit one `[V^n, V]` matrix: row = context, column = next character.

use std::collections::HashMap;

use tch::{Kind, Tensor};

use crate::error::{non_negative, Error, Result};
use crate::model::LanguageModel;
use crate::vocab::Vocab;

/// The most rows a model may have (`V^context`): beyond this the count matrix stops fitting
/// comfortably in memory.
const MAX_ELEMENTS: usize = 1 << 28;

/// Number of context rows, `V^context`, checked against memory.
///
/// # Errors
/// [`Error::Param`] for context 0, or a context so long that `V^(context+1)` counts would not fit.
pub fn context_rows(vocab: &Vocab, context: usize) -> Result<usize> {
    if context == 0 {
        return Err(Error::param(
            "context",
            0,
            "a model needs at least one character of context",
            "use context 1 for the bigram model, 2 for the trigram",
        ));
    }
    let v = vocab.len();
    let mut rows: usize = 1;
    // At most 64 factors: past that `rows` is saturated anyway, and a huge context can't hang.
    for _ in 0..context.min(usize::BITS as usize) {
        rows = rows.saturating_mul(v);
    }
    if rows.saturating_mul(v) > MAX_ELEMENTS {
        return Err(Error::param(
            "context",
            context,
            "the count matrix V^(context+1) would not fit in memory",
            "use a shorter context or a smaller vocabulary",
        ));
    }
    Ok(rows)
}

/// The training examples of an n-gram model: `xs` holds the context of each example as a row
/// index (for the bigram, simply the previous character), `ys` the character that follows.
/// For the names and context 1 that is the lecture's 228,146 bigrams.
pub struct Dataset {
    /// Context row of each example, `[n]` Int64.
    pub xs: Tensor,
    /// Next character of each example, `[n]` Int64.
    pub ys: Tensor,
    /// Characters of context (1 = bigram).
    pub context: usize,
    /// Vocabulary size `V`.
    pub vocab_len: usize,
}

impl Dataset {
    /// Builds `(xs, ys)` from `words`, framing each with `context` `.` tokens in front and one
    /// behind, as the lecture's `chs = ['.'] + list(w) + ['.']`.
    ///
    /// # Errors
    /// [`Error::UnknownChar`] for a character outside `vocab`; [`Error::Param`] for a bad context.
    pub fn new(words: &[String], vocab: &Vocab, context: usize) -> Result<Dataset> {
        let (xs, ys) = examples(words, vocab, context)?;
        Ok(Dataset {
            xs: Tensor::from_slice(&xs),
            ys: Tensor::from_slice(&ys),
            context,
            vocab_len: vocab.len(),
        })
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.xs.size()[0] as usize
    }

    /// True when there are no examples (never, for a non-empty word list).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of context rows, `V^context`.
    pub fn rows(&self) -> i64 {
        (self.vocab_len as i64).pow(self.context as u32)
    }

    /// The count matrix `[V^context, V]` of the examples: how often each next character
    /// follows each context. Int32, counted in plain Rust.
    ///
    /// # Errors
    /// [`Error::Shape`] if `xs` or `ys` hold an index outside the vocabulary.
    pub fn counts(&self) -> Result<Tensor> {
        let (rows, v) = (self.rows(), self.vocab_len as i64);
        let mut counts = Int32Counts::new((rows * v) as usize);
        self.for_each_pair(|x, y| counts.add(x * v as usize + y))?;
        Ok(Tensor::from_slice(&counts.finish()?).f_view([rows, v])?)
    }

    /// Calls `f(xs[i], ys[i])` for every example, copying the tensors out in blocks.
    ///
    /// # Errors
    /// [`Error::Shape`] if `xs` and `ys` differ in length, or an example holds an index outside
    /// `0..V^context` (xs) or `0..V` (ys); `f` has then seen only the examples before it.
    pub(crate) fn for_each_pair(&self, mut f: impl FnMut(usize, usize)) -> Result<()> {
        let (rows, v) = (self.rows(), self.vocab_len as i64);
        let n = self.xs.numel();
        if self.ys.numel() != n {
            return Err(Error::Shape {
                what: "dataset",
                expected: format!("as many ys as xs ({n})"),
                got: format!("{}", self.ys.numel()),
                hint: "build the dataset with Dataset::new",
            });
        }
        let (xs, ys) = (self.xs.f_reshape(-1)?, self.ys.f_reshape(-1)?);
        const BLOCK: usize = 1 << 14;
        let (mut bx, mut by) = (vec![0i64; BLOCK], vec![0i64; BLOCK]);
        for start in (0..n).step_by(BLOCK) {
            let len = BLOCK.min(n - start);
            let (s, l) = (start as i64, len as i64);
            xs.f_narrow(0, s, l)?.f_copy_data(&mut bx, len)?;
            ys.f_narrow(0, s, l)?.f_copy_data(&mut by, len)?;
            for (&x, &y) in bx[..len].iter().zip(&by[..len]) {
                if !((0..rows).contains(&x) && (0..v).contains(&y)) {
                    return Err(Error::Shape {
                        what: "dataset",
                        expected: format!("xs in 0..{rows} and ys in 0..{v}"),
                        got: format!("an example ({x}, {y})"),
                        hint: "build the dataset with Dataset::new",
                    });
                }
                f(x as usize, y as usize);
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head = |t: &Tensor| -> Vec<i64> {
            Vec::try_from(t.narrow(0, 0, t.size()[0].min(8))).unwrap_or_default()
        };
        write!(
            f,
            "Dataset {{ examples: {}, context: {}, xs: {:?}.., ys: {:?}.. }}",
            self.len(),
            self.context,
            head(&self.xs),
            head(&self.ys)
        )
    }
}

/// The `(context row, next character)` pairs of all words, as plain vectors.
///
/// # Errors
/// As [`Dataset::new`].
pub fn examples(words: &[String], vocab: &Vocab, context: usize) -> Result<(Vec<i64>, Vec<i64>)> {
    let mut xs = Vec::with_capacity(words.len() * 8);
    let mut ys = Vec::with_capacity(words.len() * 8);
    for_each_example(words, vocab, context, |row, next| {
        xs.push(row as i64);
        ys.push(next as i64);
    })?;
    Ok((xs, ys))
}

/// Calls `f(row, next)` for every example of `words`, in order: the context as a row index
/// (base `V`) and the index of the character that follows. What [`examples`], [`count_ngrams`]
/// and [`crate::nll`] walk through, without a vector per word: [`Vocab::encode`] in one buffer,
/// with a table for ASCII characters.
///
/// # Errors
/// As [`Dataset::new`].
pub(crate) fn for_each_example(
    words: &[String],
    vocab: &Vocab,
    context: usize,
    mut f: impl FnMut(usize, usize),
) -> Result<()> {
    let rows = context_rows(vocab, context)?;
    let v = vocab.len();
    let mut ascii = [usize::MAX; 128];
    for (i, &ch) in vocab.chars().iter().enumerate() {
        if ch.is_ascii() {
            ascii[ch as usize] = i;
        }
    }
    let mut ids = Vec::with_capacity(64);
    for w in words {
        ids.clear();
        ids.resize(context, 0); // `context` boundary tokens in front
        for ch in w.chars() {
            let id = match ascii.get(ch as usize) {
                Some(&id) if id != usize::MAX => id,
                _ => vocab.stoi(ch)?,
            };
            ids.push(id);
        }
        ids.push(0); // and one behind
        for win in ids.windows(context + 1) {
            let row = win[..context].iter().fold(0, |acc, &i| acc * v + i);
            debug_assert!(row < rows);
            f(row, win[context]);
        }
    }
    Ok(())
}

/// The n-gram counts as an `Int32` tensor of shape `[V; context + 1]`: `[27, 27]` for bigrams,
/// where `N[i, j]` counts how often character `j` follows character `i`.
///
/// Counted in plain Rust in one pass, then turned into one tensor.
///
/// # Errors
/// As [`Dataset::new`].
pub fn count_ngrams(words: &[String], vocab: &Vocab, context: usize) -> Result<Tensor> {
    let rows = context_rows(vocab, context)?;
    let v = vocab.len();
    let mut counts = Int32Counts::new(rows * v);
    for_each_example(words, vocab, context, |row, next| {
        counts.add(row * v + next)
    })?;
    let shape = vec![v as i64; context + 1];
    Ok(Tensor::from_slice(&counts.finish()?).f_view(shape.as_slice())?)
}

/// Counts for an Int32 tensor, the lecture's dtype: counted in u64, and an error rather than a
/// wrap-around when one passes `i32::MAX` (over two billion of one n-gram).
struct Int32Counts(Vec<u64>);

impl Int32Counts {
    fn new(len: usize) -> Self {
        Int32Counts(vec![0; len])
    }

    #[inline]
    fn add(&mut self, i: usize) {
        self.0[i] += 1;
    }

    fn finish(self) -> Result<Vec<i32>> {
        self.0
            .into_iter()
            .map(|c| {
                i32::try_from(c).map_err(|_| {
                    Error::param(
                        "words",
                        format!("{c} of one n-gram, more than {}", i32::MAX),
                        "the lecture's Int32 counts cannot hold them",
                        "count a sample of the words",
                    )
                })
            })
            .collect()
    }
}

/// The bigram counts `N`, `[V, V]` Int32: [`count_ngrams`] with one character of context.
///
/// # Errors
/// As [`Dataset::new`].
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
            seen.entry((pair[0].clone(), pair[1].clone()))
                .or_insert((0, order))
                .0 += 1;
        }
    }
    let mut items: Vec<_> = seen.into_iter().collect();
    items.sort_by_key(|(_, (count, order))| (std::cmp::Reverse(*count), *order));
    items
        .into_iter()
        .map(|(k, (count, _))| (k, count))
        .collect()
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
    let p = counts
        .f_view([-1, v])?
        .f_to_kind(Kind::Float)?
        .f_add_scalar(smoothing)?; // (rows, V)
    let sums = p.f_sum_dim_intlist(1, true, Kind::Float)?; // (rows, 1)
    Ok(p.f_div(&sums)?) // (rows, V) / (rows, 1) broadcasts over columns
}

/// The counting model: next-character probabilities are normalized (smoothed) counts.
#[derive(Debug)]
pub struct CountModel {
    vocab: Vocab,
    context: usize,
    smoothing: f64,
    /// Counts `[V^context, V]`, Int32.
    pub counts: Tensor,
    /// Probabilities `[V^context, V]`, Float; every row sums to 1.
    pub probs: Tensor,
}

impl CountModel {
    /// Counts the n-grams of `words` and normalizes them with add-`smoothing`.
    ///
    /// # Errors
    /// As [`count_ngrams`] and [`probs_from_counts`].
    pub fn fit(words: &[String], vocab: &Vocab, context: usize, smoothing: f64) -> Result<Self> {
        let counts = count_ngrams(words, vocab, context)?;
        Self::from_counts(counts, vocab, smoothing)
    }

    /// A model from counts already made, `[V; context + 1]` or `[V^context, V]`.
    ///
    /// # Errors
    /// [`Error::Shape`] if the counts do not match the vocabulary.
    pub fn from_counts(counts: Tensor, vocab: &Vocab, smoothing: f64) -> Result<Self> {
        let v = vocab.len() as i64;
        let numel: i64 = counts.size().iter().product();
        let mut context = 0;
        let mut rows = 1;
        while rows * v < numel {
            rows *= v;
            context += 1;
        }
        if context == 0 || rows * v != numel {
            return Err(Error::Shape {
                what: "counts",
                expected: format!("[{v}^n, {v}] for a vocabulary of {v}"),
                got: format!("{:?}", counts.size()),
                hint: "count with the same vocabulary you pass here",
            });
        }
        let counts = counts.f_view([rows, v])?;
        let probs = probs_from_counts(&counts, smoothing)?;
        Ok(CountModel {
            vocab: vocab.clone(),
            context,
            smoothing,
            counts,
            probs,
        })
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
    fn context(&self) -> usize {
        self.context
    }
    fn next_probs(&self, row: i64) -> Result<Tensor> {
        Ok(self.probs.f_get(row)?)
    }
    fn probs(&self, xs: &Tensor, ys: &Tensor) -> Result<Tensor> {
        Ok(self
            .probs
            .f_index(&[Some(xs.shallow_clone()), Some(ys.shallow_clone())])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_past_i32_max_is_an_error_not_a_wrap() {
        let mut counts = Int32Counts::new(2);
        counts.0[1] = i32::MAX as u64 - 1;
        counts.add(1); // reaches i32::MAX: fine
        counts.add(0);
        assert_eq!(
            Int32Counts(counts.0.clone()).finish().unwrap(),
            [1, i32::MAX]
        );
        counts.add(1); // one more than Int32 holds
        let err = counts.finish().unwrap_err().to_string();
        assert!(err.contains("2147483648") && err.contains("Int32"), "{err}");
    }

    fn emma() -> (Vec<String>, Vocab) {
        let w = vec!["emma".to_string()];
        let v = Vocab::from_words(&w).unwrap(); // . a e m
        (w, v)
    }

    #[test]
    fn emma_gives_five_bigrams() {
        let (w, v) = emma();
        let (xs, ys) = examples(&w, &v, 1).unwrap();
        // .e em mm ma a.
        assert_eq!(xs, vec![0, 2, 3, 3, 1]);
        assert_eq!(ys, vec![2, 3, 3, 1, 0]);
        let n = count_bigrams(&w, &v).unwrap();
        assert_eq!(n.size(), vec![4, 4]);
        assert_eq!(n.kind(), Kind::Int);
        assert_eq!(n.int64_value(&[3, 3]), 1);
        assert_eq!(n.int64_value(&[0, 2]), 1);
        assert_eq!(n.sum(Kind::Int64).int64_value(&[]), 5);
    }

    #[test]
    fn trigram_contexts_are_base_v_numbers() {
        let (w, v) = emma();
        let (xs, ys) = examples(&w, &v, 2).unwrap();
        // ..e .em emm mma ma.
        assert_eq!(xs, vec![0, 2, 2 * 4 + 3, 3 * 4 + 3, 3 * 4 + 1]);
        assert_eq!(ys, vec![2, 3, 3, 1, 0]);
        let n = count_ngrams(&w, &v, 2).unwrap();
        assert_eq!(n.size(), vec![4, 4, 4]);
        let d = Dataset::new(&w, &v, 2).unwrap();
        assert!(d.counts().unwrap().equal(&n.view([16, 4])));
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
        let (w, v) = emma();
        let m = CountModel::fit(&w, &v, 1, 1.0).unwrap();
        let sums = m.probs.sum_dim_intlist(1, false, Kind::Float);
        assert!(sums.allclose(
            &Tensor::ones([4], (Kind::Float, tch::Device::Cpu)),
            1e-6,
            1e-6,
            false
        ));
        // (N + 1) / rowsum: row '.' has counts [0, 0, 1, 0] -> [1, 1, 2, 1] / 5
        assert!((m.probs.double_value(&[0, 2]) - 0.4).abs() < 1e-6);
        assert!(probs_from_counts(&m.counts, -1.0).is_err());
        assert!(probs_from_counts(&m.counts, f64::NAN).is_err());
        assert!(context_rows(&v, 0).is_err());
        assert!(context_rows(&v, 40).is_err());
    }
}
