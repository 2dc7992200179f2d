//! Model files: one [safetensors](https://github.com/huggingface/safetensors) file, written and
//! read by `tch`, holding a header, the vocabulary and the model's tensors.
//!
//! | tensor        | kind  | holds                                                        |
//! |---------------|-------|--------------------------------------------------------------|
//! | `makemore`    | Int64 | `[magic, format version]`                                    |
//! | `type`        | UInt8 | the [`ModelType`]'s name in UTF-8 (`gru`); in version 3 files, Int64, its position in [`V3_TYPES`] |
//! | `block_size`  | Int64 | characters of context                                        |
//! | `smoothing`   | F64   | add-k smoothing of a count model (0 otherwise)              |
//! | `config.<name>` | F64 | a network's hyperparameters, by name (`config.n_embd`); in version 3 and 4 files, `config`, Int64 `[n_layer, n_head, n_embd, n_embd2]` |
//! | `vocab`       | Int32 | the characters as Unicode code points, `.` first             |
//! | `text`        | Int64 | `[1]` for a model of a text (no boundary token); absent for words |
//! | `dropout`     | F64   | in version 3 and 4 files, a network's dropout (absent: 0)    |
//! | `p.<name>`    | any   | the model's tensors: `p.counts`, `p.w`, makemore.py's names  |
//! | `b.<name>`    | any   | its buffers: BatchNorm's running statistics (wavenet)        |
//! | `train.*`     | any   | where training stopped, for `--resume` (see `crate::train`)  |
//! | `checksum`    | Int64 | FNV-1a of all the above, in name order, to catch corruption  |
//!
//! Loading reads the file, checks the header, then builds the model with its constructor, which
//! checks the tensors as it checks any other.

use std::collections::BTreeMap;
use std::path::Path;

use tch::{Kind, Tensor};

use super::nn::Params;
use super::{CountModel, LanguageModel, Model, ModelConfig, ModelType, NeuralModel};
use crate::data::Vocab;
use crate::error::{Error, Result};

/// "makemore" in ASCII, read as a big-endian number: marks the file as ours.
const MAGIC: i64 = 0x6d61_6b65_6d6f_7265;
/// The format version; bump it when the layout changes. Version 5: the hyperparameters by name.
/// Read too: version 4, the type by its name and makemore.py's four sizes in one tensor, and
/// version 3, the type by its position in the list of types of that version, [`V3_TYPES`].
/// Older files are refused with a line that says so (train the model again).
const VERSION: i64 = 5;
/// The sizes of version 3 and 4 files' `config` tensor, in its order.
const V4_CONFIG: [&str; 4] = ["n_layer", "n_head", "n_embd", "n_embd2"];
/// The list of types as version 3 files number them, frozen: a type added since has no number.
const V3_TYPES: [&str; 10] =
    ["counts", "neural", "bigram", "mlp", "rnn", "gru", "bow", "transformer", "wavenet", "gpt"];

/// Saves `model`, and `extra` tensors (named `train.*`) beside it.
pub(crate) fn save(model: &Model, path: &Path, extra: Vec<(String, Tensor)>) -> Result<()> {
    let codes: Vec<i32> = model.vocab().chars().iter().map(|&c| c as i32).collect();
    let smoothing = match model {
        Model::Counts(m) => m.smoothing(),
        _ => 0.0,
    };
    let mut tensors: BTreeMap<String, Tensor> = BTreeMap::new();
    tensors.insert("makemore".into(), Tensor::from_slice(&[MAGIC, VERSION]));
    tensors.insert("type".into(), Tensor::from_slice(model.kind().name().as_bytes()));
    tensors.insert("block_size".into(), Tensor::from_slice(&[model.block_size() as i64]));
    tensors.insert("smoothing".into(), Tensor::from_slice(&[smoothing]));
    for (name, value) in model.config().iter() {
        tensors.insert(format!("config.{name}"), Tensor::from_slice(&[value]));
    }
    tensors.insert("vocab".into(), Tensor::from_slice(&codes));
    if model.vocab().is_text() {
        tensors.insert("text".into(), Tensor::from_slice(&[1i64]));
    }
    if let Some((_, text)) = model.vocab().tokenizer() {
        // a model of byte-pair tokens keeps its tokenizer (minbpe's .model text): sampling and
        // resuming decode with it, wherever the .model file went
        tensors.insert("tokenizer".into(), Tensor::from_slice(text.as_bytes()));
    }
    let params = model.parameters().into_iter().map(|(name, t)| (format!("p.{name}"), t));
    let buffers = model.buffers().into_iter().map(|(name, t)| (format!("b.{name}"), t));
    for (name, t) in params.chain(buffers).chain(extra) {
        tensors.insert(name, t.f_detach()?.f_to(tch::Device::Cpu)?.f_contiguous()?);
    }
    let sum = checksum(&tensors)?;
    tensors.insert("checksum".into(), Tensor::from_slice(&[sum as i64]));
    let list: Vec<(&str, Tensor)> =
        tensors.iter().map(|(k, v)| (k.as_str(), v.shallow_clone())).collect();
    crate::io::write_atomic_with(path, |tmp| {
        Tensor::write_safetensors(&list, tmp).map_err(|e| std::io::Error::other(e.to_string()))
    })
}

