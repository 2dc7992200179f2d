//! What every model is: a [`LanguageModel`] gives the logits of the next character after every
//! prefix of a batch of words. Sampling (`crate::sample`), evaluation (`crate::eval`) and
//! training (`crate::train`) are written once against it. The models, from the lecture to
//! makemore.py, are listed once, in [`TYPES`]:
//!
//! | type | module | what it is |
//! |---|---|---|
//! | `counts` | [`counts`] | normalized n-gram counts (the lecture, first half) |
//! | `neural` | [`neural`] | one linear layer, trained by gradient descent (the lecture, second half); [`methods`] has exercises E04-E06's ways to compute its loss |
//! | `bigram` | [`bigram`] | makemore.py's bigram: the same table, from zeros, trained with AdamW |
//! | `mlp` | [`mlp`] | Bengio et al. 2003: embeddings of the last characters, a hidden layer |
//! | `rnn`, `gru` | [`rnn`] | a hidden state carried along the word |
//! | `bow` | [`bow`] | the average of everything before, then an MLP |
//! | `transformer` | [`transformer`] | GPT-2's blocks of causal self-attention and MLP |
//! | `wavenet` | [`wavenet`] | part 5's hierarchical net: characters fused two at a time, BatchNorm |
//! | `gpt` | [`gpt`] | the GPT lecture's Transformer (`gpt.py`): ReLU, dropout, its init and names |
//!
//! A new network is one file (a struct with a `core: Core` field, `new` and `logits`,
//! `network!(Name);`, its `ModelType` constant and its [`Spec`]: sizes, checks, how to make it)
//! plus its line in [`TYPES`]; `toy.rs`, a test-only model, is registered that way.

use tch::{Device, Kind, Tensor};

use crate::data::Vocab;
use crate::error::{Error, Result};

/// The `LanguageModel` of a network: the vocabulary, block size and device from its [`Core`],
/// the logits from its own `logits`. Each network's file says `network!(Name);`, or
/// `network!(Name, training_loss)` when training runs another way than evaluation (BatchNorm on
/// the batch, dropout): its `training_loss(x, y)` is then [`LanguageModel::loss`].
macro_rules! network {
    ($ty:ident, $loss:ident) => {
        network!(@impl $ty, fn loss(&self, x: &tch::Tensor, y: &tch::Tensor) -> $crate::error::Result<tch::Tensor> {
            self.$loss(x, y)
        });
    };
    ($ty:ident) => {
        network!(@impl $ty,);
    };
    (@impl $ty:ident, $($loss:item)?) => {
        impl $crate::model::LanguageModel for $ty {
            fn vocab(&self) -> &$crate::data::Vocab {
                &self.core.vocab
            }
            fn block_size(&self) -> usize {
                self.core.block_size
            }
            fn device(&self) -> tch::Device {
                self.core.device()
            }
            fn forward(&self, x: &tch::Tensor) -> $crate::error::Result<tch::Tensor> {
                self.logits(x)
            }
            fn parameters(&self) -> Vec<(String, tch::Tensor)> {
                self.core.parameters()
            }
            fn buffers(&self) -> Vec<(String, tch::Tensor)> {
                self.core.buffers()
            }
            fn max_len(&self) -> Option<usize> {
                // the longest training word; a text has no words
                (!self.core.vocab.is_text()).then(|| self.core.block_size.saturating_sub(1))
            }
            $($loss)?
        }
    };
}

mod any;
pub mod bigram;
pub mod bow;
mod config;
pub mod counts;
pub(crate) mod file;
pub mod gpt;
pub mod methods;
pub mod mlp;
pub mod neural;
pub mod nn;
mod pt;
pub mod rnn;
mod table;
#[cfg(test)]
mod toy;
pub mod transformer;
pub mod wavenet;

pub use any::Model;
pub use bigram::Bigram;
pub use bow::Bow;
pub use config::{Hyper, ModelConfig, Range};
pub use counts::CountModel;
pub use gpt::Gpt;
pub use mlp::Mlp;
pub use neural::NeuralModel;
pub use rnn::Rnn;
pub use transformer::Transformer;
pub use wavenet::Wavenet;

/// A character-level language model: the distribution of the next character after the ones so
/// far. Row `b` of an input `x` is a word so far, starting with `.`; position `t` of the output
/// is about the character after `x[b, ..=t]`.
pub trait LanguageModel: std::fmt::Debug {
    /// The model's vocabulary.
    fn vocab(&self) -> &Vocab;

    /// The most characters the model reads back: `n - 1` for an n-gram model, the block size
    /// for the networks. Sampling gives it the last `block_size` characters.
    fn block_size(&self) -> usize;

    /// Where the model's tensors live.
    fn device(&self) -> Device {
        Device::Cpu
    }

    /// The logits of the next character after every prefix: `x` `(B, T)` Int64 → `(B, T, V)`.
    ///
    /// # Errors
    /// [`Error::Torch`] for an index outside the vocabulary, [`Error::Param`] for `T` past a
    /// model's block size.
    fn forward(&self, x: &Tensor) -> Result<Tensor>;

    /// The probabilities of the character after each row of `x`: `(B, T)` → `(B, V)`, the
    /// softmax of the last position's logits.
    ///
    /// # Errors
    /// As [`LanguageModel::forward`].
    fn next_probs(&self, x: &Tensor) -> Result<Tensor> {
        tch::no_grad(|| {
            let logits = self.forward(x)?.f_select(1, -1)?; // (B, V)
            Ok(logits.f_softmax(-1, logits.kind())?)
        })
    }

