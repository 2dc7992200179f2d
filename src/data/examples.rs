//! Training examples, in the two shapes the models take:
//! - [`Dataset`]: the lecture's `(xs, ys)`, one example per n-gram; `xs` numbers the context as a
//!   row of a `[V^context, V]` table (for the bigram, simply the previous character).
//!   `05_one_hot_and_softmax` builds it, `06_gradient_descent` trains on it.
//! - [`Sequences`]: makemore.py's padded words, `x = . e m m a . . .` and
//!   `y = e m m a . -1 -1 -1`, one row per word; every model reads them (`07_...`).

use tch::{Device, Kind, Tensor};

use super::vocab::Vocab;
use crate::error::{Error, Result};

/// The most cells a `[V^context, V]` table may have: beyond this it stops fitting comfortably
/// in memory.
const MAX_ELEMENTS: usize = 1 << 28;

/// Number of context rows, `V^context`, checked against memory.
///
/// # Errors
/// [`Error::Param`] for context 0, or a context so long that `V^(context+1)` cells would not fit.
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
            "the table of V^(context+1) cells would not fit in memory",
            "use a shorter context or a smaller vocabulary",
        ));
    }
    Ok(rows)
}

/// The training examples of an n-gram model: the context of each example as a row index in
/// `xs`, the character that follows in `ys`. For the names and context 1, the lecture's 228,146
/// bigrams. Fields are private: a dataset is valid once built.
pub struct Dataset {
    xs: Tensor,
    ys: Tensor,
    context: usize,
    vocab_len: usize,
}

impl Dataset {
    /// Builds `(xs, ys)` from `words`, framing each with `context` `.` tokens in front and one
    /// behind, as the lecture's `chs = ['.'] + list(w) + ['.']`.
    ///
    /// # Errors
    /// [`Error::UnknownChar`] for a character outside `vocab`; [`Error::Param`] for a bad context.
    pub fn new(words: &[String], vocab: &Vocab, context: usize) -> Result<Dataset> {
        let mut xs = Vec::with_capacity(words.len() * 8);
        let mut ys = Vec::with_capacity(words.len() * 8);
        for_each_example(words, vocab, context, |row, next| {
            xs.push(row as i64);
            ys.push(next as i64);
        })?;
        Ok(Dataset {
            xs: Tensor::from_slice(&xs),
            ys: Tensor::from_slice(&ys),
            context,
            vocab_len: vocab.len(),
        })
    }

    /// The context row of each example, `(n,)` Int64.
    pub fn xs(&self) -> &Tensor {
        &self.xs
    }

    /// The character after each example's context, `(n,)` Int64.
    pub fn ys(&self) -> &Tensor {
        &self.ys
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.xs.size()[0] as usize
    }

    /// True when there are no examples (never, for a non-empty word list).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Characters of context (1 = bigram).
    pub fn context(&self) -> usize {
        self.context
    }

    /// Vocabulary size `V`.
    pub fn vocab_len(&self) -> usize {
        self.vocab_len
    }

    /// Number of context rows, `V^context`.
    pub fn rows(&self) -> i64 {
        (self.vocab_len as i64).pow(self.context as u32)
    }

