//! minbpe's files: `.model` (read back by `load`) and `.vocab` (for people to read), written
//! byte for byte as minbpe's `save` writes them, atomically (a temp file, then a rename).
//!
//! `.model` is: `minbpe v1`, the pattern (empty for no split), the number of special tokens,
//! one `token id` line each, then one `left right` line per merge (merge `k` makes `256 + k`).

use crate::classes::is_control;
use crate::error::{BpeError, Result};
use crate::pattern::Pattern;
use crate::tokenizer::Tokenizer;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Write `contents` to `path` atomically: a temp file in the same folder, then a rename.
fn write_atomic(path: &Path, contents: &str) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let hint = "check that the folder exists and is writable, and that the disk is not full";
    let io =
        |action, cause| BpeError::Io { action, path: path.to_path_buf(), cause, hint: hint.into() };
    std::fs::write(&tmp, contents).map_err(|e| io("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("rename a temp file onto", e)
    })
}

/// A token as minbpe's `render_token` shows it: its bytes decoded with U+FFFD for invalid
/// UTF-8, then control, format, private-use and unassigned chars escaped as `\uXXXX`.
pub fn render_token(bytes: &[u8]) -> String {
    let mut out = String::new();
    for c in String::from_utf8_lossy(bytes).chars() {
        if is_control(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

impl Tokenizer {
    /// Write `{prefix}.model` and `{prefix}.vocab` as minbpe's `save(file_prefix)` does.
    ///
    /// `.vocab` lists the ordinary tokens only, as minbpe's does after `train` (after `load`
    /// minbpe's vocab also holds the special tokens). Pretrained tokenizers cannot be saved.
    pub fn save(&self, prefix: impl AsRef<Path>) -> Result<()> {
        self.check_saveable()?;
        let prefix = prefix.as_ref().as_os_str();
        let with_ext = |ext: &str| {
            let mut p = prefix.to_owned();
            p.push(ext);
            PathBuf::from(p)
        };
        write_atomic(&with_ext(".model"), &self.model_text())?;
        write_atomic(&with_ext(".vocab"), &self.vocab_text())
    }

    /// Fails for a pretrained tokenizer (GPT-4's, GPT-2's): minbpe's `.model` cannot hold it
    /// (its byte shuffle), so it cannot be saved, or kept in a model file.
    pub fn check_saveable(&self) -> Result<()> {
        match self.pretrained {
            Some(name) => Err(BpeError::Pretrained(name)),
            None => Ok(()),
        }
    }

    /// The contents of the `.model` file.
    pub fn model_text(&self) -> String {
        let mut s = String::from("minbpe v1\n");
        s.push_str(self.pattern().map_or("", Pattern::as_str));
        let _ = writeln!(s, "\n{}", self.special_tokens().len());
        for (tok, id) in self.special_tokens() {
            let _ = writeln!(s, "{tok} {id}");
        }
        for ((a, b), _) in self.merges() {
            let _ = writeln!(s, "{a} {b}");
        }
        s
    }

    /// The contents of the `.vocab` file: `[token] id` for bytes, `[left][right] -> [token] id`
    /// for merges.
    pub fn vocab_text(&self) -> String {
        let vocab = self.vocab();
        let mut s = String::new();
        for (id, bytes) in vocab.iter().enumerate().take(256) {
            let _ = writeln!(s, "[{}] {id}", render_token(bytes));
        }
        for ((a, b), id) in self.merges() {
            let _ = writeln!(
                s,
                "[{}][{}] -> [{}] {id}",
                render_token(&vocab[*a as usize]),
                render_token(&vocab[*b as usize]),
                render_token(&vocab[*id as usize]),
            );
        }
        s
    }

    /// A tokenizer from the text of a `.model` file ([`Tokenizer::model_text`]), e.g. one kept
    /// inside another file; `source` names where it came from in errors.
    pub fn from_model_text(text: &str, source: impl AsRef<Path>) -> Result<Tokenizer> {
        parse_model(text).map_err(|(line, problem, hint)| BpeError::BadModelFile {
            path: source.as_ref().to_path_buf(),
            line,
            problem,
            hint: hint.to_string(),
        })
    }

    /// Load a `.model` file written by minbpe's `save` (or ours).
    ///
    /// Unlike minbpe's `RegexTokenizer.load`, which keeps its compiled default pattern, the
    /// loaded pattern is the one used (empty: no split). Errors name the file and line: not a
    /// `.model` path, a wrong version line, a bad count, special or merge line, a merge of a
    /// token not yet defined, a repeated merge.
    pub fn load(path: impl AsRef<Path>) -> Result<Tokenizer> {
        let path = path.as_ref();
        let bad = |line: usize, problem: String, hint: &str| BpeError::BadModelFile {
            path: path.to_path_buf(),
            line,
            problem,
            hint: hint.to_string(),
        };
        if path.extension().is_none_or(|e| e != "model") {
            return Err(bad(
                0,
                "the file name does not end in .model".into(),
                "load the .model file that save() wrote; the .vocab file is for reading only",
            ));
        }
        let bytes = std::fs::read(path).map_err(|cause| {
            let missing = "check the path: it is the PREFIX.model that save() (`makemore bpe train -o PREFIX`) wrote";
            crate::files::read_error(path, cause, "the .model file", missing)
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|e| bad(0, format!("not UTF-8 ({e})"), "a .model file is UTF-8 text"))?;
        parse_model(&text).map_err(|(line, problem, hint)| bad(line, problem, hint))
    }
}

/// Parse `.model` text; errors are (1-based line, problem, hint).
fn parse_model(text: &str) -> std::result::Result<Tokenizer, (usize, String, &'static str)> {
    const FORMAT: &str = "minbpe's .model is `minbpe v1`, the pattern, the number of special tokens, `token id` lines, then `left right` merge lines";
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    let end = text.lines().count() + 1;
    let mut next = |what: &str| {
        lines.next().ok_or((end, format!("the file ends before the {what} line"), FORMAT))
    };
    let (n, version) = next("version")?;
    if version != "minbpe v1" {
        return Err((n, format!("expected `minbpe v1`, found {version:?}"), FORMAT));
    }
    let (_, pattern) = next("pattern")?;
    let pattern = (!pattern.is_empty()).then(|| Pattern::from_regex(pattern));
    let (n, count) = next("special token count")?;
    let count: usize = count.parse().map_err(|_| {
        (n, format!("expected the number of special tokens, found {count:?}"), FORMAT)
    })?;
    let mut special = Vec::with_capacity(count);
    for _ in 0..count {
        let (n, line) = next("special token")?;
        let mut f = line.split_whitespace();
        match (f.next(), f.next().map(str::parse::<u32>), f.next()) {
            (Some(tok), Some(Ok(id)), None) => special.push((tok, id)),
            _ => return Err((n, format!("expected `token id`, found {line:?}"), FORMAT)),
        }
    }
    let mut pairs = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    for (n, line) in lines {
        let id = 256 + pairs.len() as u64;
        let mut f = line.split_whitespace().map(str::parse::<u32>);
        let pair = match (f.next(), f.next(), f.next()) {
            (Some(Ok(a)), Some(Ok(b)), None) => (a, b),
            _ => return Err((n, format!("expected a merge `left right`, found {line:?}"), FORMAT)),
        };
        if u64::from(pair.0.max(pair.1)) >= id {
            return Err((
                n,
                format!(
                    "merge {} {} makes token {id} from a token not defined yet",
                    pair.0, pair.1
                ),
                "each merge may only use byte tokens and tokens of earlier merges",
            ));
        }
        if !seen.insert(pair) {
            return Err((
                n,
                format!("merge {} {} appears twice", pair.0, pair.1),
                "remove the repeated merge",
            ));
        }
        pairs.push(pair);
    }
    let mut t = Tokenizer::from_merges(pattern, &pairs, std::array::from_fn(|b| b as u32))
        .map_err(|e| (2, e.to_string(), "fix the pattern line"))?;
    t.register_special_tokens(&special)
        .map_err(|e| (3, e.to_string(), "fix the special token lines"))?;
    Ok(t)
}
