//! Reading the words file (one word per line) and splitting it into train/dev/test.
//! Used by every notebook, from `01_counting_bigrams` on, and by exercise `e02_split`.

use std::path::Path;

use tch::{Kind, Tensor};

use crate::error::{Error, Result};
use crate::vocab::BOUNDARY;

/// Reads a words file: one word per line, UTF-8. Blank lines are skipped, `\r\n` line ends
/// and a missing or present trailing newline are all fine.
///
/// # Errors
/// A missing, unreadable or non-UTF-8 file, a file with no words, or a word containing the
/// boundary character `.`; each error names the file and line.
pub fn read_words(path: impl AsRef<Path>) -> Result<Vec<String>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| {
        let hint = match source.kind() {
            std::io::ErrorKind::NotFound => {
                "check the path; for the lecture's names run `make data`, which fetches data/names.txt"
            }
            std::io::ErrorKind::PermissionDenied => {
                "check the file's permissions (`ls -l`), or copy it somewhere readable"
            }
            _ if path.is_dir() => "that is a directory: pass the path of a text file inside it",
            _ => "pass the path of a readable text file, one word per line",
        };
        Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
            hint: hint.to_string(),
        }
    })?;
    // Find the first line that is not UTF-8, so the error can point at it.
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Err(Error::Utf8 {
                path: path.to_path_buf(),
                line,
            });
        }
    };
    parse_words(text).map_err(|e| match e {
        Error::NoWords { .. } => Error::NoWords {
            what: path.display().to_string(),
        },
        e => e,
    })
}

/// Splits text into words, one per line, the way [`read_words`] does.
///
/// # Errors
/// [`Error::NoWords`] when no line holds a word, [`Error::BoundaryInWord`] when a word
/// contains `.`.
pub fn parse_words(text: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let word = line.strip_suffix('\r').unwrap_or(line);
        if word.trim().is_empty() {
            continue;
        }
        if word.contains(BOUNDARY) {
            return Err(Error::BoundaryInWord {
                line: i + 1,
                word: word.chars().take(40).collect(),
            });
        }
        words.push(word.to_string());
    }
    if words.is_empty() {
        return Err(Error::NoWords {
            what: "the text".to_string(),
        });
    }
    Ok(words)
}

/// The words shuffled with torch's generator seeded by `seed`, cut into train (80%), dev (10%)
/// and test (the rest). The same seed gives the same split; every word lands in exactly one part.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub train: Vec<String>,
    pub dev: Vec<String>,
    pub test: Vec<String>,
}

impl Split {
    /// Shuffles `words` with `torch.randperm` under `manual_seed(seed)` and splits 80/10/10.
    pub fn new(words: &[String], seed: i64) -> Split {
        let _generator = crate::rng::seed(seed);
        let perm = Tensor::randperm(words.len() as i64, (Kind::Int64, tch::Device::Cpu));
        let perm: Vec<i64> = Vec::try_from(&perm).unwrap_or_default();
        let shuffled: Vec<String> = perm.iter().map(|&i| words[i as usize].clone()).collect();
        let n1 = words.len() * 8 / 10;
        let n2 = words.len() * 9 / 10;
        Split {
            train: shuffled[..n1].to_vec(),
            dev: shuffled[n1..n2].to_vec(),
            test: shuffled[n2..].to_vec(),
        }
    }
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
    fn empty_text_and_boundary_characters_are_errors() {
        assert!(matches!(parse_words(""), Err(Error::NoWords { .. })));
        assert!(matches!(parse_words("\n \n"), Err(Error::NoWords { .. })));
        let e = parse_words("emma\nst.john\n").unwrap_err();
        assert!(matches!(e, Error::BoundaryInWord { line: 2, .. }), "{e}");
    }

    #[test]
    fn read_words_reports_the_file() {
        let e = read_words("/nonexistent/names.txt").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("/nonexistent/names.txt") && msg.contains("make data"),
            "{msg}"
        );
    }

    #[test]
    fn split_is_deterministic_and_complete() {
        let words: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let a = Split::new(&words, 42);
        assert_eq!(a, Split::new(&words, 42));
        assert_eq!((a.train.len(), a.dev.len(), a.test.len()), (80, 10, 10));
        let mut all: Vec<String> = [a.train, a.dev, a.test].concat();
        all.sort();
        let mut sorted = words.clone();
        sorted.sort();
        assert_eq!(all, sorted);
    }
}
