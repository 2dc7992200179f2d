//! The [`Tokenizer`]: minbpe's `BasicTokenizer`, `RegexTokenizer` and `GPT4Tokenizer` in one
//! type, told apart by its split pattern (none for Basic) and, for pretrained ones, a byte shuffle.

use crate::encode::{encode_chunk, Ranks};
use crate::error::{BpeError, Result};
use crate::pattern::Pattern;
use crate::split::Splitter;
use crate::stats::Pair;
use crate::train::{train_chunks, ChunkCounts};
use rustc_hash::FxHashMap;
use std::collections::HashSet;

/// Which special tokens `encode` may produce (minbpe's `allowed_special`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AllowedSpecial {
    /// Every registered special token (`"all"`).
    All,
    /// None: special tokens in the text are encoded as ordinary text (`"none"`).
    None,
    /// None, and a special token in the text is an error (`"none_raise"`, the default).
    #[default]
    NoneRaise,
    /// Only these (a Python `set`); each must be a registered special token.
    Set(HashSet<String>),
}

impl AllowedSpecial {
    /// The names [`AllowedSpecial::named`] takes, minbpe's with dashes.
    pub const NAMES: [&'static str; 3] = ["all", "none", "none-raise"];

    /// `all`, `none` or `none-raise` (minbpe's `"none_raise"`, the default).
    ///
    /// # Errors
    /// [`BpeError::Param`] for another name.
    pub fn named(name: &str) -> Result<AllowedSpecial> {
        match name {
            "all" => Ok(AllowedSpecial::All),
            "none" => Ok(AllowedSpecial::None),
            "none-raise" | "none_raise" => Ok(AllowedSpecial::NoneRaise),
            _ => Err(unknown("--allowed-special", name, "use all, none or none-raise")),
        }
    }
}

/// A name that is none of the listed ones.
fn unknown(flag: &'static str, name: &str, hint: &str) -> BpeError {
    let (value, why, hint) = (name.to_string(), "there is no such name", hint.to_string());
    BpeError::Param { name: flag, value, why, hint }
}

/// A byte-level BPE tokenizer: merges, the vocab they give, a split pattern and special tokens.
///
/// * `Tokenizer::new(None)` is minbpe's `BasicTokenizer` (no split),
/// * `Tokenizer::new(Some(Pattern::Gpt4))` its `RegexTokenizer()`,
/// * [`Tokenizer::gpt4`] its `GPT4Tokenizer` (and [`Tokenizer::gpt2`] the same for GPT-2).
#[derive(Debug, Clone)]
pub struct Tokenizer {
    pattern: Option<Pattern>,
    splitter: Splitter,
    /// Merge `k` makes token `256 + k` from a pair of earlier tokens.
    merges: Vec<(Pair, u32)>,
    ranks: Ranks,
    /// Bytes of each ordinary token.
    vocab: Vec<Vec<u8>>,
    /// Special tokens in the order they were registered.
    special: Vec<(String, u32)>,
    /// The token of each byte: the identity, except for pretrained GPT tokenizers.
    pub(crate) byte_ids: [u32; 256],
    /// Set for pretrained tokenizers, which cannot be trained or saved as `.model`.
    pub(crate) pretrained: Option<&'static str>,
}

impl Tokenizer {
    /// The split patterns [`Tokenizer::with_pattern`] takes by name.
    pub const PATTERNS: [&'static str; 3] = ["gpt4", "gpt2", "none"];

    /// An untrained tokenizer that splits as `name` says: `gpt4` (GPT-4's pattern, minbpe's
    /// `RegexTokenizer` default), `gpt2`, or `none` (the whole text is one sequence of bytes:
    /// minbpe's `BasicTokenizer`).
    ///
    /// # Errors
    /// [`BpeError::Param`] for another name.
    pub fn with_pattern(name: &str) -> Result<Self> {
        match name {
            "gpt4" => Tokenizer::new(Some(Pattern::Gpt4)),
            "gpt2" => Tokenizer::new(Some(Pattern::Gpt2)),
            "none" => Tokenizer::new(None),
            _ => Err(unknown("--pattern", name, "use gpt4, gpt2 or none")),
        }
    }

    /// A tokenizer with the 256 byte tokens and no merges, splitting with `pattern` (`None`: no
    /// split, minbpe's `BasicTokenizer`). Errors when a custom pattern does not compile.
    pub fn new(pattern: Option<Pattern>) -> Result<Self> {
        Ok(Tokenizer {
            splitter: Splitter::new(pattern.as_ref())?,
            pattern,
            merges: Vec::new(),
            ranks: Ranks::default(),
            vocab: (0..=255u8).map(|b| vec![b]).collect(),
            special: Vec::new(),
            byte_ids: std::array::from_fn(|b| b as u32),
            pretrained: None,
        })
    }

    /// Build from merges (merge `k` makes `256 + k`), checking each merges earlier tokens.
    pub(crate) fn from_merges(
        pattern: Option<Pattern>,
        pairs: &[Pair],
        byte_ids: [u32; 256],
    ) -> Result<Self> {
        let mut t = Tokenizer::new(pattern)?;
        t.byte_ids = byte_ids;
        for (b, &id) in byte_ids.iter().enumerate() {
            t.vocab[id as usize] = vec![b as u8];
        }
        t.set_merges(pairs);
        Ok(t)
    }

    /// Replace the merges (the pairs must only use ids below their own, as `train` and the
    /// loaders guarantee) and rebuild the vocab from them.
    fn set_merges(&mut self, pairs: &[Pair]) {
        self.vocab.truncate(256);
        self.merges.clear();
        self.ranks.clear();
        for (k, &(a, b)) in pairs.iter().enumerate() {
            let id = 256 + k as u32;
            let bytes = [&self.vocab[a as usize][..], &self.vocab[b as usize][..]].concat();
            self.vocab.push(bytes);
            self.merges.push(((a, b), id));
            self.ranks.insert((u64::from(a) << 32) | u64::from(b), id);
        }
    }

    /// Learn `vocab_size - 256` merges from `text`, replacing any merges there were.
    ///
    /// The merges and vocab are exactly minbpe's `train(text, vocab_size)` (see
    /// [`train`](crate::train) for why, ties included). Special tokens play no part: they are
    /// trained on as ordinary text, as in minbpe. Errors: `vocab_size` under 256; the text
    /// running out of pairs first ([`BpeError::NoPairsLeft`]; minbpe raises `ValueError`);
    /// a registered special token whose id the new vocab would take; a pretrained tokenizer.
    pub fn train(&mut self, text: &str, vocab_size: usize) -> Result<()> {
        self.train_with_progress(text, vocab_size, |_, _| {})
    }

    /// [`Tokenizer::train`], calling `progress(merges_done, merges_to_do)` after each merge
    /// (a progress bar for long trainings).
    pub fn train_with_progress(
        &mut self,
        text: &str,
        vocab_size: usize,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<()> {
        if let Some(name) = self.pretrained {
            return Err(BpeError::Pretrained(name));
        }
        if vocab_size < 256 {
            return Err(BpeError::VocabTooSmall(vocab_size));
        }
        if vocab_size > u32::MAX as usize {
            return Err(BpeError::VocabTooLarge(vocab_size));
        }
        if let Some((token, id)) = self.special.iter().find(|(_, id)| (*id as usize) < vocab_size) {
            return Err(BpeError::SpecialIdTaken {
                token: token.clone(),
                id: *id,
                vocab_len: vocab_size,
            });
        }
        if text.len() >= u32::MAX as usize {
            return Err(BpeError::TextTooLarge(text.len()));
        }
        let counts = self.count_chunks(text)?;
        let num_merges = vocab_size - 256;
        let pairs = train_chunks(&counts.chunks, &counts.counts, num_merges, &mut |k| {
            progress(k, num_merges)
        })?;
        self.set_merges(&pairs);
        Ok(())
    }

    /// The distinct chunks of `text` with their counts, on two threads for long texts with a
    /// GPT pattern (cut where a chunk always starts, so the chunks are the same).
    fn count_chunks<'t>(&self, text: &'t str) -> Result<ChunkCounts<'t>> {
        let count = |part: &'t str| -> Result<ChunkCounts<'t>> {
            let mut c = ChunkCounts::default();
            self.splitter.for_each(part, |s| c.add(s.as_bytes()))?;
            Ok(c)
        };
        let cut = match self.splitter {
            Splitter::Gpt2 | Splitter::Gpt4 if text.len() > 1 << 20 => {
                crate::split::safe_cut(text, text.len() / 2)
            }
            _ => None,
        };
        let Some(cut) = cut else {
            return count(text);
        };
        let (head, tail) = text.split_at(cut);
        let (a, b) = std::thread::scope(|s| {
            let h = s.spawn(|| count(tail));
            (count(head), h.join())
        });
        let mut a = a?;
        match b {
            Ok(b) => a.extend(b?),
            Err(_) => return count(text),
        }
        Ok(a)
    }

