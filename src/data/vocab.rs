//! The vocabulary: the lecture's `stoi` and `itos`, with `.` = 0 and the sorted characters after.
//! Built in `01_counting_bigrams`, used everywhere after. Index 0 is the token that starts and
//! ends every word, not a character of the data: it is shown as `.` (the lecture's), or, when
//! the data itself has a `.` ("st. louis"), as the first of `·`, `¶`, `§`, ... that it lacks.
//! A text's vocabulary ([`Vocab::from_text`], the GPT lecture's) has no such token: its index 0
//! is its first character (`\n` in Shakespeare), where generation starts.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use makemore_bpe::{AllowedSpecial, Tokenizer};

use crate::error::{Error, Result};

/// How the token that marks both the start and the end of a word (index 0) is shown, when the
/// data has no `.`.
pub const BOUNDARY: char = '.';

/// How index 0 is shown when the data has a `.`: the first of these it lacks (and past them,
/// the first private-use character it lacks).
const STAND_INS: [char; 4] = ['·', '¶', '§', '¤'];

/// Characters to indices and back, built from the data exactly as the lecture does:
/// `chars = sorted(set(''.join(words)))`, `stoi = {s: i + 1}`, `stoi['.'] = 0`.
/// Any alphabet works: uppercase, accents, CJK and emoji are characters like any other.
/// Indices are `i64`, what tensor indexing takes.
#[derive(Clone, PartialEq, Eq)]
pub struct Vocab {
    itos: Vec<char>,
    stoi: BTreeMap<char, i64>,
    /// `stoi` of the ASCII characters (-1: not in the vocabulary): most words are ASCII.
    ascii: [i64; 128],
    /// What the indices stand for.
    units: Units,
}

/// What a vocabulary's indices stand for.
#[derive(Clone, PartialEq, Eq)]
enum Units {
    /// A word list's characters, index 0 the boundary that starts and ends each word.
    Words,
    /// A text's characters (no boundary token).
    Text,
    /// A text's byte-pair tokens ([`Vocab::from_tokenizer`]).
    Tokens(Arc<Bpe>),
}

/// A trained tokenizer and its `.model` text (what a model file keeps, and what tells two apart).
struct Bpe {
    tokenizer: Tokenizer,
    model: String,
}

impl PartialEq for Bpe {
    fn eq(&self, other: &Bpe) -> bool {
        self.model == other.model
    }
}

impl Eq for Bpe {}

// A vocabulary is never empty: it holds `.` and at least one character.
#[allow(clippy::len_without_is_empty)]
impl Vocab {
    /// Builds the vocabulary of `words`: any characters, `.` included.
    ///
    /// # Errors
    /// [`Error::NoWords`] for an empty list or one of empty words only.
    pub fn from_words(words: &[String]) -> Result<Vocab> {
        if words.is_empty() {
            return Err(Error::NoWords { what: "the word list".to_string() });
        }
        let mut chars = std::collections::BTreeSet::new();
        for w in words {
            chars.extend(w.chars());
        }
        if chars.is_empty() {
            return Err(Error::NoWords {
                what: "the word list (all its words are empty)".to_string(),
            });
        }
        let shown = std::iter::once(BOUNDARY)
            .chain(STAND_INS)
            .chain(('\u{e000}'..='\u{f8ff}').take(chars.len() + 1))
            .find(|c| !chars.contains(c))
            .unwrap_or(BOUNDARY); // there are more private-use characters than data characters
        Ok(Vocab::from_sorted(shown, chars.into_iter()))
    }

    /// Rebuilds a vocabulary from its characters in index order (as [`Vocab::as_string`] gives:
    /// how index 0 is shown, then the data's characters), e.g. when loading a saved model.
    ///
    /// # Errors
    /// [`Error::Param`] if a character repeats, or there is no character after index 0.
    pub fn from_chars(chars: &str) -> Result<Vocab> {
        let itos: Vec<char> = chars.chars().collect();
        let set: std::collections::BTreeSet<char> = itos.iter().copied().collect();
        if set.len() != itos.len() || itos.len() < 2 {
            return Err(Error::param(
                "vocabulary",
                chars,
                "it must hold each character once, and at least one after the boundary",
                "build it with Vocab::from_words",
            ));
        }
        Ok(Vocab::from_sorted(itos[0], itos.into_iter().skip(1)))
    }

