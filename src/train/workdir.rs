//! Where a training run keeps what it makes: a work dir (makemore.py's `-o`: the best model
//! `model.mm`, the loss log `losses.csv` and `losses.png`, or makemore.py's own `model.pt`) or one
//! model file (`--out`). [`Output`] owns its rules: what is in it, which model `--resume`
//! continues, what training may replace, and whether the model saved there is the one asked for.

use std::path::{Path, PathBuf};

use tch::Device;

use super::Checkpoint;
use crate::data::{block_size, read_words, Vocab};
use crate::error::{Error, Result};
use crate::model::{LanguageModel, Model, ModelConfig, ModelType};

/// The model file of a work dir.
pub const MODEL_FILE: &str = "model.mm";
/// makemore.py's model file in its work dir: `--resume` reads it when there is no `model.mm`.
pub const MAKEMORE_PY_FILE: &str = "model.pt";

/// A work dir, or a single model file.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    model: PathBuf,
    dir: Option<PathBuf>,
}

/// What the saved model must be for the command at hand.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Expect {
    /// Its type, when the command line names one.
    pub kind: Option<ModelType>,
    /// `Some(true)`: a model of a text; `Some(false)`: a model of words; `None`: either.
    pub text: Option<bool>,
}

impl Output {
    /// The work dir `dir`: its model is `dir/model.mm`, its loss log beside it.
    pub fn dir(dir: impl Into<PathBuf>) -> Output {
        let dir = dir.into();
        Output { model: dir.join(MODEL_FILE), dir: Some(dir) }
    }

    /// The model file `path`, with no loss log.
    pub fn file(path: impl Into<PathBuf>) -> Output {
        Output { model: path.into(), dir: None }
    }

    /// The model's path.
    pub fn model_path(&self) -> &Path {
        &self.model
    }

    /// The folder of the loss log (`None` for a single model file).
    pub fn log_dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Fails before any work when training would replace a model (unless `resume` continues it
    /// or `overwrite` says so), or could not save one.
    ///
    /// # Errors
    /// [`Error::Saved`] for a model training would replace or a model path that is a folder;
    /// [`Error::Io`] for a model file's folder that is missing or not writable.
    pub fn check_writable(&self, resume: bool, overwrite: bool) -> Result<()> {
        if !resume && !overwrite && self.model.is_file() {
            return Err(self.saved(
                "holds a trained model that training would replace",
                "continue it with --resume, train into another work dir (-o) or file (--out), or start over with --overwrite".into(),
            ));
        }
        if self.model.is_dir() {
            return Err(
                self.saved("is a directory", "--out names a model file, -o a work dir".into())
            );
        }
        match &self.dir {
            None => crate::io::check_folder(&self.model),
            Some(_) => Ok(()),
        }
    }

    /// Makes the work dir if it is missing (a model file's folder must exist).
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be made.
    pub fn create(&self) -> Result<()> {
        self.dir.as_deref().map_or(Ok(()), crate::io::create_dir)
    }

    /// The saved model and where its training stood, checked against `expect` (the one place
    /// that checks a saved model's type).
    ///
    /// # Errors
    /// [`Error::NoModel`] for a work dir without a model; as [`Checkpoint::load`];
    /// [`Error::Saved`] for a model of another type, or of words where a text is expected (or
    /// the other way round).
    pub fn load(&self, device: Device, expect: Expect) -> Result<Checkpoint> {
        if let (Some(dir), false) = (&self.dir, self.model.exists()) {
            return Err(Error::NoModel { dir: dir.clone(), file: MODEL_FILE });
        }
        let checkpoint = Checkpoint::load(&self.model, device)?;
        let saved = checkpoint.model.kind();
        if let Some(asked) = expect.kind.filter(|&k| k != saved) {
            let hint = format!("use --type {saved}, or another work dir");
            return Err(self.saved(&format!("holds a {saved} model, not {asked}"), hint));
        }
        match (expect.text, checkpoint.model.vocab().is_text()) {
            (Some(false), true) => Err(self.saved(
                "holds a model of a text, not of words",
                "add --text FILE, or run `makemore sample -o DIR -n 500`".into(),
            )),
            (Some(true), false) => Err(self.saved(
                "holds a model of words, not of a text",
                "sample it without --text, or train one on the text into another work dir".into(),
            )),
            _ => Ok(checkpoint),
        }
    }

    /// makemore.py's own `model.pt` in a work dir that has no `model.mm`, read as makemore.py
    /// reads it: a network of `kind` and sizes `cfg` on the vocabulary of the words in
    /// `words_file`. `None` when there is none to read.
    ///
    /// # Errors
    /// As [`crate::data::read_words`] and [`Model::from_makemore_py`].
    pub fn makemore_py(
        &self,
        kind: ModelType,
        cfg: &ModelConfig,
        words_file: &Path,
    ) -> Result<Option<Model>> {
        let Some(pt) = self.dir.as_ref().map(|d| d.join(MAKEMORE_PY_FILE)) else {
            return Ok(None);
        };
        if self.model.exists() || !pt.exists() {
            return Ok(None);
        }
        let words = read_words(words_file)?;
        let vocab = Vocab::from_words(&words)?;
        Model::from_makemore_py(&pt, kind, cfg, &vocab, block_size(&words)).map(Some)
    }

    fn saved(&self, why: &str, hint: String) -> Error {
        Error::Saved { path: self.model.clone(), why: why.to_string(), hint }
    }
}
