//! # makemore
//!
//! Give it words, it makes more like them: Andrej Karpathy's lecture "The spelled-out intro to
//! language modeling: building makemore" (the character-level bigram model) in Rust, over
//! libtorch through `tch`, and the models of his makemore.py on the same interface. The notebooks
//! in `notebooks/` walk through the lecture with it.
//!
//! The modules follow the lecture, each using only the ones before it: [`data`] (words →
//! vocabulary → examples, or a text as one stream), [`loss`] (the loss formulas on tensors), [`handmade`] (what
//! the lectures write by hand and their exercises reuse: part 2's MLP and its loop, part 3's
//! `Linear`, `BatchNorm1d`, `Tanh`, part 5's), [`model`] (the count model,
//! the one-layer net, makemore.py's networks, part 5's WaveNet, the GPT lecture's Transformer,
//! and the interface every model implements; [`nn`]: `torch.nn`'s layers they are made of),
//! [`eval`] (the loss of a model on words), [`sample`](mod@sample) (drawing names), [`plot`] (heatmaps and
//! curves and histograms, and the micrograd lecture's expression graphs, inline in a notebook),
//! [`python`] (floats printed as Python's `repr`; with [`PythonRandom`], CPython's `random`), [`train`] (makemore.py's training and its whole loop),
//! [`interrupt`] (a notebook's Interrupt stops these loops, and those written `for i in steps(n)`),
//! and, for the tokenizer lecture, `bpe` (byte-pair encoding as minbpe has it: training, encoding,
//! minbpe's files, the GPT-2 and GPT-4 tokenizers).
//! `use makemore::prelude::*;` brings what a notebook needs. The `makemore` command line is
//! `src/cli/`, behind the default feature `cli`; notebooks use the crate without it.
//!
//! ```no_run
//! use makemore::prelude::*;
//! let words = read_words("data/names.txt")?;
//! let vocab = Vocab::from_words(&words)?;
//! let model = CountModel::fit(&words, &vocab, 1, 1.0)?; // bigram, add-1 smoothing
//! println!("{:?}", sample(&model, 5, SEED)?); // ["cexze.", "momasurailezitynn.", ...]
//! println!("{:.4}", nll(&model, &words)?); // 2.4546
//! # Ok::<(), makemore::Error>(())
//! ```

/// Byte-pair encoding, the tokenizer lecture's: the `makemore-bpe` crate (`crates/bpe/`), which
/// does not link libtorch, so that `makemore bpe` runs without it.
pub use makemore_bpe as bpe;
pub mod data;
pub mod error;
pub mod eval;
pub mod gpt2;
pub mod handmade;
pub mod interrupt;
pub mod io;
pub mod loss;
pub mod model;
pub use model::nn;
pub mod plot;
pub mod python;
mod rng;
pub mod sample;
pub mod train;

/// The seed the lecture gives torch's generator: `torch.Generator().manual_seed(2147483647)`.
pub const SEED: i64 = 2147483647;

pub use prelude::*;
/// Re-exported so notebooks and tests use the same `tch` as the crate.
pub use tch;

/// What a notebook or a program needs, in one `use makemore::prelude::*;`: the crate's types and
/// functions, and tch's `Tensor`, `Kind`, `Device`, `IndexOp`, `no_grad` and `manual_seed`. No
/// module names, so none can hide a variable of the same name.
pub mod prelude {
    pub use crate::data::{
        block_size, contexts, parse_words, read_text, read_words, Dataset, Sequences, Split, Vocab,
        BOUNDARY,
    };
    pub use crate::error::{Error, Result};
    pub use crate::eval::{evaluate, nll, text_nll};
    pub use crate::interrupt::steps;
    pub use crate::loss::{cross_entropy, lookup, mean_nll, pick};
    pub use crate::model::counts::{bigram_dict, count_bigrams, count_ngrams, probs_from_counts};
    pub use crate::model::methods::{Method, TrainConfig};
    pub use crate::model::{CountModel, LanguageModel, Model, ModelConfig, ModelType, NeuralModel};
    pub use crate::plot::{
        gray_image, heatmap, heatmap_sized, image, line_plot, scatter, side_by_side, Digraph, Png,
        Series,
    };
    pub use crate::python::repr;
    pub use crate::rng::{with_torch_seed, PythonRandom};
    pub use crate::sample::{sample, Grouped, Sampling};
    pub use crate::train::workdir::{Expect, Output};
    pub use crate::train::{
        AdamW, Checkpoint, Event, Losses, RunOptions, RunSummary, TextOptions, TrainOptions,
        Trainer,
    };
    pub use crate::SEED;
    pub use tch::{manual_seed, no_grad, Device, IndexOp, Kind, Tensor};
}