    /// Register special tokens (text, id), replacing earlier ones, like minbpe's
    /// `register_special_tokens`. Ids must not be ordinary token ids, and tokens must be
    /// non-empty without white space (the `.model` format could not hold them).
    pub fn register_special_tokens(&mut self, special: &[(&str, u32)]) -> Result<()> {
        for &(s, id) in special {
            if s.is_empty() || s.chars().any(char::is_whitespace) {
                return Err(BpeError::BadSpecialToken(s.to_string()));
            }
            if (id as usize) < self.vocab.len() {
                return Err(BpeError::SpecialIdTaken {
                    token: s.to_string(),
                    id,
                    vocab_len: self.vocab.len(),
                });
            }
        }
        self.special = special.iter().map(|&(s, i)| (s.to_string(), i)).collect();
        Ok(())
    }

    /// Encode `text` ignoring special tokens (they are encoded as the text they are).
    ///
    /// Each chunk is encoded on its own; a chunk seen before in the same text reuses its ids.
    /// Errors only if a custom pattern fails on the text.
    pub fn encode_ordinary(&self, text: &str) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(text.len() / 3);
        let mut ids = Vec::new();
        let mut cache: FxHashMap<&str, (u32, u32)> = FxHashMap::default();
        let use_cache = text.len() > 4096 && !matches!(self.splitter, Splitter::Whole);
        self.splitter.for_each(text, |chunk| {
            if use_cache && chunk.len() > 1 {
                if let Some(&(s, e)) = cache.get(chunk) {
                    out.extend_from_within(s as usize..e as usize);
                    return;
                }
            }
            let start = out.len();
            if chunk.len() == 1 {
                out.push(self.byte_ids[chunk.as_bytes()[0] as usize]);
                return;
            }
            ids.clear();
            ids.extend(chunk.bytes().map(|b| self.byte_ids[b as usize]));
            encode_chunk(&ids, &self.ranks, &mut out);
            if use_cache {
                cache.insert(chunk, (start as u32, out.len() as u32));
            }
        })?;
        Ok(out)
    }

