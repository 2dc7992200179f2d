//! # makemore
//!
//! Give it words, it makes more like them: Andrej Karpathy's lecture "The spelled-out intro to
//! language modeling: building makemore" (the character-level bigram model) in Rust, over
//! libtorch through `tch`. The notebooks in `notebooks/` walk through the lecture with it.
//!
//! ```no_run
//! use makemore::{read_words, sample, CountModel, Vocab};
//! let words = read_words("data/names.txt")?;
//! let vocab = Vocab::from_words(&words)?;
//! let model = CountModel::fit(&words, &vocab, 1, 1.0)?; // bigram, add-1 smoothing
//! println!("{:?}", sample(&model, 5, 2147483647)?); // ["cexze.", "momasurailezitynn.", ...]
//! # Ok::<(), makemore::Error>(())
//! ```

pub mod data;
pub mod error;
pub mod io;
pub mod model;
pub mod neural;
pub mod ngram;
pub mod persist;
pub mod plot;
mod rng;
pub mod vocab;

pub use data::{parse_words, read_words, Split};
pub use error::{Error, Result};
pub use model::{nll, nll_of, sample, LanguageModel};
pub use neural::{Method, NeuralModel, TrainConfig};
pub use ngram::{bigram_dict, count_bigrams, count_ngrams, probs_from_counts, CountModel, Dataset};
pub use persist::{save_counts, save_neural, Model};
pub use plot::{heatmap, image, line_plot, side_by_side, Png, Series};
pub use vocab::{Vocab, BOUNDARY};

/// The seed the lecture gives torch's generator: `torch.Generator().manual_seed(2147483647)`.
pub const SEED: i64 = 2147483647;

/// Re-exported so notebooks and tests use the same `tch` as the crate.
pub use tch;
