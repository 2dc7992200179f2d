//! Saving a trained model to one file and loading it back: the count model or the neural net,
//! with its vocabulary, context and smoothing. Used by the `makemore` command line.
//!
//! The file is [safetensors](https://github.com/huggingface/safetensors), written and read by
//! `tch`: a small JSON header, then the raw tensors.
//!
//! | tensor      | kind  | shape       | holds                                        |
//! |-------------|-------|-------------|----------------------------------------------|
//! | `makemore`  | Int64 | `[2]`       | the magic number and the format version      |
//! | `kind`      | Int64 | `[1]`       | 0 = count model, 1 = neural model            |
//! | `context`   | Int64 | `[1]`       | characters of context (1 = bigram)           |
//! | `smoothing` | F64   | `[1]`       | add-k smoothing of a count model (0 if neural) |
//! | `vocab`     | Int32 | `[V]`       | the characters as Unicode code points, `.` first |
//! | `counts`    | Int32 | `[V^n, V]`  | a count model's counts                       |
//! | `w`         | F32   | `[V^n, V]`  | a neural model's weights                     |
//! | `checksum`  | Int64 | `[1]`       | FNV-1a of all the above, to catch corruption |

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tch::{Kind, Tensor};

use crate::error::{Error, Result};
use crate::model::LanguageModel;
use crate::neural::NeuralModel;
use crate::ngram::{context_rows, CountModel};
use crate::vocab::{Vocab, BOUNDARY};

/// "makemore" in ASCII, read as a big-endian number: marks the file as ours.
const MAGIC: i64 = 0x6d61_6b65_6d6f_7265;
/// The format version; bump it when the layout changes.
const VERSION: i64 = 1;

const KIND_COUNTS: i64 = 0;
const KIND_NEURAL: i64 = 1;

const HINT_RETRAIN: &str =
    "train and save the model again, e.g. `makemore train --input FILE --model counts --out MODEL`";

/// A model of either kind, as saved and loaded.
#[derive(Debug)]
pub enum Model {
    /// Normalized counts (the first half of the lecture).
    Counts(CountModel),
    /// One linear layer trained by gradient descent (the second half).
    Neural(NeuralModel),
}