    /// The vocabulary of a text read as one stream, the GPT lecture's: its distinct characters,
    /// sorted (`chars = sorted(list(set(text)))`), `stoi = {ch: i}`; no boundary token.
    ///
    /// # Errors
    /// [`Error::Param`] for an empty text.
    pub fn from_text(text: &str) -> Result<Vocab> {
        let chars: std::collections::BTreeSet<char> = text.chars().collect();
        Vocab::from_text_chars(&chars.into_iter().collect::<String>())
    }

    /// Rebuilds a text's vocabulary from its characters in index order ([`Vocab::as_string`]).
    ///
    /// # Errors
    /// [`Error::Param`] if a character repeats, or there is none.
    pub fn from_text_chars(chars: &str) -> Result<Vocab> {
        let itos: Vec<char> = chars.chars().collect();
        let set: std::collections::BTreeSet<char> = itos.iter().copied().collect();
        if set.len() != itos.len() || itos.is_empty() {
            return Err(Error::param(
                "vocabulary",
                format!("{chars:?}"),
                "a text's vocabulary holds each character once, at least one",
                "build it with Vocab::from_text",
            ));
        }
        let v = Vocab::from_sorted(itos[0], itos.into_iter().skip(1));
        Ok(Vocab { units: Units::Text, ..v })
    }

    fn from_sorted(boundary: char, chars: impl Iterator<Item = char>) -> Vocab {
        let itos: Vec<char> = std::iter::once(boundary).chain(chars).collect();
        let stoi: BTreeMap<char, i64> = itos.iter().zip(0..).map(|(&c, i)| (c, i)).collect();
        let mut ascii = [-1; 128];
        for (&c, &i) in stoi.range(..'\u{80}') {
            ascii[c as usize] = i;
        }
        Vocab { itos, stoi, ascii, units: Units::Words }
    }

    /// A text's vocabulary of byte-pair tokens: `tokenizer`'s ordinary tokens (a model of the
    /// text reads and writes their ids; special tokens are encoded as plain text).
    ///
    /// # Errors
    /// [`Error::Bpe`] for a pretrained tokenizer (GPT-2's, GPT-4's: a model file could not keep
    /// it).
    pub fn from_tokenizer(tokenizer: Tokenizer) -> Result<Vocab> {
        tokenizer.check_saveable()?;
        let model = tokenizer.model_text();
        let units = Units::Tokens(Arc::new(Bpe { tokenizer, model }));
        Ok(Vocab { units, ..Vocab::from_sorted('\n', std::iter::empty()) })
    }

    /// [`Vocab::from_tokenizer`] of the tokenizer a `.model` text describes (as a model file
    /// keeps it); `source` names the file in errors.
    ///
    /// # Errors
    /// [`Error::Bpe`] when the text is not a `.model` file's.
    pub fn from_tokenizer_model(model: &str, source: &Path) -> Result<Vocab> {
        Vocab::from_tokenizer(Tokenizer::from_model_text(model, source)?)
    }

    /// The tokenizer of a vocabulary of byte-pair tokens, with its `.model` text.
    pub fn tokenizer(&self) -> Option<(&Tokenizer, &str)> {
        self.bpe().map(|b| (&b.tokenizer, b.model.as_str()))
    }

    /// Where generating from a model of a text starts: index 0 (the lecture's
    /// `torch.zeros((1, 1))`, its first character: the newline in Shakespeare), or for byte-pair
    /// tokens the newline's.
    pub fn start(&self) -> Vec<i64> {
        match self.units {
            Units::Tokens(_) => self.encode_text("\n").unwrap_or_default(),
            Units::Words | Units::Text => vec![0],
        }
    }

    /// True for a text's vocabulary ([`Vocab::from_text`]), false for a word list's.
    pub fn is_text(&self) -> bool {
        self.units != Units::Words
    }

