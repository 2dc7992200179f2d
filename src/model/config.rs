//! The sizes of makemore.py's networks, their defaults and their checks.

use super::ModelType;
use crate::error::{Error, Result};

/// The sizes of makemore.py's networks (its `ModelConfig`): each network uses the ones it needs.
/// The defaults are makemore.py's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelConfig {
    /// Transformer blocks.
    pub n_layer: usize,
    /// Attention heads in each block; they split `n_embd` between them.
    pub n_head: usize,
    /// Width of the embeddings, and of the Transformer.
    pub n_embd: usize,
    /// Width of the hidden layer (MLP, BoW) and of the hidden state (RNN, GRU).
    pub n_embd2: usize,
    /// The chance that dropout zeroes a value in training (gpt); 0 turns it off.
    pub dropout: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig { n_layer: 4, n_head: 4, n_embd: 64, n_embd2: 64, dropout: 0.0 }
    }
}

/// The most levels a wavenet may have: a context of 2^10 = 1,024 characters.
const MAX_WAVENET_LEVELS: usize = 10;

impl ModelConfig {
    /// The sizes a model of `kind` has unless told otherwise: makemore.py's defaults, and part 5's
    /// for `wavenet` (3 levels, so a context of 8; embeddings of 24; 128 neurons per level).
    pub fn of(kind: ModelType) -> ModelConfig {
        match kind {
            ModelType::Wavenet => {
                ModelConfig { n_layer: 3, n_embd: 24, n_embd2: 128, ..ModelConfig::default() }
            }
            _ => ModelConfig::default(),
        }
    }

    /// Checks the sizes a model of `kind` uses.
    ///
    /// # Errors
    /// [`Error::Param`] for a size of 0, or heads that do not split `n_embd` evenly.
    pub fn check(&self, kind: ModelType) -> Result<()> {
        let used: &[(&'static str, usize)] = match kind {
            ModelType::Counts | ModelType::Neural | ModelType::Bigram => &[],
            ModelType::Transformer | ModelType::Gpt => {
                &[("n_layer", self.n_layer), ("n_head", self.n_head), ("n_embd", self.n_embd)]
            }
            ModelType::Wavenet => {
                &[("n_layer", self.n_layer), ("n_embd", self.n_embd), ("n_embd2", self.n_embd2)]
            }
            _ => &[("n_embd", self.n_embd), ("n_embd2", self.n_embd2)],
        };
        if let Some((name, _)) = used.iter().find(|(_, v)| *v == 0) {
            return Err(Error::param(
                name,
                0,
                "it must be at least 1",
                "leave it out for makemore.py's default",
            ));
        }
        if kind == ModelType::Wavenet && self.n_layer > MAX_WAVENET_LEVELS {
            return Err(Error::Param {
                name: "n_layer",
                value: self.n_layer.to_string(),
                why: "a wavenet of n_layer levels reads 2^n_layer characters",
                hint: format!("use at most {MAX_WAVENET_LEVELS} (part 5's: 3, a context of 8)"),
            });
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::param(
                "dropout",
                self.dropout,
                "it is a probability below 1",
                "use 0 (none) to 0.5; gpt.py's is 0.2",
            ));
        }
        if self.dropout > 0.0 && kind != ModelType::Gpt {
            return Err(Error::param(
                "dropout",
                self.dropout,
                "only the GPT lecture's model (gpt) has dropout",
                "use --type gpt, or leave --dropout out",
            ));
        }
        let attention = matches!(kind, ModelType::Transformer | ModelType::Gpt);
        if attention && !self.n_embd.is_multiple_of(self.n_head) {
            return Err(Error::param(
                "n_head",
                self.n_head,
                "the heads must split n_embd evenly",
                "pick n_head dividing n_embd, e.g. 4 heads for n_embd 64",
            ));
        }
        Ok(())
    }
}
