//! Words: reading the words file (one word per line) and splitting it into train/dev/test.
//! Used by every notebook, from `01_counting_bigrams` on, by exercise `e02_split`, and by the
//! makemore.py models, which hold out a test set.

use std::path::Path;

use tch::{Device, Kind, Tensor};

use crate::error::{Error, Result};

/// Reads a words file: one word per line, UTF-8, as makemore.py reads it (`splitlines`, each
/// word stripped of surrounding whitespace, blank lines skipped). A leading byte order mark is
/// not a character (makemore.py would make it one of the first word's).
///
/// # Errors
/// A missing, unreadable or non-UTF-8 file, or a file with no words; each error names the file
/// (and the line).
pub fn read_words(path: impl AsRef<Path>) -> Result<Vec<String>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| {
        let missing =
            "check the path; for the lecture's names run `make data`, which fetches data/names.txt";
        crate::io::read_error(path, source, "a text file, one word per line", missing)
    })?;
    // Find the first line that is not UTF-8, so the error can point at it.
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
            return Err(Error::Utf8 { path: path.to_path_buf(), line });
        }
    };
    parse_words(text.strip_prefix('\u{feff}').unwrap_or(text)).map_err(|e| match e {
        Error::NoWords { .. } => Error::NoWords { what: path.display().to_string() },
        e => e,
    })
}

/// Splits text into words, one per line, the way [`read_words`] does: lines end at `\n`,
/// `\r\n`, `\r` and the other line breaks of Python's `str.splitlines` (`\v`, `\f`, `\x1c`,
/// `\x1d`, `\x1e`, `\x85`, `\u2028`, `\u2029`); each word is trimmed; blank lines are
/// skipped. A word may hold any character, `.` included.
///
/// # Errors
/// [`Error::NoWords`] when no line holds a word.
pub fn parse_words(text: &str) -> Result<Vec<String>> {
    let breaks =
        ['\n', '\r', '\x0b', '\x0c', '\x1c', '\x1d', '\x1e', '\u{85}', '\u{2028}', '\u{2029}'];
    let words: Vec<String> =
        text.split(breaks).map(str::trim).filter(|w| !w.is_empty()).map(String::from).collect();
    if words.is_empty() {
        return Err(Error::NoWords { what: "the text".to_string() });
    }
    Ok(words)
}

/// The words cut into parts after a shuffle by `torch.randperm` under `manual_seed(seed)`: the
/// same seed gives the same split, and every word lands in exactly one part.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub train: Vec<String>,
    /// Empty in [`Split::train_test`].
    pub dev: Vec<String>,
    pub test: Vec<String>,
}

impl Split {
    /// Train 80%, dev 10%, test 10%: the split of the lecture's exercise E02.
    ///
    /// # Errors
    /// [`Error::Torch`] if libtorch cannot make the permutation (it always can).
    pub fn new(words: &[String], seed: i64) -> Result<Split> {
        let shuffled = shuffle(words, seed)?;
        let (n1, n2) = (words.len() * 8 / 10, words.len() * 9 / 10);
        Ok(Split {
            train: shuffled[..n1].to_vec(),
            dev: shuffled[n1..n2].to_vec(),
            test: shuffled[n2..].to_vec(),
        })
    }

    /// The split of the lectures from part 2 on: `random.seed(seed)`, `random.shuffle(words)`
    /// in Python (its own generator, reproduced here), then the first 80% to train, the next 10%
    /// to dev, the last 10% to test (`int(0.8 * n)`, `int(0.9 * n)`). With seed 42, the lecture's.
    pub fn python(words: &[String], seed: u64) -> Split {
        let mut shuffled = words.to_vec();
        crate::rng::PythonRandom::new(seed).shuffle(&mut shuffled);
        let n = words.len() as f64;
        let (n1, n2) = ((0.8 * n) as usize, (0.9 * n) as usize);
        let test = shuffled.split_off(n2);
        let dev = shuffled.split_off(n1);
        Split { train: shuffled, dev, test }
    }

