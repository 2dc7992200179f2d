//! Chunking: the text split by a pattern into the pieces BPE never merges across, like
//! Python's `regex.findall(pattern, text)`.
//!
//! For the two GPT patterns there is a hand-written matcher, several times faster than a
//! backtracking regex engine; it tries the pattern's alternatives in order at each position,
//! exactly as the regex does (possessive quantifiers and the `\s+(?!\S)` lookahead included).
//! Tests check it against fancy-regex on random strings and against Python's `regex.findall`
//! on whole files. Any other pattern runs on fancy-regex.

use crate::classes::{class_of, Class};
use crate::error::{BpeError, Result};
use crate::pattern::Pattern;

/// A compiled split pattern.
#[derive(Debug, Clone)]
pub(crate) enum Splitter {
    /// No pattern: the whole text is one chunk (minbpe's BasicTokenizer).
    Whole,
    /// GPT-2's pattern, matched by hand.
    Gpt2,
    /// GPT-4's pattern, matched by hand.
    Gpt4,
    /// Any other pattern, on fancy-regex.
    Regex(Box<fancy_regex::Regex>),
}

impl Splitter {
    /// Compile `pattern` (`None`: no splitting).
    pub(crate) fn new(pattern: Option<&Pattern>) -> Result<Self> {
        Ok(match pattern {
            None => Splitter::Whole,
            Some(Pattern::Gpt2) => Splitter::Gpt2,
            Some(Pattern::Gpt4) => Splitter::Gpt4,
            Some(Pattern::Custom(p)) => {
                let re = fancy_regex::Regex::new(p).map_err(|e| BpeError::BadPattern {
                    pattern: p.clone(),
                    message: e.to_string(),
                })?;
                Splitter::Regex(Box::new(re))
            }
        })
    }

    /// Call `f` on each chunk of `text`, in order. Empty matches are skipped (they hold no
    /// bytes to encode); text between matches is dropped, as `findall` drops it.
    pub(crate) fn for_each<'t>(&self, text: &'t str, mut f: impl FnMut(&'t str)) -> Result<()> {
        let next: fn(&str, usize) -> usize = match self {
            Splitter::Whole => {
                if !text.is_empty() {
                    f(text);
                }
                return Ok(());
            }
            Splitter::Regex(re) => {
                for m in re.find_iter(text) {
                    let m = m.map_err(|e| BpeError::PatternFailed {
                        pattern: re.as_str().to_string(),
                        message: e.to_string(),
                    })?;
                    if !m.as_str().is_empty() {
                        f(m.as_str());
                    }
                }
                return Ok(());
            }
            Splitter::Gpt2 => gpt2_end,
            Splitter::Gpt4 => gpt4_end,
        };
        let mut i = 0;
        while i < text.len() {
            let end = next(text, i);
            f(&text[i..end]);
            i = end;
        }
        Ok(())
    }
}

/// Split `text` into chunks with `pattern` (`None`: one chunk), like `regex.findall`.
pub fn split<'t>(pattern: Option<&Pattern>, text: &'t str) -> Result<Vec<&'t str>> {
    let mut out = Vec::new();
    Splitter::new(pattern)?.for_each(text, |c| out.push(c))?;
    Ok(out)
}

/// The char at byte offset `i`, its class and its length in bytes.
#[inline]
fn at(t: &str, i: usize) -> Option<(char, Class, usize)> {
    let b = *t.as_bytes().get(i)?;
    if b < 128 {
        let c = b as char;
        return Some((c, class_of(c), 1));
    }
    let c = t[i..].chars().next()?;
    Some((c, class_of(c), c.len_utf8()))
}

/// End of the run of chars of class `class` starting at `i`.
#[inline]
fn run_end(t: &str, mut i: usize, class: Class) -> usize {
    while let Some((_, k, n)) = at(t, i) {
        if k != class {
            break;
        }
        i += n;
    }
    i
}