impl Model {
    /// `"counts"` or `"neural"`, as the command line spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Model::Counts(_) => "counts",
            Model::Neural(_) => "neural",
        }
    }

    fn as_dyn(&self) -> &dyn LanguageModel {
        match self {
            Model::Counts(m) => m,
            Model::Neural(m) => m,
        }
    }

    /// Saves the model to `path` (see [`save_counts`] and [`save_neural`]).
    ///
    /// # Errors
    /// As [`save_counts`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        match self {
            Model::Counts(m) => save_counts(m, path),
            Model::Neural(m) => save_neural(m, path),
        }
    }

    /// Loads a model saved by [`Model::save`].
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::Model`] when it is truncated,
    /// corrupted, or not a `makemore` model.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        load(path.as_ref())
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

impl LanguageModel for Model {
    fn vocab(&self) -> &Vocab {
        self.as_dyn().vocab()
    }
    fn context(&self) -> usize {
        self.as_dyn().context()
    }
    fn next_probs(&self, row: i64) -> Result<Tensor> {
        self.as_dyn().next_probs(row)
    }
    fn probs(&self, xs: &Tensor, ys: &Tensor) -> Result<Tensor> {
        self.as_dyn().probs(xs, ys)
    }
}

/// Saves a count model (counts, vocabulary, context, smoothing) to `path`, atomically: into a
/// temporary file beside it, then renamed into place.
///
/// # Errors
/// [`Error::Io`] naming the path when its folder is missing or not writable; nothing is left
/// behind.
pub fn save_counts(model: &CountModel, path: impl AsRef<Path>) -> Result<()> {
    let counts = model.counts.f_to_kind(Kind::Int)?.f_contiguous()?; // (V^n, V)
    save(
        path.as_ref(),
        model,
        KIND_COUNTS,
        model.smoothing(),
        "counts",
        counts,
    )
}

/// Saves a neural model (weights, vocabulary, context) to `path`, as [`save_counts`] does.
///
/// # Errors
/// As [`save_counts`].
pub fn save_neural(model: &NeuralModel, path: impl AsRef<Path>) -> Result<()> {
    let w = model.w.f_detach()?.f_to_kind(Kind::Float)?.f_contiguous()?; // (V^n, V)
    save(path.as_ref(), model, KIND_NEURAL, 0.0, "w", w)
}

fn save(
    path: &Path,
    model: &dyn LanguageModel,
    kind: i64,
    smoothing: f64,
    name: &'static str,
    table: Tensor,
) -> Result<()> {
    let codes: Vec<i32> = model.vocab().chars().iter().map(|&c| c as i32).collect();
    let mut tensors = vec![
        ("makemore", Tensor::from_slice(&[MAGIC, VERSION])),
        ("kind", Tensor::from_slice(&[kind])),
        ("context", Tensor::from_slice(&[model.context() as i64])),
        ("smoothing", Tensor::from_slice(&[smoothing])),
        ("vocab", Tensor::from_slice(&codes)),
        (name, table),
    ];
    let sum = checksum(&tensors)?;
    tensors.push(("checksum", Tensor::from_slice(&[sum as i64])));
    write_safetensors_atomic(path, &tensors)
}

/// Writes the tensors through [`crate::io::write_atomic_with`]: a temporary file, renamed into
/// place, removed on any error.
fn write_safetensors_atomic(path: &Path, tensors: &[(&str, Tensor)]) -> Result<()> {
    crate::io::write_atomic_with(path, |tmp| {
        Tensor::write_safetensors(tensors, tmp).map_err(|e| std::io::Error::other(e.to_string()))
    })
}

/// FNV-1a (64 bit) over each tensor's name, kind, shape and bytes, in order.
fn checksum(tensors: &[(&str, Tensor)]) -> Result<u64> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for (name, t) in tensors {
        eat(name.as_bytes());
        eat(format!("{:?}{:?}", t.kind(), t.size()).as_bytes());
        let t = t.f_contiguous()?;
        let numel = t.numel();
        let mut bytes = vec![0u8; numel * t.kind().elt_size_in_bytes()];
        t.f_copy_data_u8(&mut bytes, numel)?;
        eat(&bytes);
    }
    Ok(h)
}

fn load(path: &Path) -> Result<Model> {
    // A missing or unreadable file is an I/O error, with the usual hints.
    if let Err(source) = std::fs::File::open(path).and_then(|f| {
        if f.metadata()?.is_dir() {
            Err(std::io::Error::other("it is a directory"))
        } else {
            Ok(())
        }
    }) {
        let hint = match source.kind() {
            std::io::ErrorKind::NotFound => {
                "check the path; make a model with `makemore train --input FILE --model counts --out MODEL`"
            }
            std::io::ErrorKind::PermissionDenied => {
                "check the file's permissions (`ls -l`), or copy it somewhere readable"
            }
            _ if path.is_dir() => "that is a directory: pass the path of a model file inside it",
            _ => "pass the path of a model file saved by `makemore train`",
        };
        return Err(Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
            hint: hint.to_string(),
        });
    }
    let bad = |why: String| Error::Model {
        path: path.to_path_buf(),
        why,
        hint: HINT_RETRAIN,
    };
    let list = Tensor::read_safetensors(path).map_err(|e| {
        let detail = match e {
            tch::TchError::SafeTensorError { err, .. } => err.to_string(),
            e => e.to_string(),
        };
        bad(format!(
            "it is truncated, corrupted, or not a makemore model file ({detail})"
        ))
    })?;
    let tensors: HashMap<String, Tensor> = list.into_iter().collect();
    let file = Loaded {
        path: path.to_path_buf(),
        tensors,
    };

    // What kind of file this is: the marker first, so a stranger file says so.
    let marker = file
        .tensor("makemore", Kind::Int64, Some(&[2]))
        .map_err(|_| {
            bad("it is not a makemore model file (it has no `makemore` marker)".to_string())
        })?;
    let magic = file.ints(&marker)?;
    if magic[0] != MAGIC {
        return Err(bad(
            "it is not a makemore model file (its marker is wrong)".to_string()
        ));
    }
    if magic[1] != VERSION {
        return Err(bad(format!(
            "it has format version {}, this makemore reads version {VERSION}",
            magic[1]
        )));
    }
    let kind_t = file.tensor("kind", Kind::Int64, Some(&[1]))?;
    let context_t = file.tensor("context", Kind::Int64, Some(&[1]))?;
    let smoothing_t = file.tensor("smoothing", Kind::Double, Some(&[1]))?;
    let vocab_t = file.tensor("vocab", Kind::Int, None)?;
    let checksum_t = file.tensor("checksum", Kind::Int64, Some(&[1]))?;
    let kind = file.ints(&kind_t)?[0];
    let (table_name, table_kind) = match kind {
        KIND_COUNTS => ("counts", Kind::Int),
        KIND_NEURAL => ("w", Kind::Float),
        k => return Err(bad(format!("it has an unknown model kind {k}"))),
    };
    let table = file.tensor(table_name, table_kind, None)?;

    // The checksum catches flipped bytes that still parse.
    let ordered = [
        ("makemore", marker),
        ("kind", kind_t),
        ("context", context_t.shallow_clone()),
        ("smoothing", smoothing_t.shallow_clone()),
        ("vocab", vocab_t.shallow_clone()),
        (table_name, table.shallow_clone()),
    ];
    if checksum(&ordered)? as i64 != file.ints(&checksum_t)?[0] {
        return Err(bad(
            "its checksum does not match its contents: the file is corrupted".to_string(),
        ));
    }
    let context = file.ints(&context_t)?[0];
    let smoothing = smoothing_t.f_double_value(&[0])?;

    // The vocabulary: code points, `.` first, each once.
    if vocab_t.dim() != 1 {
        return Err(bad(format!(
            "its vocabulary is {:?}, expected a list of characters",
            vocab_t.size()
        )));
    }
    let codes = Vec::<i32>::try_from(&vocab_t).map_err(|e| bad(e.to_string()))?;
    let mut chars = String::with_capacity(codes.len());
    for &c in &codes {
        let ch = u32::try_from(c)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| {
                bad(format!(
                    "its vocabulary holds {c}, which is not a character"
                ))
            })?;
        chars.push(ch);
    }
    if !chars.starts_with(BOUNDARY) || chars.chars().count() < 2 {
        return Err(bad(
            "its vocabulary must start with '.' and hold at least one more character".to_string(),
        ));
    }
    let vocab =
        Vocab::from_chars(&chars).map_err(|e| bad(format!("its vocabulary is invalid: {e}")))?;

    // The table must be [V^context, V] for that vocabulary and context.
    let context =
        usize::try_from(context).map_err(|_| bad(format!("its context {context} is negative")))?;
    let rows = context_rows(&vocab, context).map_err(|e| bad(e.to_string()))? as i64;
    let v = vocab.len() as i64;
    if table.size() != [rows, v] {
        return Err(bad(format!(
            "its {table_name} table is {:?}, but a vocabulary of {v} and context {context} need [{rows}, {v}]",
            table.size()
        )));
    }
    match kind {
        KIND_COUNTS => {
            let model = CountModel::from_counts(table, &vocab, smoothing)
                .map_err(|e| bad(e.to_string()))?;
            Ok(Model::Counts(model))
        }
        _ => {
            let model = NeuralModel::from_weights(&vocab, table).map_err(|e| bad(e.to_string()))?;
            Ok(Model::Neural(model))
        }
    }
}

/// The tensors of a loaded file, with checked access.
struct Loaded {
    path: PathBuf,
    tensors: HashMap<String, Tensor>,
}

impl Loaded {
    fn bad(&self, what: String) -> Error {
        Error::Model {
            path: self.path.clone(),
            why: what,
            hint: HINT_RETRAIN,
        }
    }

    /// The tensor `name`, which must have `kind` and, if given, `shape`.
    fn tensor(&self, name: &str, kind: Kind, shape: Option<&[i64]>) -> Result<Tensor> {
        let t = self
            .tensors
            .get(name)
            .ok_or_else(|| self.bad(format!("it has no `{name}` tensor")))?;
        if t.kind() != kind || shape.is_some_and(|s| t.size() != s) {
            return Err(self.bad(format!(
                "its `{name}` tensor is {:?} {:?}, expected {kind:?} {}",
                t.kind(),
                t.size(),
                shape.map_or("of any shape".to_string(), |s| format!("{s:?}"))
            )));
        }
        Ok(t.shallow_clone())
    }

    /// The numbers of an Int64 tensor.
    fn ints(&self, t: &Tensor) -> Result<Vec<i64>> {
        Vec::<i64>::try_from(t).map_err(|e| self.bad(format!("cannot read a number: {e}")))
    }
}
