//! Byte-pair encoding, after Karpathy's minbpe: train a tokenizer on text, encode text to ids,
//! decode ids to text, save and load minbpe's `.model` files, and the GPT-2 / GPT-4 tokenizers.
//! And BPE on Unicode code points as sentencepiece trains it ([`SentencePiece`], the lecture's
//! exercise step 5), and reading a text file ([`read_text`]). The crate does not link libtorch: the `makemore`
//! crate re-exports it as `makemore::bpe`, and `makemore bpe` runs on it alone.
//!
//! Results are minbpe's and tiktoken's exactly (merges, ids, files); the work is done the fast
//! way (see [`train`] and [`encode`]).
//!
//! ```
//! use makemore_bpe::{Pattern, Tokenizer, AllowedSpecial};
//! let mut tok = Tokenizer::new(None)?; // minbpe's BasicTokenizer
//! tok.train("aaabdaaabac", 256 + 3)?;
//! assert_eq!(tok.encode("aaabdaaabac", &AllowedSpecial::NoneRaise)?, [258, 100, 258, 97, 99]);
//! assert_eq!(tok.decode(&[258, 100, 258, 97, 99])?, "aaabdaaabac");
//! # Ok::<(), makemore_bpe::BpeError>(())
//! ```

mod classes;
pub mod encode;
mod error;
pub mod files;
mod io;
mod pattern;
mod pretrained;
pub mod sentencepiece;
mod split;
mod stats;
mod tokenizer;
pub mod train;

pub use classes::unicode_class_ranges;
pub use error::{BpeError, Result};
pub use files::read_text;
pub use io::render_token;
pub use pattern::{Pattern, GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN};
pub use pretrained::{recover_merges, GPT2_SPECIAL_TOKENS, GPT4_SPECIAL_TOKENS};
pub use sentencepiece::SentencePiece;
pub use split::split;
pub use stats::{get_stats, merge, most_frequent, Pair};
pub use tokenizer::{AllowedSpecial, Tokenizer};
