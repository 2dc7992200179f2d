//! BPE on Unicode code points, as sentencepiece trains and applies it (Llama's and Mistral's
//! tokenizers): minbpe's exercise, step 5. [`SentencePiece::train`] gives the vocabulary of
//! sentencepiece's BPE trainer run with the tokenizer lecture's options:
//!
//! * `normalization_rule_name="identity"`, `remove_extra_whitespaces=False`,
//!   `add_dummy_prefix=True`: a sentence is its line, with `▁` (U+2581) before it and for each
//!   space;
//! * `byte_fallback=True`: ids 3..259 are the bytes `<0x00>`..`<0xFF>`, after `<unk>`, `<s>`,
//!   `</s>`; a character not in the vocabulary is encoded as its UTF-8 bytes;
//! * `character_coverage=0.99995`: the characters that make up 99.995% of the text are pieces of
//!   their own (after the merges, the most frequent first); the rarest others are not, and are
//!   never merged;
//! * `split_by_whitespace`, `split_by_unicode_script`, `split_digits`, `split_by_number`,
//!   `allow_whitespace_only_pieces`, `max_sentencepiece_length=16`, `max_sentence_length=4192`:
//!   a piece starts with `▁` or has none (unless it is all `▁`), keeps to one script, holds a digit
//!   only alone, is at most 16 characters; longer lines than 4,192 bytes are not trained on.
//!
//! Each merge is of the most frequent adjacent pair; a tie goes to the shorter piece, then to the
//! smaller string, as sentencepiece's `bpe_model_trainer.cc` chooses. One difference: every 100
//! merges sentencepiece keeps only the most frequent pairs (5%, at least 1,000) as candidates, an
//! approximation; here every pair is a candidate, which gives its vocabulary whenever its
//! approximation does not change the choice (`tests/sentencepiece_reference.rs` checks texts and
//! sizes against the `sentencepiece` package).

use crate::error::{BpeError, Result};
use rustc_hash::{FxHashMap, FxHashSet};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use unicode_script::{Script, UnicodeScript};

mod trainer;
use trainer::Trainer;

/// `▁` (U+2581): a space, and the start of every sentence.
pub const SPACE: char = '\u{2581}';
/// The character that stands for the rare ones while training (U+2047, `⁇`).
const UNK_CHAR: char = '\u{2047}';
/// `<unk>`, `<s>`, `</s>`: the lecture's `unk_id=0, bos_id=1, eos_id=2`.
pub const CONTROL: [&str; 3] = ["<unk>", "<s>", "</s>"];
/// Ids before the first merge: the control pieces and the 256 byte pieces.
const FIRST_MERGE: usize = CONTROL.len() + 256;
const MAX_PIECE_CHARS: usize = 16;
const MAX_SENTENCE_BYTES: usize = 4192;
const CHARACTER_COVERAGE: f64 = 0.99995;
const NONE: u32 = u32::MAX;

/// A code-point BPE vocabulary: sentencepiece's pieces, in its id order.
#[derive(Debug, Clone)]
pub struct SentencePiece {
    pieces: Vec<String>,
    ids: FxHashMap<String, u32>,
}

impl SentencePiece {
    /// Trains on `text` (its lines are the sentences) to `vocab_size` pieces.
    ///
    /// Errors when `vocab_size` cannot hold the control, byte and character pieces, or when the
    /// text runs out of pairs to merge first.
    pub fn train(text: &str, vocab_size: usize) -> Result<Self> {
        let sentences = sentences(text);
        let chars = required_chars(&sentences);
        let needed = FIRST_MERGE + chars.len();
        if vocab_size < needed {
            return Err(BpeError::SentencePieceVocab { vocab_size, needed, chars: chars.len() });
        }
        let merged = Trainer::new(&sentences, &chars).train(vocab_size - needed);
        if merged.len() < vocab_size - needed {
            return Err(BpeError::NoPairsLeft {
                merges_done: merged.len(),
                vocab_size,
                reachable: needed + merged.len(),
            });
        }
        let pieces: Vec<String> = CONTROL
            .iter()
            .map(|s| s.to_string())
            .chain((0..=255u8).map(|b| format!("<0x{b:02X}>")))
            .chain(merged)
            .chain(chars.iter().map(|&(c, _)| c.to_string()))
            .collect();
        let ids = pieces.iter().enumerate().map(|(i, p)| (p.clone(), i as u32)).collect();
        Ok(SentencePiece { pieces, ids })
    }

