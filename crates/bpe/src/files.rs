//! Files: a text read whole, with an error for one that is not text, and the checks and hints
//! every reader and writer of `makemore` shares (its other files are the `makemore` crate's).

use std::path::Path;

use crate::error::{BpeError, Result};

/// What to do when `path` cannot be read, by the kind of error: `missing` when it does not
/// exist; `what` names what the path should be.
pub fn read_hint(path: &Path, cause: &std::io::Error, what: &str, missing: &str) -> String {
    match cause.kind() {
        std::io::ErrorKind::NotFound => missing.to_string(),
        std::io::ErrorKind::PermissionDenied => {
            "check the file's permissions (`ls -l`), or copy it somewhere readable".to_string()
        }
        _ if path.is_dir() => format!("that is a directory: pass the path of {what} inside it"),
        _ => format!("pass the path of {what}"),
    }
}

pub(crate) fn read_error(
    path: &Path,
    cause: std::io::Error,
    what: &str,
    missing: &str,
) -> BpeError {
    let hint = read_hint(path, &cause, what, missing);
    BpeError::Io { action: "read", path: path.to_path_buf(), cause, hint }
}

/// Fails, before any work, when the folder that `path` would be written into does not exist.
///
/// # Errors
/// [`BpeError::Io`] naming the path and the missing folder.
pub fn check_folder(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(BpeError::Io {
            action: "write",
            path: path.to_path_buf(),
            cause: std::io::ErrorKind::NotFound.into(),
            hint: format!("the folder {} does not exist: create it first", dir.display()),
        }),
        _ => Ok(()),
    }
}

/// The token ids in `text`, separated by spaces or lines (what `makemore bpe encode` prints).
///
/// # Errors
/// [`BpeError::Param`] naming the first word that is not an id.
pub fn parse_ids(text: &str) -> Result<Vec<u32>> {
    let not_an_id = |word: &str| BpeError::Param {
        name: "standard input",
        value: "(ids)".to_string(),
        why: "it must hold token ids separated by spaces",
        hint: format!("{word:?} is not a token id; pipe in what `makemore bpe encode` printed"),
    };
    text.split_whitespace().map(|word| word.parse::<u32>().map_err(|_| not_an_id(word))).collect()
}

/// Standard input, whole, as UTF-8 text (empty is fine: it encodes to no ids).
///
/// # Errors
/// [`BpeError::Io`] when it cannot be read; [`BpeError::Text`] when it is not UTF-8.
pub fn read_stdin_text() -> Result<String> {
    String::from_utf8(read_stdin()?).map_err(|e| BpeError::Text {
        path: "standard input".into(),
        why: format!("it is not UTF-8 (byte {} is not)", e.utf8_error().valid_up_to()),
        hint: "encode UTF-8 text; convert it first, e.g. with iconv",
    })
}

/// Standard input, whole.
///
/// # Errors
/// [`BpeError::Io`] when it cannot be read.
pub fn read_stdin() -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|cause| {
        BpeError::Io {
            action: "read",
            path: "standard input".into(),
            cause,
            hint: "pipe the input in, or pass a file".to_string(),
        }
    })?;
    Ok(bytes)
}

/// The whole of a UTF-8 text file (a byte order mark dropped), as the lecture's
/// `open('input.txt', 'r', encoding='utf-8').read()`.
///
/// # Errors
/// [`BpeError::Io`] when it cannot be read; [`BpeError::Text`] when it is empty, holds NUL bytes (a
/// binary file) or is not UTF-8 (with the line where that starts).
pub fn read_text(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| {
        let missing =
            "check the path; for the lecture's text run `make data`, which fetches data/tinyshakespeare.txt";
        read_error(path, source, "a text file", missing)
    })?;
    let bad = |why: String, hint| BpeError::Text { path: path.to_path_buf(), why, hint };
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        let why = format!("it holds a NUL byte on line {line}: it is binary, not text");
        return Err(bad(why, "give it a plain text file (UTF-8)"));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        bad(format!("line {line} is not valid UTF-8"), "save the file as UTF-8 text")
    })?;
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    if text.is_empty() {
        return Err(bad("it is empty".into(), "give it a file with some text in it"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_files_read_whole_and_bad_ones_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let text = "First Citizen:\nBefore we proceed any further, hear me speak.\n";
        assert_eq!(read_text(write("ok.txt", text.as_bytes())).unwrap(), text);
        assert_eq!(read_text(write("bom.txt", "\u{feff}ab".as_bytes())).unwrap(), "ab");
        let e = read_text(write("empty.txt", b"")).unwrap_err().to_string();
        assert!(e.contains("empty.txt: it is empty (hint: "), "{e}");
        let e = read_text(write("bin.dat", b"ab\ncd\0ef")).unwrap_err().to_string();
        assert!(e.contains("NUL byte on line 2: it is binary"), "{e}");
        let e = read_text(write("latin1.txt", b"a\nb\nfa\xe7ade")).unwrap_err().to_string();
        assert!(e.contains("line 3 is not valid UTF-8"), "{e}");
        let e = read_text(dir.path().join("missing.txt")).unwrap_err().to_string();
        assert!(e.contains("missing.txt") && e.contains("make data"), "{e}");
    }
}
