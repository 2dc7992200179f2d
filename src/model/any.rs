//! [`Model`]: a model of any type, as a model file holds it (the lecture's two, or a network
//! with its type and sizes), made, checked, saved and loaded in one place.

use std::path::Path;

use tch::{Device, Tensor};

use super::{file, nn, CountModel, LanguageModel, ModelConfig, ModelType, NeuralModel};
use crate::data::Vocab;
use crate::error::{Error, Result};

/// A model of any type: what a model file holds.
#[derive(Debug)]
pub enum Model {
    /// Normalized n-gram counts (the lecture, first half).
    Counts(CountModel),
    /// One linear layer trained by gradient descent on all the data (the lecture, second half).
    Neural(NeuralModel),
    /// A network trained makemore.py's way: its type, its sizes, and the network.
    Network { kind: ModelType, cfg: ModelConfig, net: Box<dyn LanguageModel> },
}

impl Model {
    /// The model's type.
    pub fn kind(&self) -> ModelType {
        match self {
            Model::Counts(_) => ModelType::Counts,
            Model::Neural(_) => ModelType::Neural,
            Model::Network { kind, .. } => *kind,
        }
    }

    /// The model as a [`LanguageModel`].
    pub fn as_dyn(&self) -> &dyn LanguageModel {
        match self {
            Model::Counts(m) => m,
            Model::Neural(m) => m,
            Model::Network { net, .. } => net.as_ref(),
        }
    }

    /// A network's hyperparameters (none for the lecture's models).
    pub fn config(&self) -> ModelConfig {
        match self {
            Model::Network { cfg, .. } => cfg.clone(),
            _ => ModelConfig::default(),
        }
    }

    /// [`Model::new`] with the weights drawn or left to fill (a model file's), after checking
    /// the sizes.
    pub(super) fn checked(
        kind: ModelType,
        vocab: &Vocab,
        block_size: usize,
        cfg: &ModelConfig,
        p: nn::Params,
    ) -> Result<Model> {
        let cfg = cfg.for_type(kind)?;
        if block_size == 0 {
            let hint = "use the longest word plus one, as makemore.py does";
            let why = "a model reads at least one character";
            return Err(Error::param("block size", 0, why, hint));
        }
        let Some(build) = kind.spec().build else {
            let why = "the lecture's models are made another way";
            return Err(Error::param(
                "model type",
                kind,
                why,
                "use CountModel::fit or NeuralModel::new",
            ));
        };
        let net = build(vocab, block_size, &cfg, p)?;
        Ok(Model::Network { kind, cfg, net })
    }

    /// A network of makemore.py (`kind.is_makemore()`) with fresh weights, drawn from torch's
    /// generator as PyTorch draws them (seed it first: [`crate::with_torch_seed`]), reading
    /// `block_size` characters of context, on `device`.
    ///
    /// # Errors
    /// [`Error::Param`] for the lecture's types (made by [`CountModel::fit`] and
    /// [`NeuralModel::new`]), a block size of 0, or a config [`ModelConfig::for_type`] refuses.
    pub fn new(
        kind: ModelType,
        vocab: &Vocab,
        block_size: usize,
        cfg: &ModelConfig,
        device: Device,
    ) -> Result<Model> {
        Self::checked(kind, vocab, block_size, cfg, nn::Params::new(device))
    }

    /// Reads makemore.py's `model.pt` (the `state_dict` its training saves) as a network of
    /// `kind` with sizes `cfg`, on the vocabulary and block size of the words it was trained
    /// on: what makemore.py itself needs to read it back (`--type`, the sizes, `-i`).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::Model`] when it is not a
    /// `torch.save` archive, or its tensors do not fit a `kind` of these sizes.
    pub fn from_makemore_py(
        path: impl AsRef<Path>,
        kind: ModelType,
        cfg: &ModelConfig,
        vocab: &Vocab,
        block_size: usize,
    ) -> Result<Model> {
        file::load_pt(path.as_ref(), kind, cfg, vocab, block_size)
    }

    /// The model's tensors, by name (makemore.py's names for its networks): what training
    /// updates and a model file holds. A count model's are its counts.
    pub fn parameters(&self) -> Vec<(String, Tensor)> {
        self.as_dyn().parameters()
    }

    /// The number of numbers the model learns (a count model's counts count too).
    pub fn n_params(&self) -> usize {
        self.parameters().iter().map(|(_, t)| t.numel()).sum()
    }

    /// Saves the model to `path` atomically: into a temporary file beside it, renamed into place.
    ///
    /// # Errors
    /// [`Error::Io`] naming the path when its folder is missing or not writable; nothing is
    /// left behind.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        file::save(self, path.as_ref(), Vec::new())
    }

    /// Loads a model saved by [`Model::save`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::Model`] when it is truncated,
    /// corrupted, of another format version, or not a `makemore` model.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        Ok(file::load_on(path.as_ref(), Device::Cpu)?.0)
    }
}

impl LanguageModel for Model {
    fn vocab(&self) -> &Vocab {
        self.as_dyn().vocab()
    }
    fn block_size(&self) -> usize {
        self.as_dyn().block_size()
    }
    fn device(&self) -> Device {
        self.as_dyn().device()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.as_dyn().forward(x)
    }
    fn next_probs(&self, x: &Tensor) -> Result<Tensor> {
        self.as_dyn().next_probs(x)
    }
    fn log_likelihood(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        self.as_dyn().log_likelihood(x, y)
    }
    fn parameters(&self) -> Vec<(String, Tensor)> {
        self.as_dyn().parameters()
    }
    fn buffers(&self) -> Vec<(String, Tensor)> {
        self.as_dyn().buffers()
    }
    fn loss(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        self.as_dyn().loss(x, y)
    }
    fn max_len(&self) -> Option<usize> {
        self.as_dyn().max_len()
    }
}

impl From<CountModel> for Model {
    fn from(m: CountModel) -> Self {
        Model::Counts(m)
    }
}

impl From<NeuralModel> for Model {
    fn from(m: NeuralModel) -> Self {
        Model::Neural(m)
    }
}