    /// The count matrix `(V^context, V)` of the examples: how often each next character follows
    /// each context. Int32, as the lecture's `N`.
    ///
    /// # Errors
    /// [`Error::Param`] past `i32::MAX` of one n-gram.
    pub fn counts(&self) -> Result<Tensor> {
        let (rows, v) = (self.rows(), self.vocab_len as i64);
        let cells = self.xs.f_mul_scalar(v)?.f_add(&self.ys)?; // row * V + next: (n,)
        let counts = cells.f_bincount(None::<Tensor>, rows * v)?; // (V^context * V,) Int64
        int32_counts(&counts)?.f_view([rows, v]).map_err(Into::into)
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

/// Counts in Int64 as the lecture's Int32, with an error rather than a wrap-around past
/// `i32::MAX` (over two billion of one n-gram).
fn int32_counts(counts: &Tensor) -> Result<Tensor> {
    let max = counts.f_max()?.f_int64_value(&[])?;
    if max > i64::from(i32::MAX) {
        return Err(Error::param(
            "words",
            format!("{max} of one n-gram, more than {}", i32::MAX),
            "the lecture's Int32 counts cannot hold them",
            "count a sample of the words",
        ));
    }
    Ok(counts.f_to_kind(Kind::Int)?)
}

/// Calls `f(row, next)` for every n-gram of `words`, in order: the context as a row index
/// (base `V`) and the index of the character that follows.
///
/// # Errors
/// As [`Dataset::new`].
fn for_each_example(
    words: &[String],
    vocab: &Vocab,
    context: usize,
    mut f: impl FnMut(usize, usize),
) -> Result<()> {
    context_rows(vocab, context)?;
    let v = vocab.len();
    let mut ids = Vec::with_capacity(64);
    for w in words {
        ids.clear();
        ids.resize(context, 0); // `context` boundary tokens in front
        for ch in w.chars() {
            ids.push(vocab.stoi(ch)? as usize);
        }
        ids.push(0); // and one behind
        for win in ids.windows(context + 1) {
            let row = win[..context].iter().fold(0, |acc, &i| acc * v + i);
            f(row, win[context]);
        }
    }
    Ok(())
}

/// Words as makemore.py feeds them to its models: one row per word, `x` starting with `.` and
/// `y` shifted by one, padded to a common length. Position `t` of a row is one example: the
/// model reads `x[..=t]` and must predict `y[t]`; `y = -1` marks padding, left out of the loss.
///
/// ```text
/// x:  .  e  m  m  a  .  .  .
/// y:  e  m  m  a  . -1 -1 -1
/// ```
pub struct Sequences {
    x: Tensor,
    y: Tensor,
    /// Targets of each word: its characters and the `.` after them.
    targets: Vec<usize>,
}

// Never empty: `Sequences::new` refuses an empty list.
#[allow(clippy::len_without_is_empty)]
impl Sequences {
    /// Encodes `words`, padded to `len` positions, which must be at least the longest word
    /// plus one (makemore.py's block size: the longest word of all the data plus one).
    ///
    /// # Errors
    /// [`Error::UnknownChar`] for a character outside `vocab`; [`Error::Param`] for a word longer
    /// than `len - 1`; [`Error::NoWords`] for no words.
    pub fn new(words: &[String], vocab: &Vocab, len: usize) -> Result<Sequences> {
        if words.is_empty() {
            return Err(Error::NoWords { what: "the word list".to_string() });
        }
        let mut x = vec![0i64; words.len() * len];
        let mut y = vec![-1i64; words.len() * len];
        let mut targets = Vec::with_capacity(words.len());
        for (w, (xr, yr)) in words.iter().zip(x.chunks_exact_mut(len).zip(y.chunks_exact_mut(len)))
        {
            let mut t = 0;
            for ch in w.chars() {
                if t + 1 >= len {
                    return Err(Error::param(
                        "word length",
                        format!("{} ({w:?})", w.chars().count()),
                        "it is longer than the model's context allows",
                        "train the model on data that holds words this long",
                    ));
                }
                let id = vocab.stoi(ch)?;
                yr[t] = id;
                xr[t + 1] = id;
                t += 1;
            }
            yr[t] = 0; // the `.` that ends the word
            targets.push(t + 1);
        }
        let shape = [words.len() as i64, len as i64];
        Ok(Sequences {
            x: Tensor::from_slice(&x).f_view(shape)?,
            y: Tensor::from_slice(&y).f_view(shape)?,
            targets,
        })
    }

    /// The inputs, `(N, T)` Int64: `.` then the word, then `.` padding.
    pub fn x(&self) -> &Tensor {
        &self.x
    }

    /// The targets, `(N, T)` Int64: the word, `.`, then -1.
    pub fn y(&self) -> &Tensor {
        &self.y
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.x.size()[0] as usize
    }

    /// Positions per word, `T`.
    pub fn width(&self) -> usize {
        self.x.size()[1] as usize
    }

    /// The words `index` as `(x, y)`, `(B, T)` on `device`, cut after the longest of them: every
    /// model here is causal (position `t` reads `x[..=t]` only), so the padding after the last
    /// target changes no loss, and makemore.py's 16 positions become the batch's longest word
    /// plus one (about 11 for 32 names): a third less work.
    ///
    /// # Errors
    /// [`Error::Param`] for an index out of range.
    pub fn batch(&self, index: &[i64], device: Device) -> Result<(Tensor, Tensor)> {
        let mut width = 1;
        for &i in index {
            let targets = usize::try_from(i).ok().and_then(|i| self.targets.get(i));
            width = width.max(*targets.ok_or_else(|| {
                Error::param("word index", i, "it is past the last word", "pick words 0 to len - 1")
            })?);
        }
        let index = Tensor::from_slice(index);
        let cut = |t: &Tensor| -> Result<Tensor> {
            Ok(t.f_index_select(0, &index)?.f_narrow(1, 0, width as i64)?.f_to(device)?)
        };
        Ok((cut(&self.x)?, cut(&self.y)?))
    }
}

impl std::fmt::Debug for Sequences {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sequences {{ words: {}, width: {} }}", self.len(), self.width())
    }
}

/// Part 2's dataset, the lecture's `build_dataset`: for every character of every word, and the
/// `.` after it, the `block_size` characters before it (`.` before the word starts), `(n,
/// block_size)` Int64, and the character itself, `(n,)`. `notebooks/part2_mlp/01_mlp` writes it
/// by hand; the exercises and later parts use this one.
///
/// # Errors
/// [`Error::UnknownChar`] for a character outside the vocabulary; [`Error::Param`] for a
/// block size of 0.
pub fn contexts(words: &[String], vocab: &Vocab, block_size: usize) -> Result<(Tensor, Tensor)> {
    if block_size == 0 {
        let hint = "use 3, the lecture's, or more";
        return Err(Error::param("block size", 0, "a context holds at least one character", hint));
    }
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for w in words {
        let mut context = vec![0i64; block_size];
        for ix in vocab.encode(w, 0)? {
            xs.extend_from_slice(&context);
            ys.push(ix);
            context.rotate_left(1); // crop and append
            context[block_size - 1] = ix;
        }
    }
    let n = ys.len() as i64;
    Ok((Tensor::f_from_slice(&xs)?.f_view([n, block_size as i64])?, Tensor::f_from_slice(&ys)?))
}

/// makemore.py's block size for `words`: the longest word plus one (the `.` in front).
pub fn block_size(words: &[String]) -> usize {
    words.iter().map(|w| w.chars().count()).max().unwrap_or(0) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emma() -> (Vec<String>, Vocab) {
        let w = vec!["emma".to_string()];
        let v = Vocab::from_words(&w).unwrap(); // . a e m
        (w, v)
    }

    fn ints(t: &Tensor) -> Vec<i64> {
        Vec::try_from(t.reshape(-1)).unwrap()
    }

    #[test]
    fn emma_gives_five_bigrams() {
        let (w, v) = emma();
        let d = Dataset::new(&w, &v, 1).unwrap();
        // .e em mm ma a.
        assert_eq!(ints(d.xs()), vec![0, 2, 3, 3, 1]);
        assert_eq!(ints(d.ys()), vec![2, 3, 3, 1, 0]);
        let n = d.counts().unwrap();
        assert_eq!((n.size(), n.kind()), (vec![4, 4], Kind::Int));
        assert_eq!(n.int64_value(&[3, 3]), 1);
        assert_eq!(n.sum(Kind::Int64).int64_value(&[]), 5);
    }

    #[test]
    fn trigram_contexts_are_base_v_numbers() {
        let (w, v) = emma();
        let d = Dataset::new(&w, &v, 2).unwrap();
        // ..e .em emm mma ma.
        assert_eq!(ints(d.xs()), vec![0, 2, 2 * 4 + 3, 3 * 4 + 3, 3 * 4 + 1]);
        assert_eq!(ints(d.ys()), vec![2, 3, 3, 1, 0]);
        assert_eq!(d.rows(), 16);
        assert!(context_rows(&v, 0).is_err());
        assert!(context_rows(&v, 40).is_err());
    }

    #[test]
    fn a_count_past_i32_max_is_an_error_not_a_wrap() {
        let at_max = Tensor::from_slice(&[1, i64::from(i32::MAX)]);
        assert_eq!(ints(&int32_counts(&at_max).unwrap()), [1, i32::MAX as i64]);
        let past = Tensor::from_slice(&[1, i64::from(i32::MAX) + 1]);
        let err = int32_counts(&past).unwrap_err().to_string();
        assert!(err.contains("2147483648") && err.contains("Int32"), "{err}");
    }

    #[test]
    fn sequences_pad_as_makemore_does() {
        let w = vec!["emma".to_string(), "ava".to_string()];
        let v = Vocab::from_words(&w).unwrap(); // . a e m v
        let s = Sequences::new(&w, &v, block_size(&w)).unwrap();
        assert_eq!((s.len(), s.width()), (2, 5));
        assert_eq!(ints(s.x()), vec![0, 2, 3, 3, 1, 0, 1, 4, 1, 0]);
        assert_eq!(ints(s.y()), vec![2, 3, 3, 1, 0, 1, 4, 1, 0, -1]);
        // a batch is as wide as its longest word plus one
        let (x, y) = s.batch(&[1], Device::Cpu).unwrap();
        assert_eq!((ints(&x), ints(&y)), (vec![0, 1, 4, 1], vec![1, 4, 1, 0]));
        let (x, _) = s.batch(&[1, 0], Device::Cpu).unwrap();
        assert_eq!(x.size(), [2, 5]);
        assert!(s.batch(&[2], Device::Cpu).is_err());
        assert!(Sequences::new(&w, &v, 4).is_err(), "emma needs 5 positions");
        assert!(Sequences::new(&["x".to_string()], &v, 5).is_err());
    }
}