/// FNV-1a (64 bit) over each tensor's name, kind, shape and bytes, in name order.
fn checksum(tensors: &BTreeMap<String, Tensor>) -> Result<u64> {
    let mut h = crate::io::Fnv::default();
    for (name, t) in tensors.iter().filter(|(name, _)| *name != "checksum") {
        h.eat(name.as_bytes());
        h.eat(format!("{:?}{:?}", t.kind(), t.size()).as_bytes());
        let t = t.f_contiguous()?;
        let mut bytes = vec![0u8; t.numel() * t.kind().elt_size_in_bytes()];
        t.f_copy_data_u8(&mut bytes, t.numel())?;
        h.eat(&bytes);
    }
    Ok(h.finish())
}

/// Loads a model onto `device` (the lecture's stay on the CPU), and the `train.*` tensors saved
/// beside it.
pub(crate) fn load_on(
    path: &Path,
    device: tch::Device,
) -> Result<(Model, BTreeMap<String, Tensor>)> {
    let tensors = read(path)?;
    let bad = |why: String| bad_file(path, why);
    let ints = |name: &str, len: usize| -> Result<Vec<i64>> {
        let t = tensors.get(name).ok_or_else(|| bad(format!("it has no `{name}` tensor")))?;
        match Vec::<i64>::try_from(t) {
            Ok(v) if t.kind() == Kind::Int64 && v.len() == len => Ok(v),
            _ => Err(bad(format!(
                "its `{name}` tensor is {:?} {:?}, expected {len} Int64",
                t.kind(),
                t.size()
            ))),
        }
    };
    // What kind of file this is: the marker first, so a stranger file says so.
    let marker = ints("makemore", 2)
        .map_err(|_| bad("it is not a makemore model file (it has no `makemore` marker)".into()))?;
    if marker[0] != MAGIC {
        return Err(bad("it is not a makemore model file (its marker is wrong)".into()));
    }
    if marker[1] < 3 {
        return Err(bad(format!(
            "it was written by an older makemore (format version {}; this one reads 3 to {VERSION})",
            marker[1]
        )));
    }
    if marker[1] > VERSION {
        return Err(bad(format!(
            "it was written by a newer makemore (format version {}; this one reads {VERSION})",
            marker[1]
        )));
    }
    let sum = ints("checksum", 1)?[0];
    if checksum(&tensors)? as i64 != sum {
        return Err(bad("its checksum does not match its contents: the file is corrupted".into()));
    }
    let name = match marker[1] {
        3 => usize::try_from(ints("type", 1)?[0])
            .ok()
            .and_then(|i| V3_TYPES.get(i))
            .map(|n| n.to_string()),
        _ => tensors
            .get("type")
            .filter(|t| t.kind() == Kind::Uint8 && t.dim() == 1)
            .and_then(|t| Vec::<u8>::try_from(t).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    };
    let kind = name.as_deref().and_then(|n| n.parse::<ModelType>().ok()).ok_or_else(|| {
        let name = name.as_deref().unwrap_or("unreadable");
        bad(format!(
            "its model type ({name}) is not one this makemore knows: a newer makemore wrote it"
        ))
    })?;
    let block_size = ints("block_size", 1)?[0];
    let vocab =
        read_vocab(&tensors, path).map_err(|e| bad(format!("its vocabulary is invalid: {e}")))?;
    let param = |name: &str| -> Result<Tensor> {
        tensors
            .get(name)
            .map(|t| t.shallow_clone())
            .ok_or_else(|| bad(format!("it has no `{name}` tensor for its {kind} model")))
    };
    let invalid = |e: Error| bad(e.to_string());
    let model = match kind {
        ModelType::Counts => {
            let smoothing = tensors
                .get("smoothing")
                .ok_or_else(|| bad("it has no `smoothing` tensor".into()))?;
            let smoothing = smoothing.f_double_value(&[0])?;
            Model::Counts(
                CountModel::from_counts(&param("p.counts")?, &vocab, smoothing).map_err(invalid)?,
            )
        }
        ModelType::Neural => {
            Model::Neural(NeuralModel::from_weights(&vocab, param("p.w")?).map_err(invalid)?)
        }
        _ => {
            let cfg = match marker[1] {
                3 | 4 => old_config(&ints("config", 4)?, tensors.get("dropout"))?,
                _ => config(&tensors, kind).map_err(bad)?,
            };
            let block = usize::try_from(block_size)
                .map_err(|_| bad(format!("its block size {block_size} is negative")))?;
            let model = Model::checked(kind, &vocab, block, &cfg, Params::with(device, false))
                .map_err(invalid)?;
            let params = model.parameters().into_iter().map(|(n, t)| (format!("p.{n}"), t));
            let buffers = model.buffers().into_iter().map(|(n, t)| (format!("b.{n}"), t));
            for (name, mut t) in params.chain(buffers) {
                let saved = param(&name)?;
                if saved.size() != t.size() || saved.kind() != t.kind() {
                    return Err(bad(format!(
                        "its `{name}` is {:?} {:?}, its config makes {:?} {:?}",
                        saved.kind(),
                        saved.size(),
                        t.kind(),
                        t.size()
                    )));
                }
                tch::no_grad(|| t.f_copy_(&saved))?;
            }
            model
        }
    };
    let params = tensors.keys().filter(|k| k.starts_with("p.") || k.starts_with("b.")).count();
    if model.block_size() as i64 != block_size
        || params != model.parameters().len() + model.buffers().len()
    {
        return Err(bad(format!(
            "its {params} tensors or block size {block_size} do not match its {kind} model"
        )));
    }
    let extra = tensors.into_iter().filter(|(k, _)| k.starts_with("train.")).collect();
    Ok((model, extra))
}

/// The hyperparameters of a version 5 file: its `config.<name>` tensors, each a name `kind`
/// has (a name it lacks: a newer makemore wrote the file).
fn config(
    tensors: &BTreeMap<String, Tensor>,
    kind: ModelType,
) -> std::result::Result<ModelConfig, String> {
    let mut cfg = ModelConfig::default();
    for (key, t) in tensors.iter().filter(|(k, _)| k.starts_with("config.")) {
        let name = &key["config.".len()..];
        let hyper = kind.spec().hypers.iter().find(|h| h.name == name).ok_or_else(|| {
            format!(
                "its {kind} has a `{name}` this makemore does not know: a newer makemore wrote it"
            )
        })?;
        match (t.kind(), t.numel()) {
            (Kind::Double, 1) => {
                cfg = cfg.with(hyper.name, t.f_double_value(&[0]).map_err(|e| e.to_string())?)
            }
            (k, n) => return Err(format!("its `{key}` is {n} {k:?}, expected one F64")),
        }
    }
    Ok(cfg)
}

/// The sizes (and dropout) of a version 3 or 4 file.
fn old_config(sizes: &[i64], dropout: Option<&Tensor>) -> Result<ModelConfig> {
    let mut cfg = ModelConfig::default();
    for (name, &size) in V4_CONFIG.iter().zip(sizes) {
        cfg = cfg.with(name, size as f64);
    }
    match dropout {
        Some(t) => Ok(cfg.with("dropout", t.f_double_value(&[0])?)),
        None => Ok(cfg),
    }
}

/// All tensors of a safetensors file, by name; a missing, unreadable or foreign file is an error
/// that says which.
fn read(path: &Path) -> Result<BTreeMap<String, Tensor>> {
    let opened = std::fs::File::open(path).and_then(|f| match f.metadata()?.is_dir() {
        true => Err(std::io::Error::other("it is a directory")),
        false => Ok(()),
    });
    if let Err(source) = opened {
        let missing = "check the path, or train and save a model there first";
        return Err(crate::io::read_error(path, source, "a model file saved by makemore", missing));
    }
    let list = Tensor::read_safetensors(path).map_err(|e| {
        let detail = match e {
            tch::TchError::SafeTensorError { err, .. } => err.to_string(),
            e => e.to_string(),
        };
        bad_file(
            path,
            format!("it is truncated, corrupted, or not a makemore model file ({detail})"),
        )
    })?;
    Ok(list.into_iter().collect())
}

/// The vocabulary: code points, `.` first, each once; or the tokenizer of byte-pair tokens.
fn read_vocab(tensors: &BTreeMap<String, Tensor>, path: &Path) -> Result<Vocab> {
    if let Some(t) = tensors.get("tokenizer") {
        let text = Vec::<u8>::try_from(t).ok().and_then(|b| String::from_utf8(b).ok());
        let text = text.ok_or_else(|| bad_file(path, "its tokenizer is not text".to_string()))?;
        return Vocab::from_tokenizer_model(&text, path);
    }
    let codes = tensors
        .get("vocab")
        .filter(|t| t.kind() == Kind::Int && t.dim() == 1)
        .map(Vec::<i32>::try_from)
        .ok_or_else(|| {
            Error::param(
                "vocab",
                "missing",
                "it must be a list of characters",
                "train the model again",
            )
        })??;
    let chars: Option<String> =
        codes.iter().map(|&c| u32::try_from(c).ok().and_then(char::from_u32)).collect();
    let chars = chars.ok_or_else(|| {
        Error::param("vocab", "a number", "it is not a character", "train the model again")
    })?;
    match tensors.contains_key("text") {
        true => Vocab::from_text_chars(&chars),
        false => Vocab::from_chars(&chars),
    }
}

/// makemore.py's `model.pt`, the `state_dict` its training saves with `torch.save`, as a network
/// of `kind` with the sizes `cfg`, the vocabulary and block size of its words: what makemore.py
/// itself needs to read it back. The file is decoded by `super::pt`, which builds tensors and
/// dicts only and runs nothing from the pickle.
pub(crate) fn load_pt(
    path: &Path,
    kind: ModelType,
    cfg: &ModelConfig,
    vocab: &Vocab,
    block_size: usize,
) -> Result<Model> {
    let bad = |why: String| Error::Model {
        path: path.to_path_buf(),
        why,
        hint: "give the --type, sizes and words file it was trained with",
    };
    let bytes = std::fs::read(path).map_err(|source| {
        crate::io::read_error(path, source, "makemore.py's model.pt", "check the path")
    })?;
    let saved = super::pt::read_state_dict(&bytes).map_err(bad)?;
    let model =
        Model::checked(kind, vocab, block_size, cfg, Params::with(tch::Device::Cpu, false))?;
    let ours = model.parameters();
    for (name, mut t) in ours.iter().map(|(n, t)| (n, t.shallow_clone())) {
        let Some(p) = saved.get(name) else {
            return Err(bad(format!("it has no `{name}`: it is not makemore.py's {kind}")));
        };
        if p.size() != t.size() {
            let why = format!(
                "its `{name}` is {:?}, a {kind} of these sizes has {:?}",
                p.size(),
                t.size()
            );
            return Err(bad(why));
        }
        tch::no_grad(|| t.f_copy_(p))?;
    }
    // makemore.py's state_dicts also hold the causal masks of attention and BoW (buffers)
    let mask = |n: &str| n.ends_with("attn.bias") || n.ends_with("cbow.bias");
    if let Some(extra) = saved.keys().find(|n| !mask(n) && !ours.iter().any(|(o, _)| o == *n)) {
        return Err(bad(format!("it has a `{extra}` that makemore.py's {kind} lacks")));
    }
    Ok(model)
}

/// A model-file error with the usual hint.
fn bad_file(path: &Path, why: impl Into<String>) -> Error {
    Error::Model {
        path: path.to_path_buf(),
        why: why.into(),
        hint: "train and save the model again with this version of makemore",
    }
}
