//! The sizes of makemore.py's networks, and the checks every network's sizes pass. What a type
//! uses, its own defaults and its own checks are in its [`super::Spec`], in its file.

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

impl ModelConfig {
    /// makemore.py's sizes.
    pub const DEFAULT: ModelConfig =
        ModelConfig { n_layer: 4, n_head: 4, n_embd: 64, n_embd2: 64, dropout: 0.0 };

    /// The sizes a model of `kind` has unless told otherwise: its type's defaults (makemore.py's,
    /// or part 5's for `wavenet`).
    pub fn of(kind: ModelType) -> ModelConfig {
        kind.spec().defaults
    }

    /// The size named `name` (`"n_embd"`, ...).
    fn size(&self, name: &str) -> usize {
        match name {
            "n_layer" => self.n_layer,
            "n_head" => self.n_head,
            "n_embd" => self.n_embd,
            _ => self.n_embd2,
        }
    }

    /// Checks the sizes a model of `kind` uses: none 0, a dropout only where the type has one,
    /// and the type's own checks.
    ///
    /// # Errors
    /// [`Error::Param`] for a size of 0, a dropout outside [0, 1) or on a type without one, or
    /// what the type's own check refuses.
    pub fn check(&self, kind: ModelType) -> Result<()> {
        let spec = kind.spec();
        if let Some(name) = spec.uses.iter().find(|n| self.size(n) == 0) {
            return Err(Error::param(
                name,
                0,
                "it must be at least 1",
                "leave it out for makemore.py's default",
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::param(
                "dropout",
                self.dropout,
                "it is a probability below 1",
                "use 0 (none) to 0.5; gpt.py's is 0.2",
            ));
        }
        if self.dropout > 0.0 && !spec.dropout {
            return Err(Error::param(
                "dropout",
                self.dropout,
                "only the GPT lecture's model (gpt) has dropout",
                "use --type gpt, or leave --dropout out",
            ));
        }
        (spec.check)(self)
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig::DEFAULT
    }
}

/// No checks but the common ones.
pub(super) fn no_check(_: &ModelConfig) -> Result<()> {
    Ok(())
}

/// Attention's check: the heads split `n_embd` evenly.
pub(super) fn heads_split(cfg: &ModelConfig) -> Result<()> {
    match cfg.n_embd.is_multiple_of(cfg.n_head) {
        true => Ok(()),
        false => Err(Error::param(
            "n_head",
            cfg.n_head,
            "the heads must split n_embd evenly",
            "pick n_head dividing n_embd, e.g. 4 heads for n_embd 64",
        )),
    }
}