    /// Encode `text`, turning the special tokens `allowed` allows into their ids.
    ///
    /// As minbpe: the text is cut at each allowed special token (the leftmost match; among
    /// tokens matching at the same place, the one registered first) and the parts between are
    /// encoded with [`encode_ordinary`](Self::encode_ordinary). With
    /// [`AllowedSpecial::NoneRaise`] a special token in the text is an error; with a set naming
    /// an unregistered token too (minbpe ignores such names silently).
    pub fn encode(&self, text: &str, allowed: &AllowedSpecial) -> Result<Vec<u32>> {
        let special: Vec<&(String, u32)> = match allowed {
            AllowedSpecial::All => self.special.iter().collect(),
            AllowedSpecial::None => Vec::new(),
            AllowedSpecial::NoneRaise => {
                if let Some((s, _)) = self.special.iter().find(|(s, _)| text.contains(s.as_str())) {
                    return Err(BpeError::DisallowedSpecial(s.clone()));
                }
                Vec::new()
            }
            AllowedSpecial::Set(set) => {
                let mut names: Vec<&String> = set.iter().collect();
                names.sort();
                if let Some(s) = names.iter().find(|s| !self.special.iter().any(|(t, _)| t == **s))
                {
                    return Err(BpeError::UnknownSpecial(s.to_string()));
                }
                self.special.iter().filter(|(s, _)| set.contains(s)).collect()
            }
        };
        if special.is_empty() {
            return self.encode_ordinary(text);
        }
        let mut out = Vec::new();
        let mut rest = text;
        loop {
            // leftmost match; on a tie the first registered, like a regex alternation
            let hit = special
                .iter()
                .filter_map(|(s, id)| rest.find(s.as_str()).map(|at| (at, s.len(), *id)))
                .min_by_key(|&(at, _, _)| at);
            let Some((at, len, id)) = hit else {
                out.extend(self.encode_ordinary(rest)?);
                return Ok(out);
            };
            out.extend(self.encode_ordinary(&rest[..at])?);
            out.push(id);
            rest = &rest[at + len..];
        }
    }

    /// The bytes of `ids` joined. Errors on an id that is neither a token nor a special token.
    pub fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(ids.len() * 4);
        for &id in ids {
            match self.vocab.get(id as usize) {
                Some(b) => out.extend_from_slice(b),
                None => match self.special.iter().find(|(_, i)| *i == id) {
                    Some((s, _)) => out.extend_from_slice(s.as_bytes()),
                    None => {
                        return Err(BpeError::InvalidId {
                            id,
                            vocab_len: self.vocab.len(),
                            specials: self.special.len(),
                        })
                    }
                },
            }
        }
        Ok(out)
    }

    /// The text of `ids`. Bytes that are not valid UTF-8 become U+FFFD, one per maximal
    /// invalid sequence, as Python's `decode("utf-8", errors="replace")` that minbpe uses.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        let bytes = self.decode_bytes(ids)?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The merges in order: `((left, right), id)`, where merge `k` has id `256 + k`
    /// (minbpe's `merges` dict, pair -> id, in insertion order).
    pub fn merges(&self) -> &[(Pair, u32)] {
        &self.merges
    }

    /// The bytes of every ordinary token, indexed by id (minbpe's `vocab`, id -> bytes,
    /// without special tokens).
    pub fn vocab(&self) -> &[Vec<u8>] {
        &self.vocab
    }

    /// Number of ordinary tokens: `256 + merges().len()`.
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The special tokens (text, id) in the order registered.
    pub fn special_tokens(&self) -> &[(String, u32)] {
        &self.special
    }

    /// The split pattern (`None`: no split, minbpe's `BasicTokenizer`).
    pub fn pattern(&self) -> Option<&Pattern> {
        self.pattern.as_ref()
    }
}
