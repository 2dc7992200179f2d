//! The one error type of the crate: every message names the problem and ends with a hint.

use std::path::PathBuf;

/// Everything that can go wrong in `makemore`. The `Display` text is meant for a person:
/// it says what happened and what to do next.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    /// The cause is shown in the message and not returned again by `source()`, so a chain
    /// of errors prints it once.
    #[error("cannot {action} {path}: {cause} (hint: {hint})")]
    Io { action: &'static str, path: PathBuf, cause: std::io::Error, hint: String },
    /// There is no saved model where one was looked for.
    #[error("there is no model in {}: no {} there (hint: train one into it first)", .dir.display(), .file)]
    NoModel { dir: PathBuf, file: &'static str },
    /// A work dir or model file that does not hold what the command needs (another type, a
    /// model training would replace).
    #[error("{} {why} (hint: {hint})", .path.display())]
    Saved { path: PathBuf, why: String, hint: String },
    /// A words file or text that a saved model cannot score (a character it has never seen).
    #[error("cannot score {} with the model {}: {cause}", .input.display(), .model.display())]
    Scoring { input: PathBuf, model: PathBuf, cause: Box<Error> },
    /// The input is not valid UTF-8.
    #[error("{path}: line {line} is not valid UTF-8 (hint: save the file as UTF-8 text, one word per line)")]
    Utf8 { path: PathBuf, line: usize },
    /// The word list holds no words.
    #[error("{what} holds no words (hint: give it a text file with one word per line)")]
    NoWords { what: String },
    /// A character that is not in the vocabulary.
    #[error("the character {ch:?} is not in the vocabulary of {len} characters (hint: build the vocabulary from data that contains it, or remove it)")]
    UnknownChar { ch: char, len: usize },
    /// An index that is not in the vocabulary.
    #[error("index {index} is outside the vocabulary of {len} characters (hint: indices go from 0 to {len} - 1)")]
    UnknownIndex { index: i64, len: usize },
    /// A parameter outside its valid range.
    #[error("{name} = {value} is invalid: {why} (hint: {hint})")]
    Param { name: &'static str, value: String, why: &'static str, hint: String },
    /// A tensor of the wrong shape or kind was passed in.
    #[error("{what}: expected {expected}, got {got} (hint: {hint})")]
    Shape { what: &'static str, expected: String, got: String, hint: &'static str },
    /// Probabilities that cannot be sampled (all zeros, negative, or not finite).
    #[error("the probabilities after {context:?} cannot be sampled: {why} (hint: use smoothing > 0 so every context has mass)")]
    BadRow { context: String, why: String },
    /// A saved model that cannot be loaded.
    #[error("cannot load the model {path}: {why} (hint: {hint})")]
    Model { path: PathBuf, why: String, hint: &'static str },
    /// What a training run reports could not be written (a closed pipe, a full disk).
    #[error("cannot write the output: {0} (hint: check that the disk is not full)")]
    Output(std::io::Error),
    /// A plot could not be drawn.
    #[error("cannot draw the plot: {why} (hint: {hint})")]
    Plot { why: String, hint: &'static str },
    /// An error of [`crate::bpe`] (a tokenizer's, or a text file's: [`crate::data::read_text`]):
    /// its own message, which names the problem and the fix.
    #[error(transparent)]
    Bpe(#[from] crate::bpe::BpeError),
    /// An error from libtorch: its first line, as PyTorch shows it (`MAKEMORE_BACKTRACE=1` for
    /// all of it, with libtorch's C++ frames).
    #[error("libtorch: {} (hint: set MAKEMORE_BACKTRACE=1 for libtorch's full report)", torch_message(.0))]
    Torch(tch::TchError),
}

impl From<tch::TchError> for Error {
    fn from(e: tch::TchError) -> Self {
        Error::Torch(e) // its message is shown once, in ours; not returned again by `source()`
    }
}

/// What libtorch said: the first line of its message, or all of it with `MAKEMORE_BACKTRACE=1`.
fn torch_message(e: &tch::TchError) -> String {
    let text = match e {
        tch::TchError::Torch(message) => message.clone(),
        e => e.to_string(),
    };
    if std::env::var_os("MAKEMORE_BACKTRACE").is_some_and(|v| v != "0") {
        text
    } else {
        text.lines().next().unwrap_or_default().to_string()
    }
}

/// `Result` with the crate's [`Error`] by default: `Result<T>` is `Result<T, makemore::Error>`,
/// and `Result<T, E>` is the standard one (so the prelude can bring it).
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A [`Error::Param`]: `name = value` is invalid because `why`; `hint` says what to do.
    pub fn param(
        name: &'static str,
        value: impl std::fmt::Display,
        why: &'static str,
        hint: &'static str,
    ) -> Self {
        Error::Param { name, value: value.to_string(), why, hint: hint.to_string() }
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