    /// Every piece, by id: `<unk>`, `<s>`, `</s>`, `<0x00>`..`<0xFF>`, the merges in the order they
    /// were made, then the characters.
    pub fn pieces(&self) -> &[String] {
        &self.pieces
    }

    /// The ids of `text`, as sentencepiece's BPE encodes it: starting from its characters, join
    /// the adjacent two whose join is the earliest merged piece (the leftmost on a tie), until no
    /// join is a piece. A character that is not a piece becomes the byte pieces of its UTF-8.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let text = normalize(text);
        // Each symbol's byte range in `text` (emptied when joined into its left neighbour) and links.
        let mut span: Vec<(usize, usize)> =
            text.char_indices().map(|(i, c)| (i, i + c.len_utf8())).collect();
        let n = span.len();
        let mut prev: Vec<Option<usize>> = (0..n).map(|i| i.checked_sub(1)).collect();
        let mut next: Vec<Option<usize>> = (0..n).map(|i| Some(i + 1).filter(|&j| j < n)).collect();
        let mut agenda = BinaryHeap::new();
        let join = |span: &[(usize, usize)], l: usize, r: usize| {
            let id = *self.ids.get(&text[span[l].0..span[r].1])?;
            (id as usize >= FIRST_MERGE).then_some(Reverse((id, l, r, span[r].1 - span[l].0)))
        };
        agenda.extend((1..n).filter_map(|r| join(&span, r - 1, r)));
        while let Some(Reverse((_, l, r, len))) = agenda.pop() {
            if span[l].0 == span[l].1 || span[r].0 == span[r].1 || span[r].1 - span[l].0 != len {
                continue; // one of the two was joined to another since
            }
            span[l].1 = span[r].1;
            span[r] = (span[r].1, span[r].1);
            next[l] = next[r];
            if let Some(k) = next[r] {
                prev[k] = Some(l);
            }
            agenda.extend(prev[l].and_then(|p| join(&span, p, l)));
            agenda.extend(next[l].and_then(|k| join(&span, l, k)));
        }
        let mut ids = Vec::new();
        for &(s, e) in span.iter().filter(|(s, e)| s != e) {
            match self.ids.get(&text[s..e]).filter(|&&id| id as usize >= FIRST_MERGE) {
                Some(&id) => ids.push(id),
                None => ids.extend(text[s..e].bytes().map(|b| CONTROL.len() as u32 + u32::from(b))),
            }
        }
        ids
    }

    /// The text of `ids`: pieces joined, `▁` read as a space, the first one's dropped (the dummy
    /// prefix), byte pieces read as UTF-8 (each invalid byte a U+FFFD), `<s>` and `</s>` as
    /// nothing and `<unk>` as ` ⁇ `, as sentencepiece decodes.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        let mut out = String::new();
        let mut bytes = Vec::new();
        let mut first = true; // the first piece but for <s> and </s>: its ▁ is the dummy prefix
        for &id in ids {
            let piece = self.pieces.get(id as usize).ok_or(BpeError::InvalidId {
                id,
                vocab_len: self.pieces.len(),
                specials: 0,
            })?;
            if (CONTROL.len()..FIRST_MERGE).contains(&(id as usize)) {
                bytes.push((id as usize - CONTROL.len()) as u8);
                first = false;
                continue;
            }
            flush_bytes(&mut bytes, &mut out);
            let piece = match id {
                0 => " \u{2047} ",
                1 | 2 => continue,
                _ => piece,
            };
            let piece = if first { piece.strip_prefix(SPACE).unwrap_or(piece) } else { piece };
            first = false;
            out.push_str(&piece.replace(SPACE, " "));
        }
        flush_bytes(&mut bytes, &mut out);
        Ok(out)
    }
}

/// Byte pieces decoded: UTF-8 where it is, U+FFFD for each byte where it is not.
fn flush_bytes(bytes: &mut Vec<u8>, out: &mut String) {
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                out.push('\u{FFFD}');
                rest = &rest[good + 1..];
            }
        }
    }
    bytes.clear();
}