    fn bpe(&self) -> Option<&Bpe> {
        match &self.units {
            Units::Tokens(b) => Some(b),
            Units::Words | Units::Text => None,
        }
    }

    /// The indices of the characters of `s`, nothing added: the lecture's `encode` of a text.
    ///
    /// # Errors
    /// [`Error::UnknownChar`] for a character outside the vocabulary.
    pub fn encode_text(&self, s: &str) -> Result<Vec<i64>> {
        if let Some(b) = self.bpe() {
            let ids = b.tokenizer.encode(s, &AllowedSpecial::None)?;
            return Ok(ids.into_iter().map(i64::from).collect());
        }
        s.chars().map(|c| self.stoi(c)).collect()
    }

    /// How index 0, the start and end of every word, is shown: `.`, unless the data has a `.`.
    pub fn boundary(&self) -> char {
        self.itos[0]
    }

    /// `name` without the boundary that ends it (a sampled name ends with it).
    pub fn strip<'a>(&self, name: &'a str) -> &'a str {
        name.strip_suffix(self.boundary()).unwrap_or(name)
    }

    /// Number of tokens, `.` included (27 for the names).
    pub fn len(&self) -> usize {
        match self.bpe() {
            Some(b) => b.tokenizer.vocab_size(),
            None => self.itos.len(),
        }
    }

    /// The index of a character: the lecture's `stoi[ch]`.
    ///
    /// # Errors
    /// [`Error::UnknownChar`] if `ch` is not in the vocabulary.
    #[inline]
    pub fn stoi(&self, ch: char) -> Result<i64> {
        match self.ascii.get(ch as usize) {
            Some(&i) if i >= 0 => Ok(i),
            _ => self.stoi.get(&ch).copied().ok_or(Error::UnknownChar { ch, len: self.len() }),
        }
    }

    /// The character of an index: the lecture's `itos[i]`.
    ///
    /// # Errors
    /// [`Error::UnknownIndex`] if `i` is out of range.
    pub fn itos(&self, i: i64) -> Result<char> {
        usize::try_from(i)
            .ok()
            .and_then(|u| self.itos.get(u).copied())
            .ok_or(Error::UnknownIndex { index: i, len: self.len() })
    }

    /// The token indices of a word framed by `context` boundary tokens in front and one behind:
    /// `emma` with context 1 gives `[0, 5, 13, 13, 1, 0]` (`. e m m a .`).
    ///
    /// # Errors
    /// [`Error::UnknownChar`] for a character outside the vocabulary.
    pub fn encode(&self, word: &str, context: usize) -> Result<Vec<i64>> {
        let mut ids = vec![0; context];
        for ch in word.chars() {
            ids.push(self.stoi(ch)?);
        }
        ids.push(0);
        Ok(ids)
    }

    /// The characters of `ids`, as a string: `itos` of each.
    ///
    /// # Errors
    /// [`Error::UnknownIndex`] for an index outside the vocabulary.
    pub fn decode(&self, ids: &[i64]) -> Result<String> {
        if let Some(b) = self.bpe() {
            let bad = |&i: &i64| Error::UnknownIndex { index: i, len: self.len() };
            let ids: Vec<u32> = ids
                .iter()
                .map(|i| {
                    u32::try_from(*i)
                        .ok()
                        .filter(|&u| (u as usize) < self.len())
                        .ok_or_else(|| bad(i))
                })
                .collect::<Result<_>>()?;
            return Ok(b.tokenizer.decode(&ids)?);
        }
        ids.iter().map(|&i| self.itos(i)).collect()
    }

    /// All characters in index order, the boundary first: `".abc...z"`.
    pub fn as_string(&self) -> String {
        self.itos.iter().collect()
    }

    /// What the vocabulary is, in a few words: `27 characters (.abc...z)`, a text's with its
    /// characters quoted, or `512 byte-pair tokens`.
    pub fn summary(&self) -> String {
        match self.units {
            Units::Tokens(_) => format!("{} byte-pair tokens", self.len()),
            Units::Text => format!("{} characters ({:?})", self.len(), self.as_string()),
            Units::Words => format!("{} characters ({})", self.len(), self.as_string()),
        }
    }

    /// The characters in index order.
    pub fn chars(&self) -> &[char] {
        &self.itos
    }
}

