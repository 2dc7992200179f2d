//! The pretrained GPT tokenizers: tiktoken's `cl100k_base` (GPT-4) and `r50k_base` (GPT-2),
//! turned into merges as minbpe's `GPT4Tokenizer` does.
//!
//! tiktoken stores ranks (token bytes -> id), not merges. `recover_merges` finds, for each
//! token, the two tokens it was merged from by running BPE on its bytes with the ranks of
//! lower tokens only. Single bytes have shuffled ids (byte `b` is token `byte_ids[b]`), which
//! encoding applies before merging. The rank files are the ones the `tiktoken-rs` crate ships;
//! nothing is downloaded.

use crate::error::{BpeError, Result};
use crate::pattern::Pattern;
use crate::stats::Pair;
use crate::tokenizer::Tokenizer;
use rustc_hash::FxHashMap;

/// GPT-4's special tokens, as tiktoken's `cl100k_base` and minbpe's `GPT4_SPECIAL_TOKENS`.
pub const GPT4_SPECIAL_TOKENS: [(&str, u32); 5] = [
    ("<|endoftext|>", 100257),
    ("<|fim_prefix|>", 100258),
    ("<|fim_middle|>", 100259),
    ("<|fim_suffix|>", 100260),
    ("<|endofprompt|>", 100276),
];

/// GPT-2's special token, as tiktoken's `r50k_base`.
pub const GPT2_SPECIAL_TOKENS: [(&str, u32); 1] = [("<|endoftext|>", 50256)];

/// BPE on the bytes of `token` with the ranks below `max_rank` only (minbpe's `bpe` helper):
/// the parts that are left. For a real token they are the two tokens it was merged from.
fn bpe_pair<'a>(ranks: &FxHashMap<&[u8], u32>, token: &'a [u8], max_rank: u32) -> Vec<&'a [u8]> {
    // part k is token[cuts[k]..cuts[k + 1]]
    let mut cuts: Vec<usize> = (0..=token.len()).collect();
    loop {
        let mut best: Option<(u32, usize)> = None;
        for k in 0..cuts.len() - 2 {
            if let Some(&r) = ranks.get(&token[cuts[k]..cuts[k + 2]]) {
                if best.is_none_or(|(b, _)| r < b) {
                    best = Some((r, k));
                }
            }
        }
        match best {
            Some((r, k)) if r < max_rank => {
                cuts.remove(k + 1);
            }
            _ => break,
        }
    }
    cuts.windows(2).map(|w| &token[w[0]..w[1]]).collect()
}

/// Recover the merges from tiktoken-style ranks (`ranks[id]` = bytes of token `id`), like
/// minbpe's `recover_merges`: merge `k` makes token `256 + k`. Also returns the byte shuffle
/// (`byte_ids[b]`: the token of byte `b`).
///
/// Errors when the ranks are not a byte-level BPE: the single bytes must be ids 0..256 and
/// every longer token must split into exactly two lower tokens.
pub fn recover_merges(ranks: &[Vec<u8>]) -> std::result::Result<(Vec<Pair>, [u32; 256]), String> {
    let index: FxHashMap<&[u8], u32> =
        ranks.iter().enumerate().map(|(i, t)| (t.as_slice(), i as u32)).collect();
    let mut byte_ids = [u32::MAX; 256];
    for (id, t) in ranks.iter().enumerate().take(256) {
        match t.as_slice() {
            [b] => byte_ids[*b as usize] = id as u32,
            _ => return Err(format!("token {id} is not a single byte")),
        }
    }
    if let Some(b) = byte_ids.iter().position(|&i| i == u32::MAX) {
        return Err(format!("byte {b} has no token among ids 0..256"));
    }
    let mut merges = Vec::with_capacity(ranks.len().saturating_sub(256));
    for (id, token) in ranks.iter().enumerate().skip(256) {
        match bpe_pair(&index, token, id as u32)[..] {
            [a, b] => merges.push((index[a], index[b])),
            ref parts => {
                return Err(format!("token {id} splits into {} parts, not 2", parts.len()))
            }
        }
    }
    Ok((merges, byte_ids))
}

/// Read a tiktoken encoding's ordinary tokens from `tiktoken-rs`, by decoding each id alone.
fn tiktoken_ranks(name: &'static str, bpe: tiktoken_rs::CoreBPE, n: u32) -> Result<Vec<Vec<u8>>> {
    (0..n)
        .map(|id| {
            bpe.decode_bytes(&[id])
                .map_err(|e| BpeError::Ranks { name, message: format!("id {id}: {e:?}") })
        })
        .collect()
}

fn pretrained(
    name: &'static str,
    pattern: Pattern,
    ranks: Vec<Vec<u8>>,
    special: &[(&str, u32)],
) -> Result<Tokenizer> {
    let (merges, byte_ids) =
        recover_merges(&ranks).map_err(|message| BpeError::Ranks { name, message })?;
    let mut t = Tokenizer::from_merges(Some(pattern), &merges, byte_ids)?;
    t.register_special_tokens(special)?;
    t.pretrained = Some(match name {
        "cl100k_base" => "the GPT-4 tokenizer (cl100k_base) is pretrained: it cannot be trained or saved as .model",
        _ => "the GPT-2 tokenizer (r50k_base) is pretrained: it cannot be trained or saved as .model",
    });
    Ok(t)
}

impl Tokenizer {
    /// GPT-4's tokenizer (tiktoken's `cl100k_base`), minbpe's `GPT4Tokenizer`: the same ids
    /// as tiktoken. Built from the rank file bundled in `tiktoken-rs` (about 0.3 s).
    pub fn gpt4() -> Result<Tokenizer> {
        let name = "cl100k_base";
        let bpe = tiktoken_rs::cl100k_base()
            .map_err(|e| BpeError::Ranks { name, message: e.to_string() })?;
        let ranks = tiktoken_ranks(name, bpe, 100_256)?;
        pretrained(name, Pattern::Gpt4, ranks, &GPT4_SPECIAL_TOKENS)
    }

    /// A tokenizer by name: `cl100k_base` (GPT-4), `r50k_base` (GPT-2), or else the path of a
    /// `.model` file (of `makemore bpe train`, or minbpe's).
    ///
    /// # Errors
    /// [`BpeError::Param`] for a path that does not exist; as [`Tokenizer::load`].
    pub fn named(name: &str) -> Result<Tokenizer> {
        match name {
            "cl100k_base" => Tokenizer::gpt4(),
            "r50k_base" => Tokenizer::gpt2(),
            path if !std::path::Path::new(path).exists() => Err(BpeError::Param {
                name: "--tokenizer",
                value: path.to_string(),
                why: "no such file",
                hint: "give the .model file `makemore bpe train` wrote, or cl100k_base (GPT-4), or r50k_base (GPT-2)"
                    .to_string(),
            }),
            path => Tokenizer::load(path),
        }
    }

    /// GPT-2's tokenizer (tiktoken's `r50k_base`), built the same way as [`Tokenizer::gpt4`]
    /// (minbpe has no GPT-2 class); the same ids as tiktoken.
    pub fn gpt2() -> Result<Tokenizer> {
        let name = "r50k_base";
        let bpe = tiktoken_rs::r50k_base()
            .map_err(|e| BpeError::Ranks { name, message: e.to_string() })?;
        let ranks = tiktoken_ranks(name, bpe, 50_256)?;
        pretrained(name, Pattern::Gpt2, ranks, &GPT2_SPECIAL_TOKENS)
    }
}
