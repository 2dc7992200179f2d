//! The one error type of the crate: every message names the problem and ends with a hint.

use std::path::PathBuf;

/// Everything that can go wrong in `makemore`. The `Display` text is meant for a person:
/// it says what happened and what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {source} (hint: {hint})")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
        hint: String,
    },
    /// The input is not valid UTF-8.
    #[error("{path}: line {line} is not valid UTF-8 (hint: save the file as UTF-8 text, one word per line)")]
    Utf8 { path: PathBuf, line: usize },
    /// The word list holds no words.
    #[error("{what} holds no words (hint: give it a text file with one word per line)")]
    NoWords { what: String },
    /// A word contains the boundary character `.`.
    #[error("line {line}: the word {word:?} contains '.', which marks the start and end of every word (hint: remove or replace the '.' in your data)")]
    BoundaryInWord { line: usize, word: String },
    /// A character that is not in the vocabulary.
    #[error("the character {ch:?} is not in the vocabulary of {len} characters (hint: build the vocabulary from data that contains it, or remove it)")]
    UnknownChar { ch: char, len: usize },
    /// An index that is not in the vocabulary.
    #[error("index {index} is outside the vocabulary of {len} characters (hint: indices go from 0 to {len} - 1)")]
    UnknownIndex { index: i64, len: usize },
    /// A parameter outside its valid range.
    #[error("{name} = {value} is invalid: {why} (hint: {hint})")]
    Param {
        name: &'static str,
        value: String,
        why: &'static str,
        hint: &'static str,
    },
    /// A tensor of the wrong shape or kind was passed in.
    #[error("{what}: expected {expected}, got {got} (hint: {hint})")]
    Shape {
        what: &'static str,
        expected: String,
        got: String,
        hint: &'static str,
    },
    /// A probability row that cannot be sampled from (all zeros, negative, or not finite).
    #[error("row {row} of the probability matrix cannot be sampled: {why} (hint: use smoothing > 0 so every row has mass)")]
    BadRow { row: usize, why: String },
    /// A saved model that cannot be loaded.
    #[error("cannot load the model {path}: {why} (hint: {hint})")]
    Model {
        path: PathBuf,
        why: String,
        hint: &'static str,
    },
    /// A plot could not be drawn.
    #[error("cannot draw the plot: {0} (hint: check that a DejaVu font is installed, e.g. `apt-get install fonts-dejavu-core`)")]
    Plot(String),
    /// An error from libtorch.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}

/// `Result` with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn param(
        name: &'static str,
        value: impl std::fmt::Display,
        why: &'static str,
        hint: &'static str,
    ) -> Self {
        Error::Param {
            name,
            value: value.to_string(),
            why,
            hint,
        }
    }
}

/// Checks that a hyperparameter is finite and not negative.
pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::param(
            name,
            value,
            "it must be a finite number >= 0",
            "pass a value such as 0, 1 or 0.01",
        ))
    }
}
