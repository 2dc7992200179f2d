//! The one error type of `bpe`: every failure names what went wrong and how to fix it.

use std::path::PathBuf;

/// Everything that can go wrong when training, encoding, decoding, saving or loading.
///
/// Each message says what was wrong and, after `hint:`, what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum BpeError {
    /// `train` was asked for fewer tokens than the 256 byte tokens every tokenizer starts with.
    #[error("vocab size {0} is under 256 (hint: the 256 byte tokens come first; ask for 256 + the number of merges you want)")]
    VocabTooSmall(usize),

    /// The text ran out of adjacent pairs before reaching the vocab size.
    ///
    /// minbpe fails here too (`max()` of an empty dict raises `ValueError`), so there is no
    /// result to match; we stop with this error instead of returning a smaller vocab.
    #[error("the text has no pair of tokens left to merge after {merges_done} merges, so vocab size {vocab_size} cannot be reached (hint: train on more text or ask for at most vocab size {reachable})")]
    NoPairsLeft {
        /// merges done before the text ran out of pairs
        merges_done: usize,
        /// the vocab size asked for
        vocab_size: usize,
        /// the largest vocab size this text can give (256 + merges_done)
        reachable: usize,
    },

    /// sentencepiece's vocab must hold its control and byte pieces and the text's characters.
    #[error("vocab size {vocab_size} is under {needed}: the 3 control pieces, the 256 byte pieces and the text's {chars} characters come first (hint: ask for {needed} + the number of merges you want)")]
    SentencePieceVocab {
        /// the vocab size asked for
        vocab_size: usize,
        /// 3 + 256 + chars
        needed: usize,
        /// the characters that are pieces of their own
        chars: usize,
    },

    /// The vocab would need more ids than fit in a `u32`.
    #[error("vocab size {0} is too large (hint: ids are u32; ask for at most {max})", max = u32::MAX)]
    VocabTooLarge(usize),

    /// `train` got a text of 4 GiB or more (positions and counts are `u32`).
    #[error("the training text is {0} bytes, over the 4 GiB limit (hint: train on a sample; BPE merges settle long before that)")]
    TextTooLarge(usize),

    /// `decode` met an id that is neither a token nor a special token.
    #[error("invalid token id {id}: the vocab has ids 0..{vocab_len} and {specials} special tokens (hint: decode only ids this tokenizer produced)")]
    InvalidId {
        /// the offending id
        id: u32,
        /// number of ordinary tokens (256 + merges)
        vocab_len: usize,
        /// number of special tokens
        specials: usize,
    },

    /// `encode` with `AllowedSpecial::NoneRaise` found a special token in the text.
    #[error("the text contains the special token {0:?} (hint: allow it to encode it as one id: AllowedSpecial::All or a set naming it, `--allowed-special all` on the command line; or AllowedSpecial::None, `none`, to encode it as plain text)")]
    DisallowedSpecial(String),

    /// `encode` was given a set naming a special token this tokenizer does not have.
    #[error("allowed_special names {0:?}, which is not a special token of this tokenizer (hint: register it with register_special_tokens first)")]
    UnknownSpecial(String),

    /// A special token was registered with an id that is already an ordinary token.
    #[error("special token {token:?} has id {id}, which is already an ordinary token (ids 0..{vocab_len}) (hint: give special tokens ids from {vocab_len} up)")]
    SpecialIdTaken {
        /// the special token text
        token: String,
        /// its id
        id: u32,
        /// number of ordinary tokens
        vocab_len: usize,
    },

    /// A special token string is unusable (empty, or contains whitespace so `.model` cannot hold it).
    #[error("special token {0:?} is empty or contains whitespace (hint: minbpe's .model format separates the token from its id by whitespace; use a token without spaces such as <|endoftext|>)")]
    BadSpecialToken(String),

    /// A split pattern did not compile.
    #[error("split pattern {pattern:?} does not compile: {message} (hint: the pattern is a fancy-regex / Python `regex` pattern such as minbpe's GPT4_SPLIT_PATTERN)")]
    BadPattern {
        /// the pattern
        pattern: String,
        /// the regex engine's message
        message: String,
    },

    /// Running a split pattern failed (fancy-regex's backtracking limit).
    #[error("split pattern {pattern:?} failed on the text: {message} (hint: simplify the pattern; catastrophic backtracking hits fancy-regex's limit)")]
    PatternFailed {
        /// the pattern
        pattern: String,
        /// the regex engine's message
        message: String,
    },

    /// A `.model` file is not in minbpe's format.
    #[error("{}{}: {problem} (hint: {hint})", .path.display(), if *.line == 0 { String::new() } else { format!(", line {line}") })]
    BadModelFile {
        /// the file
        path: PathBuf,
        /// 1-based line number; 0 when the problem is the file itself (its name)
        line: usize,
        /// what is wrong on that line
        problem: String,
        /// what to do
        hint: String,
    },

    /// Reading or writing a file failed. (The OS error is shown in the message and not
    /// returned again by `source()`, so a chain of errors prints it once.)
    #[error("cannot {action} {}: {cause} (hint: {hint})", .path.display())]
    Io {
        /// "read" / "write" / "rename a temp file onto"
        action: &'static str,
        /// the file
        path: PathBuf,
        /// the OS error
        cause: std::io::Error,
        /// what to do
        hint: String,
    },

    /// A text to work on that is not one: empty, binary, not UTF-8.
    #[error("{}: {why} (hint: {hint})", .path.display())]
    Text {
        /// the file (or "standard input")
        path: PathBuf,
        /// what is wrong with it
        why: String,
        /// what to do
        hint: &'static str,
    },

    /// A command-line value that is not usable (`makemore bpe`).
    #[error("{name} = {value} is invalid: {why} (hint: {hint})")]
    Param {
        /// the flag or input
        name: &'static str,
        /// what was given
        value: String,
        /// why it does not do
        why: &'static str,
        /// what to do
        hint: String,
    },

    /// A pretrained tokenizer (GPT-4 / GPT-2) cannot be trained or saved as minbpe's `.model`.
    #[error("{0} (hint: train a Tokenizer::new(Some(Pattern::Gpt4)) of your own, or save pretrained ranks with tiktoken)")]
    Pretrained(&'static str),

    /// The bundled tiktoken rank file could not be read.
    #[error("the bundled {name} ranks could not be read: {message} (hint: the tiktoken-rs crate ships them; check its version)")]
    Ranks {
        /// "cl100k_base" / "r50k_base"
        name: &'static str,
        /// what failed
        message: String,
    },
}

/// `Result` with [`BpeError`].
pub type Result<T> = std::result::Result<T, BpeError>;

impl BpeError {
    /// Writing to standard output failed.
    pub fn output(cause: std::io::Error) -> BpeError {
        let hint = "check that the disk is not full".to_string();
        BpeError::Io { action: "write", path: "standard output".into(), cause, hint }
    }

    /// The reader of what a command prints went away (`makemore bpe encode ... | head`): a
    /// command ends quietly then.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, BpeError::Io { cause, .. } if cause.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
