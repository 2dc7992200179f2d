//! GPT-2 in Hugging Face's layout, as `from_pretrained` reads OpenAI's checkpoint in the lecture:
//! a folder with `config.json` (`n_layer`, `n_head`, `n_embd`, `n_positions`, `vocab_size`) and
//! `model.safetensors`, whose names are ours with or without the `transformer.` prefix, whose
//! four Conv1D weights (`attn.c_attn`, `attn.c_proj`, `mlp.c_fc`, `mlp.c_proj`) are stored
//! transposed, whose `attn.bias` and `attn.masked_bias` buffers are masks to skip, and whose
//! `lm_head.weight`, when present, is `wte`'s (tied). [`Gpt2::save_pretrained`] writes the same
//! layout, as `GPT2LMHeadModel.save_pretrained` does.

use std::collections::BTreeMap;
use std::path::Path;

use tch::Tensor;

use super::{Config, Gpt2};
use crate::error::{Error, Result};
use crate::nn::Params;

/// The weights stored transposed: OpenAI's checkpoint uses a Conv1D module, `(in, out)`.
const TRANSPOSED: [&str; 4] =
    ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"];

fn bad(dir: &Path, why: String) -> Error {
    let hint = "give a folder of GPT-2 in Hugging Face's layout (config.json, model.safetensors)";
    Error::Model { path: dir.to_path_buf(), why, hint }
}

impl Gpt2 {
    /// The GPT-2 of the Hugging Face folder `dir` (OpenAI's 124M as `huggingface-cli download
    /// gpt2` puts it, or a folder [`Gpt2::save_pretrained`] wrote).
    ///
    /// # Errors
    /// [`Error::Model`] for a missing or unreadable `config.json` or `model.safetensors`, sizes
    /// [`Config::check`] refuses, or a tensor missing (named) or of the wrong shape.
    pub fn from_pretrained(dir: impl AsRef<Path>) -> Result<Gpt2> {
        let dir = dir.as_ref();
        let config = read_config(dir)?;
        let file = dir.join("model.safetensors");
        if !file.is_file() {
            return Err(bad(dir, "it has no model.safetensors".into()));
        }
        let saved: BTreeMap<String, Tensor> = Tensor::read_safetensors(&file)
            .map_err(|e| bad(dir, format!("its model.safetensors is unreadable ({e})")))?
            .into_iter()
            .map(|(name, t)| (name.strip_prefix("transformer.").unwrap_or(&name).to_string(), t))
            .collect();
        let model = Gpt2::build(&config, Params::with(tch::Device::Cpu, false), false)?;
        for (name, mut ours) in model.parameters() {
            let key = name.strip_prefix("transformer.").unwrap_or(&name);
            let theirs = match (saved.get(key), key) {
                (Some(t), _) => t,
                (None, "wte.weight") => saved.get("lm_head.weight").ok_or_else(|| {
                    bad(dir, "it has neither `wte.weight` nor `lm_head.weight`".into())
                })?,
                (None, _) => return Err(bad(dir, format!("it has no `{key}` tensor"))),
            };
            let theirs = match TRANSPOSED.iter().any(|w| key.ends_with(w)) {
                true => theirs.f_transpose(0, 1)?,
                false => theirs.shallow_clone(),
            };
            if theirs.size() != ours.size() {
                let (got, want) = (theirs.size(), ours.size());
                let why = format!("its `{key}` is {got:?}, its config.json makes {want:?}");
                return Err(bad(dir, why));
            }
            tch::no_grad(|| ours.f_copy_(&theirs))?;
        }
        Ok(model)
    }

    /// Writes the model into the folder `dir` (made if missing) in Hugging Face's layout:
    /// `config.json` and `model.safetensors` (the Conv1D weights transposed, `lm_head` left to
    /// the tie), each file written whole or not at all.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder or a file cannot be written.
    pub fn save_pretrained(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|cause| Error::Io {
            action: "create",
            path: dir.into(),
            cause,
            hint: "check that the path is a folder you can write to".into(),
        })?;
        let c = &self.config;
        let config = format!(
            "{{\n  \"architectures\": [\"GPT2LMHeadModel\"],\n  \"model_type\": \"gpt2\",\n  \
             \"activation_function\": \"gelu_new\",\n  \"layer_norm_epsilon\": 1e-05,\n  \
             \"n_ctx\": {0},\n  \"n_positions\": {0},\n  \"vocab_size\": {1},\n  \
             \"n_layer\": {2},\n  \"n_head\": {3},\n  \"n_embd\": {4},\n  \
             \"tie_word_embeddings\": true\n}}\n",
            c.block_size, c.vocab_size, c.n_layer, c.n_head, c.n_embd
        );
        crate::io::write_atomic(&dir.join("config.json"), config.as_bytes())?;
        let mut tensors = Vec::new();
        for (name, t) in self.parameters() {
            let t = match TRANSPOSED.iter().any(|w| name.ends_with(w)) {
                true => t.f_transpose(0, 1)?.f_contiguous()?,
                false => t.f_detach()?,
            };
            tensors.push((name, t));
        }
        crate::io::write_atomic_with(&dir.join("model.safetensors"), |tmp| {
            Tensor::write_safetensors(&tensors, tmp)
                .map_err(|e| std::io::Error::other(e.to_string()))
        })
    }
}

/// The sizes in `dir/config.json`.
fn read_config(dir: &Path) -> Result<Config> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| bad(dir, format!("it has no readable config.json ({e})")))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| bad(dir, format!("its config.json is not JSON ({e})")))?;
    let size = |key: &str| -> Result<usize> {
        json[key]
            .as_u64()
            .map(|n| n as usize)
            .ok_or_else(|| bad(dir, format!("its config.json has no whole number `{key}`")))
    };
    let config = Config {
        block_size: size("n_positions")?,
        vocab_size: size("vocab_size")?,
        n_layer: size("n_layer")?,
        n_head: size("n_head")?,
        n_embd: size("n_embd")?,
    };
    config.check().map_err(|e| bad(dir, format!("its config.json: {e}")))?;
    Ok(config)
}