    /// makemore.py's split: a test set of 10% of the words, at most 1,000 (and at least one,
    /// when there are two words or more), the rest to train, no dev set. With the same seed
    /// and words as makemore.py, the same words land in each part.
    ///
    /// # Errors
    /// As [`Split::new`].
    pub fn train_test(words: &[String], seed: i64) -> Result<Split> {
        let perm = crate::rng::with_torch_seed(seed, || permutation(words.len()))?;
        Ok(Split::train_test_of(words, &perm))
    }

    /// [`Split::train_test`] of a permutation drawn already.
    pub(crate) fn train_test_of(words: &[String], perm: &[i64]) -> Split {
        let mut train: Vec<String> = perm.iter().map(|&i| words[i as usize].clone()).collect();
        let test_size = (words.len() / 10).clamp(words.len().min(1), 1000);
        let test = train.split_off(words.len() - test_size.min(words.len().saturating_sub(1)));
        Split { train, dev: Vec::new(), test }
    }
}

/// `words` in the order of `torch.randperm(len)` after `torch.manual_seed(seed)`.
fn shuffle(words: &[String], seed: i64) -> Result<Vec<String>> {
    let perm = crate::rng::with_torch_seed(seed, || permutation(words.len()))?;
    Ok(perm.iter().map(|&i| words[i as usize].clone()).collect())
}

/// `torch.randperm(n)` from torch's generator as it stands.
pub(crate) fn permutation(n: usize) -> Result<Vec<i64>> {
    let perm = Tensor::f_randperm(n as i64, (Kind::Int64, Device::Cpu))?;
    Ok(Vec::<i64>::try_from(&perm)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_crlf_and_trailing_newline() {
        let w = parse_words("emma\r\n\r\nolivia\n  \nava\n").unwrap();
        assert_eq!(w, vec!["emma", "olivia", "ava"]);
        assert_eq!(parse_words("emma").unwrap(), vec!["emma"]);
    }

    #[test]
    fn lines_split_as_python_splitlines_and_words_are_stripped() {
        // Python: [w.strip() for w in t.splitlines() if w.strip()], run on the same text
        let t = "emma\r\n\r\nolivia\rava \x0bmia\x0cst. louis\x1cx\x1dy\x1ez\u{85}w\u{2028}v\u{2029}  u  \n\n";
        let python = ["emma", "olivia", "ava", "mia", "st. louis", "x", "y", "z", "w", "v", "u"];
        assert_eq!(parse_words(t).unwrap(), python);
        assert!(matches!(parse_words(""), Err(Error::NoWords { .. })));
        assert!(matches!(parse_words("\n \n"), Err(Error::NoWords { .. })));
    }

    #[test]
    fn read_words_reports_the_file() {
        let e = read_words("/nonexistent/names.txt").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/nonexistent/names.txt") && msg.contains("make data"), "{msg}");
    }

    #[test]
    fn split_is_deterministic_and_complete() {
        let words: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let a = Split::new(&words, 42).unwrap();
        assert_eq!(a, Split::new(&words, 42).unwrap());
        assert_eq!((a.train.len(), a.dev.len(), a.test.len()), (80, 10, 10));
        let mut all: Vec<String> = [a.train, a.dev, a.test].concat();
        all.sort();
        let mut sorted = words.clone();
        sorted.sort();
        assert_eq!(all, sorted);
    }

    #[test]
    fn makemore_holds_out_a_tenth_at_most_1000() {
        let words: Vec<String> = (0..32033).map(|i| format!("w{i}")).collect();
        let s = Split::train_test(&words, 3407).unwrap();
        assert_eq!((s.train.len(), s.dev.len(), s.test.len()), (31033, 0, 1000));
        // the test set is the end of the same permutation as the 80/10/10 split
        assert_eq!(s.test[999], Split::new(&words, 3407).unwrap().test[3203]);
        for (n, test) in [(100, 10), (9, 1), (2, 1), (1, 0)] {
            let s = Split::train_test(&words[..n], 1).unwrap();
            assert_eq!((s.train.len(), s.test.len()), (n - test, test), "{n} words");
        }
    }
}