impl fmt::Debug for Vocab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let of = if self.is_text() { "a text's " } else { "" };
        if self.bpe().is_some() {
            return write!(f, "Vocab(a text's {} byte-pair tokens)", self.len());
        }
        write!(f, "Vocab({of}{} tokens: {:?})", self.len(), self.as_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn boundary_first_then_sorted_characters() {
        let v = Vocab::from_words(&words(&["emma", "ava"])).unwrap();
        assert_eq!(v.as_string(), ".aemv");
        assert_eq!(v.stoi('.').unwrap(), 0);
        assert_eq!(v.stoi('a').unwrap(), 1);
        assert_eq!(v.itos(4).unwrap(), 'v');
        assert_eq!(v.len(), 5);
    }

    #[test]
    fn encode_frames_the_word_and_decode_reads_it_back() {
        let v = Vocab::from_words(&words(&["emma"])).unwrap(); // . a e m
        assert_eq!(v.encode("emma", 1).unwrap(), vec![0, 2, 3, 3, 1, 0]);
        assert_eq!(v.encode("emma", 2).unwrap(), vec![0, 0, 2, 3, 3, 1, 0]);
        assert_eq!(v.decode(&[2, 3, 3, 1, 0]).unwrap(), "emma.");
    }

    #[test]
    fn any_alphabet_works() {
        let v = Vocab::from_words(&words(&["Zoë", "李白", "🙂a"])).unwrap();
        assert_eq!(v.itos(0).unwrap(), '.');
        assert_eq!(v.len(), 1 + 7);
        assert_eq!(v.stoi('李').unwrap(), 5); // . Z a o ë 李 白 🙂
        assert_eq!(Vocab::from_chars(&v.as_string()).unwrap(), v);
    }

    #[test]
    fn errors_name_the_problem() {
        let v = Vocab::from_words(&words(&["ab"])).unwrap();
        assert!(matches!(v.stoi('z'), Err(Error::UnknownChar { ch: 'z', .. })));
        assert!(matches!(v.stoi('é'), Err(Error::UnknownChar { .. })));
        assert!(matches!(v.itos(3), Err(Error::UnknownIndex { index: 3, .. })));
        assert!(matches!(v.itos(-1), Err(Error::UnknownIndex { .. })));
        let e = Vocab::from_words(&[]).unwrap_err();
        assert!(e.to_string().contains("hint:"), "{e}");
        assert!(Vocab::from_chars("aa").is_err() && Vocab::from_chars("a").is_err());
    }

    #[test]
    fn a_texts_vocabulary_is_its_sorted_characters_without_a_boundary() {
        let v = Vocab::from_text("hii there\n.").unwrap();
        assert_eq!(v.as_string(), "\n .ehirt");
        assert!(v.is_text() && !Vocab::from_words(&words(&["a"])).unwrap().is_text());
        assert_eq!(v.encode_text("hi.").unwrap(), vec![4, 5, 2]);
        assert_eq!(v.decode(&v.encode_text("there").unwrap()).unwrap(), "there");
        assert_eq!(Vocab::from_text_chars(&v.as_string()).unwrap(), v);
        assert_ne!(Vocab::from_chars(&v.as_string()).unwrap(), v);
        assert!(Vocab::from_text("").is_err() && Vocab::from_text_chars("aa").is_err());
        assert!(matches!(v.encode_text("z"), Err(Error::UnknownChar { ch: 'z', .. })));
    }

    #[test]
    fn a_dot_in_the_data_is_a_character_and_index_0_gets_a_stand_in() {
        let v = Vocab::from_words(&words(&["a.b", "·"])).unwrap();
        assert_eq!(v.as_string(), "¶.ab·"); // '.' and '·' are the data's: index 0 shows as '¶'
        assert_eq!((v.stoi('.').unwrap(), v.stoi('¶').unwrap()), (1, 0));
        assert_eq!(v.strip("a.b¶"), "a.b");
        assert_eq!(Vocab::from_chars(&v.as_string()).unwrap(), v);
    }
}
