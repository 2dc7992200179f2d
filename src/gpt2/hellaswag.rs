//! HellaSwag as the lecture evaluates it (build-nanogpt's `hellaswag.py`, "completion style"):
//! each example's context followed by each of its 4 endings, as 4 rows of tokens; the ending
//! whose tokens have the lowest mean loss is the model's answer (`acc_norm`), the one with the
//! lowest summed loss its `acc` answer.

use std::path::Path;

use tch::{Kind, Tensor};

use super::Gpt2;
use crate::bpe::Tokenizer;
use crate::error::{Error, Result};

/// One example of HellaSwag's jsonl: `ctx`, four `endings`, the right one's index `label`.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub ctx: String,
    pub endings: [String; 4],
    pub label: usize,
}

/// The examples of a HellaSwag jsonl file (`hellaswag_val.jsonl`: 10,042 of them), in order.
///
/// # Errors
/// [`Error::Io`] for a file that cannot be read; [`Error::Saved`] naming the line of one that is
/// not an example (not JSON, no `ctx`, not 4 `endings`, a `label` not 0-3).
pub fn read_examples(path: &Path) -> Result<Vec<Example>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        crate::io::read_error(path, e, "a HellaSwag .jsonl file", "give hellaswag_val.jsonl")
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = |why: &str| Error::Saved {
            path: path.to_path_buf(),
            why: format!("line {}: {why}", i + 1),
            hint: "HellaSwag's jsonl has `ctx`, `endings` (4 texts) and `label` on each line"
                .into(),
        };
        let json: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(&format!("not JSON: {e}")))?;
        let ctx = json["ctx"].as_str().ok_or_else(|| bad("no `ctx` text"))?.to_string();
        let endings: Vec<String> = json["endings"]
            .as_array()
            .ok_or_else(|| bad("no `endings` list"))?
            .iter()
            .map(|e| e.as_str().map(str::to_string).ok_or_else(|| bad("an ending is not text")))
            .collect::<Result<_>>()?;
        let endings: [String; 4] =
            endings.try_into().map_err(|_| bad("`endings` is not 4 texts"))?;
        let label = match json["label"].as_u64() {
            Some(l) if l < 4 => l as usize,
            _ => return Err(bad("`label` is not 0, 1, 2 or 3")),
        };
        out.push(Example { ctx, endings, label });
    }
    Ok(out)
}

/// `render_example`: the tokens `(4, N)` of the context then each ending (after a space, as GPT-2
/// saw text), zero-padded to the longest; the mask `(4, N)`, 1 on the ending's tokens.
///
/// # Errors
/// The tokenizer's errors.
pub fn render_example(example: &Example, enc: &Tokenizer) -> Result<(Tensor, Tensor)> {
    let ctx = enc.encode_ordinary(&example.ctx)?;
    let mut rows = Vec::with_capacity(4);
    for end in &example.endings {
        let end = enc.encode_ordinary(&format!(" {end}"))?;
        rows.push((ctx.iter().chain(&end).map(|&t| i64::from(t)).collect::<Vec<_>>(), end.len()));
    }
    let n = rows.iter().map(|(r, _)| r.len()).max().unwrap_or(0);
    let mut tokens = vec![0i64; 4 * n];
    let mut mask = vec![0i64; 4 * n];
    for (i, (row, end)) in rows.iter().enumerate() {
        tokens[i * n..i * n + row.len()].copy_from_slice(row);
        mask[i * n + row.len() - end..i * n + row.len()].fill(1);
    }
    let shape = [4, n as i64];
    Ok((Tensor::from_slice(&tokens).f_view(shape)?, Tensor::from_slice(&mask).f_view(shape)?))
}

/// The model's answers to one example: `(pred, pred_norm)`, the ending of the lowest summed loss
/// and of the lowest mean loss over its tokens, and the four mean losses. The losses are
/// computed in the logits' kind (bfloat16 under autocast), as the lecture's code does.
///
/// # Errors
/// [`Error::Torch`] for logits not `(4, N, V)` over `tokens` and `mask` `(4, N)`.
pub fn most_likely_row(
    tokens: &Tensor,
    mask: &Tensor,
    logits: &Tensor,
) -> Result<(usize, usize, Vec<f64>)> {
    let (rows, n, v) = logits.size3()?;
    let shift_logits = logits.f_narrow(1, 0, n - 1)?.f_contiguous()?.f_view([-1, v])?;
    let shift_tokens = tokens.f_narrow(1, 1, n - 1)?.f_contiguous()?.f_view([-1])?;
    let losses = shift_logits
        .f_cross_entropy_loss::<Tensor>(&shift_tokens, None, tch::Reduction::None, -100, 0.0)?
        .f_view([rows, -1])?;
    let shift_mask = mask.f_narrow(1, 1, n - 1)?.f_contiguous()?; // from the last context token
    let sum_loss = losses.f_mul(&shift_mask)?.f_sum_dim_intlist(1, false, None)?;
    let avg_loss = sum_loss.f_div(&shift_mask.f_sum_dim_intlist(1, false, None)?)?;
    let pred = sum_loss.f_argmin(None, false)?.f_int64_value(&[])? as usize;
    let pred_norm = avg_loss.f_argmin(None, false)?.f_int64_value(&[])? as usize;
    let avg: Vec<f64> = Vec::<f64>::try_from(avg_loss.f_to_kind(Kind::Double)?)?;
    Ok((pred, pred_norm, avg))
}

/// One example scored: the tokens, the model's answers and the mean losses of its endings.
#[derive(Debug)]
pub struct Scored {
    pub label: usize,
    pub pred: usize,
    pub pred_norm: usize,
    pub losses: Vec<f64>,
}

/// Scores `example` with `model` (no gradients; under autocast when the model is).
///
/// # Errors
/// [`Error::Param`] for an example longer than the block size; the tokenizer's and libtorch's.
pub fn score(model: &Gpt2, example: &Example, enc: &Tokenizer) -> Result<Scored> {
    let (tokens, mask) = render_example(example, enc)?;
    let (tokens, mask) = (tokens.f_to(model.device())?, mask.f_to(model.device())?);
    let logits = tch::no_grad(|| model.forward(&tokens))?;
    let (pred, pred_norm, losses) = most_likely_row(&tokens, &mask, &logits)?;
    Ok(Scored { label: example.label, pred, pred_norm, losses })
}
