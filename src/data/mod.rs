//! The data a model learns from, in the lecture's order: words ([`read_words`], [`Split`]) →
//! vocabulary ([`Vocab`]) → examples ([`Dataset`] for the lecture's n-grams, [`Sequences`] for
//! makemore.py's padded words); or text as one stream ([`read_text`], the GPT lecture's).

mod examples;
mod vocab;
mod words;

pub use examples::{block_size, context_rows, contexts, Dataset, Sequences};
pub use makemore_bpe::read_text; // tch-free, in crates/bpe/ (`makemore bpe` reads texts too)
pub use vocab::{Vocab, BOUNDARY};
pub(crate) use words::permutation;
pub use words::{parse_words, read_words, Split};