    /// The log-probability of each target `y[b, t]` after `x[b, ..=t]`: `(B, T)`, 0 where
    /// `y = -1` (padding).
    ///
    /// # Errors
    /// As [`LanguageModel::forward`].
    fn log_likelihood(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let logp = self.forward(x)?.f_log_softmax(-1, Kind::Float)?; // (B, T, V)
        table::pick_targets(&logp, y)
    }

    /// The tensors the model learns, by name (makemore.py's names for its networks): what
    /// training updates and a model file holds. A count model's are its counts.
    fn parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// The tensors the model keeps that training does not update by gradient, by name:
    /// BatchNorm's running statistics. A model file holds them too.
    fn buffers(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// The loss training minimizes on a batch: the mean of `-log p(y[b, t])` over the positions
    /// with `y >= 0`, in training mode (a model with BatchNorm normalizes by the batch's
    /// statistics and updates its running ones; [`LanguageModel::forward`] uses them).
    ///
    /// # Errors
    /// As [`LanguageModel::forward`].
    fn loss(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        crate::loss::cross_entropy(&self.forward(x)?, y)
    }

    /// The most characters a sampled name may have, as makemore.py caps its samples (its
    /// networks: the longest training word); `None` for no cap but `crate::sample`'s guard
    /// (the lecture's models, whose names end at their `.`).
    fn max_len(&self) -> Option<usize> {
        None
    }
}

/// What every network holds besides its layers: its vocabulary, block size, sizes, and its
/// parameters by name, in the order they were made.
#[derive(Debug)]
pub struct Core {
    vocab: Vocab,
    block_size: usize,
    cfg: ModelConfig,
    params: Vec<(String, Tensor)>,
    buffers: Vec<(String, Tensor)>,
}

impl Core {
    fn new(vocab: &Vocab, block_size: usize, cfg: &ModelConfig, p: nn::Params) -> Core {
        let (params, buffers) = p.into_lists();
        Core { vocab: vocab.clone(), block_size, cfg: cfg.clone(), params, buffers }
    }

    fn device(&self) -> Device {
        self.params.first().map_or(Device::Cpu, |(_, t)| t.device())
    }

    fn parameters(&self) -> Vec<(String, Tensor)> {
        let named = self.params.iter();
        named.map(|(n, t)| (n.clone(), t.shallow_clone())).collect()
    }

    fn buffers(&self) -> Vec<(String, Tensor)> {
        self.buffers.iter().map(|(n, t)| (n.clone(), t.shallow_clone())).collect()
    }
}

/// A type of model, by the name the command line and model files use (`"mlp"`). Each type is
/// declared in its model's file (`ModelType::Mlp` in `mlp.rs`) with its [`Spec`], and
/// [`TYPES`] lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModelType(&'static str);

/// What a type of model is, in its own file: its name, what it is, its sizes, its checks, and
/// how to make one.
#[derive(Debug)]
pub struct Spec {
    /// The type.
    pub kind: ModelType,
    /// Its hyperparameters, by name, with their defaults: a model file stores them by name.
    pub hypers: &'static [Hyper],
    /// Its own checks of its config, after each hyperparameter's ([`ModelConfig::for_type`]).
    pub check: fn(&ModelConfig) -> Result<()>,
    /// Makes a network with weights drawn from torch's generator, or left to fill (a model
    /// file's): `(vocab, block_size, sizes, params)`. `None` for the lecture's two models,
    /// made by their own constructors ([`CountModel::fit`], [`NeuralModel::new`]).
    pub build: Option<Build>,
}

/// How a [`Spec`] makes a network.
pub type Build = fn(&Vocab, usize, &ModelConfig, nn::Params) -> Result<Box<dyn LanguageModel>>;

/// Every type of model, from the lecture to the GPT lecture: the one list a new model joins.
pub const TYPES: &[Spec] = &[
    counts::SPEC,
    neural::SPEC,
    bigram::SPEC,
    mlp::SPEC,
    rnn::RNN,
    rnn::GRU,
    bow::SPEC,
    transformer::SPEC,
    wavenet::SPEC,
    gpt::SPEC,
    #[cfg(test)]
    toy::SPEC,
];

impl ModelType {
    /// Every type, in the order of [`TYPES`].
    pub fn all() -> impl Iterator<Item = ModelType> {
        TYPES.iter().map(|spec| spec.kind)
    }

    /// The name the command line and model files use: `"counts"`, `"neural"`, ...
    pub fn name(self) -> &'static str {
        self.0
    }

    /// The type's [`Spec`].
    pub fn spec(self) -> &'static Spec {
        // a ModelType is made only by the constants of the types in TYPES
        TYPES.iter().find(|spec| spec.kind == self).unwrap_or(&TYPES[0])
    }

    /// True for the networks trained makemore.py's way, with AdamW on batches of words or
    /// windows of a text ([`crate::train`]): makemore.py's six, part 5's wavenet and the GPT
    /// lecture's gpt; false for the lecture's two.
    pub fn is_makemore(self) -> bool {
        self.spec().build.is_some()
    }
}

impl std::str::FromStr for ModelType {
    type Err = Error;

    /// The type named `name` (as [`ModelType::name`] says it).
    fn from_str(name: &str) -> Result<ModelType> {
        ModelType::all().find(|k| k.name() == name).ok_or_else(|| Error::Param {
            name: "model type",
            value: name.to_string(),
            why: "there is no such model type",
            hint: format!(
                "use one of {}",
                ModelType::all().map(ModelType::name).collect::<Vec<_>>().join(", ")
            ),
        })
    }
}

impl std::fmt::Display for ModelType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name()) // honors a width: `{kind:<11}`
    }
}