/// The lecture's normalization: `▁` before a non-empty text and for each space.
fn normalize(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    std::iter::once(SPACE).chain(text.chars().map(|c| if c == ' ' { SPACE } else { c })).collect()
}

/// The sentences trained on: each line, normalized; lines over 4,192 bytes or holding `⁇` are
/// skipped, as sentencepiece skips them.
fn sentences(text: &str) -> Vec<String> {
    text.split('\n')
        .filter(|l| !l.is_empty() && l.len() <= MAX_SENTENCE_BYTES && !l.contains(UNK_CHAR))
        .map(normalize)
        .collect()
}

/// The characters that cover 99.995% of the sentences' characters, most frequent first (ties:
/// smaller code point), with their counts. A tab is never one (sentencepiece's trainer leaves it
/// out: found by training it on tabs).
fn required_chars(sentences: &[String]) -> Vec<(char, u64)> {
    let mut counts: FxHashMap<char, u64> = FxHashMap::default();
    for c in sentences.iter().flat_map(|s| s.chars()).filter(|&c| c != '\t') {
        *counts.entry(c).or_default() += 1;
    }
    let total: u64 = counts.values().sum();
    let mut sorted: Vec<(char, u64)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut covered = 0;
    let mut keep = 0;
    while keep < sorted.len() && (covered as f64 / total as f64) < CHARACTER_COVERAGE {
        covered += sorted[keep].1;
        keep += 1;
    }
    sorted.truncate(keep);
    sorted
}

/// The words of a sentence: a new one at each `▁` that does not follow another `▁`
/// (`split_by_whitespace` with `allow_whitespace_only_pieces`).
fn words(sentence: &str) -> Vec<&str> {
    let mut starts = vec![0];
    let mut prev_ws = true;
    for (i, c) in sentence.char_indices() {
        if i > 0 && c == SPACE && !prev_ws {
            starts.push(i);
        }
        prev_ws = c == SPACE;
    }
    starts
        .iter()
        .zip(starts.iter().skip(1).chain([&sentence.len()]))
        .map(|(&a, &b)| &sentence[a..b])
        .collect()
}

/// Whether `piece` may be a piece: sentencepiece's `IsValidSentencePiece` with the lecture's
/// options. At most 16 characters; `▁` only first, unless the piece is all `▁`; a digit only
/// alone; one Unicode script (Hiragana and Katakana count as Han; a combining mark takes the
/// script before it); never `⁇` (the rare characters' stand-in).
pub fn valid_piece(piece: &str) -> bool {
    valid_chars(&piece.chars().collect::<Vec<_>>())
}

fn valid_chars(piece: &[char]) -> bool {
    if piece.is_empty() || piece.len() > MAX_PIECE_CHARS {
        return false;
    }
    let all_ws = piece.iter().all(|&c| c == SPACE);
    let mut prev: Option<Script> = None;
    for (pos, &c) in piece.iter().enumerate() {
        if c == UNK_CHAR || c == '\0' || c == '\u{25A1}' {
            return false;
        }
        if c == SPACE {
            if !all_ws && pos > 0 {
                return false;
            }
            continue;
        }
        if c.is_ascii_digit() && piece.len() > 1 {
            return false; // split_digits
        }
        let script = match c.script() {
            Script::Hiragana | Script::Katakana => Some(Script::Han),
            _ if c == '\u{30FC}' => Some(Script::Han),
            Script::Inherited => prev,
            Script::Unknown => Some(Script::Common),
            s => Some(s),
        };
        if let (Some(p), Some(s)) = (prev, script) {
            if p != s {
                return false;
            }
        }
        prev = script;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_start_at_each_space_run() {
        assert_eq!(words("▁hello▁▁▁world▁a"), ["▁hello", "▁▁▁world", "▁a"]);
        assert_eq!(words("▁"), ["▁"]);
    }

    #[test]
    fn pieces_keep_to_one_script_and_digits_alone() {
        let ok = valid_piece;
        assert!(ok("▁the") && ok("▁▁▁") && ok("..") && ok("7"));
        assert!(!ok("a▁") && !ok("▁▁a") && !ok("a,") && !ok("12") && !ok("a1") && !ok("▁안a"));
    }
}