/// End of a contraction `'s 'd 'm 't 'll 've 're` whose quote is at `i`, if there is one.
/// With `fold`, letters match case-insensitively (`(?i:...)`), so `'S` and `'ſ` (long s,
/// which Unicode folds to `s`) match too.
fn contraction(t: &str, i: usize, fold: bool) -> Option<usize> {
    let b = t.as_bytes();
    let is = |j: usize, c: u8| {
        b.get(j).is_some_and(|&x| x == c || (fold && x == c.to_ascii_uppercase()))
    };
    let j = i + 1;
    if is(j, b's') || is(j, b'd') || is(j, b'm') || is(j, b't') {
        return Some(j + 1);
    }
    if fold && t[j..].starts_with('\u{17f}') {
        return Some(j + 2);
    }
    if (is(j, b'l') && is(j + 1, b'l'))
        || (is(j, b'v') && is(j + 1, b'e'))
        || (is(j, b'r') && is(j + 1, b'e'))
    {
        return Some(j + 2);
    }
    None
}

/// The white-space alternatives both patterns end with: `\s+(?!\S)|\s+` at `i`, where the
/// run of white space is `i..e`. A run followed by a non-space gives back its last char (to
/// become the prefix of the next chunk, e.g. the space of `" word"`), unless it is one char.
#[inline]
fn space_tail(t: &str, i: usize, e: usize) -> usize {
    if e == t.len() {
        return e;
    }
    let last = t[..e].char_indices().next_back().map_or(i, |(k, _)| k);
    if last > i {
        last
    } else {
        e
    }
}

/// End of the chunk starting at `i` under
/// `'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
fn gpt2_end(t: &str, i: usize) -> usize {
    let Some((c, class, _)) = at(t, i) else {
        return i;
    };
    if c == '\'' {
        if let Some(e) = contraction(t, i, false) {
            return e;
        }
    }
    // ` ?X+` for X = letters, numbers, others: a space joins a following run of any of them.
    let after_space = if c == ' ' { at(t, i + 1) } else { None };
    let (start, class) = match after_space {
        Some((_, k, _)) if k != Class::Space => (i + 1, k),
        _ => (i, class),
    };
    if class != Class::Space {
        return run_end(t, start, class);
    }
    space_tail(t, i, run_end(t, i, Class::Space))
}

/// End of the chunk starting at `i` under minbpe's `GPT4_SPLIT_PATTERN`:
/// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+`.
fn gpt4_end(t: &str, i: usize) -> usize {
    let Some((c, class, n)) = at(t, i) else {
        return i;
    };
    if c == '\'' {
        if let Some(e) = contraction(t, i, true) {
            return e;
        }
    }
    // [^\r\n\p{L}\p{N}]?+\p{L}+ : letters, or one non-newline non-number char then letters
    if class == Class::Letter {
        return run_end(t, i, Class::Letter);
    }
    if c != '\r' && c != '\n' && class != Class::Number {
        if let Some((_, Class::Letter, _)) = at(t, i + n) {
            return run_end(t, i + n, Class::Letter);
        }
    }
    // \p{N}{1,3}
    if class == Class::Number {
        let mut e = i + n;
        for _ in 0..2 {
            match at(t, e) {
                Some((_, Class::Number, m)) => e += m,
                _ => break,
            }
        }
        return e;
    }
    // ` ?[^\s\p{L}\p{N}]++[\r\n]*`
    let after_space = if c == ' ' { at(t, i + 1) } else { None };
    let start = match after_space {
        Some((_, Class::Other, _)) => i + 1,
        _ => i,
    };
    if class == Class::Other || start > i {
        let mut e = run_end(t, start, Class::Other);
        while matches!(t.as_bytes().get(e), Some(b'\r' | b'\n')) {
            e += 1;
        }
        return e;
    }
    // white space: \s*[\r\n] (up to the run's last newline), then \s+(?!\S), then \s+
    let e = run_end(t, i, Class::Space);
    if let Some(k) = t.as_bytes()[i..e].iter().rposition(|&b| b == b'\r' || b == b'\n') {
        return i + k + 1;
    }
    space_tail(t, i, e)
}

/// A byte offset at or after `from` where both GPT patterns always start a chunk and where the
/// text before it splits the same on its own: an ASCII letter after `\n` after a visible ASCII
/// char. Chunking the two sides separately then gives exactly the chunks of the whole text.
pub(crate) fn safe_cut(text: &str, from: usize) -> Option<usize> {
    let b = text.as_bytes();
    (from.max(2)..b.len())
        .find(|&p| b[p - 1] == b'\n' && b[p - 2].is_ascii_graphic() && b[p].is_ascii_alphabetic())
}
