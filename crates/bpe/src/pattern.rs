//! The split patterns: GPT-2's, GPT-4's (character for character minbpe's), or one of your own.

/// GPT-2's split pattern, as minbpe's `GPT2_SPLIT_PATTERN` (tiktoken's `r50k_base` writes it
/// with possessive quantifiers; both split every text the same way).
pub const GPT2_SPLIT_PATTERN: &str =
    r"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// GPT-4's split pattern, as minbpe's `GPT4_SPLIT_PATTERN` (tiktoken's `cl100k_base` writes it
/// with more possessive quantifiers; both split every text the same way).
pub const GPT4_SPLIT_PATTERN: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";

/// How a [`Tokenizer`](crate::Tokenizer) splits text into chunks before BPE.
///
/// Merges never cross a chunk boundary, so e.g. `dog.` and `dog!` share the token `dog`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// [`GPT2_SPLIT_PATTERN`].
    Gpt2,
    /// [`GPT4_SPLIT_PATTERN`] (minbpe's `RegexTokenizer` default).
    Gpt4,
    /// Any other fancy-regex / Python `regex` pattern; chunks are its whole matches. (Python's
    /// `findall`, which minbpe uses, returns capture groups instead when the pattern has any:
    /// write groups as `(?:...)`.) Empty matches are skipped; they hold no bytes to encode.
    Custom(String),
}

impl Pattern {
    /// The pattern as a regex string, as minbpe writes it in a `.model` file.
    pub fn as_str(&self) -> &str {
        match self {
            Pattern::Gpt2 => GPT2_SPLIT_PATTERN,
            Pattern::Gpt4 => GPT4_SPLIT_PATTERN,
            Pattern::Custom(p) => p,
        }
    }

    /// The pattern for a regex string: [`Pattern::Gpt2`] / [`Pattern::Gpt4`] when it is one of
    /// those exactly (so they get the fast hand-written splitter), else [`Pattern::Custom`].
    pub fn from_regex(pattern: &str) -> Pattern {
        match pattern {
            GPT2_SPLIT_PATTERN => Pattern::Gpt2,
            GPT4_SPLIT_PATTERN => Pattern::Gpt4,
            p => Pattern::Custom(p.to_string()),
        }
    }
}
