//! Writing files safely: into a temporary file beside the target, then renamed into place, so an
//! error never leaves a half-written file. Used by `Png::save` and the model files of `persist`.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// The error for a file that cannot be read: the path, the cause, and a hint by cause (`missing`
/// when it does not exist; `what` names what the path should be, e.g. "a text file").
pub(crate) fn read_error(path: &Path, source: std::io::Error, what: &str, missing: &str) -> Error {
    let hint = makemore_bpe::files::read_hint(path, &source, what, missing);
    Error::Io { action: "read", path: path.to_path_buf(), cause: source, hint }
}

/// Fails, before any work, when the folder that `path` would be written into does not exist.
///
/// # Errors
/// [`Error::Bpe`] (an I/O error) naming the path and the missing folder.
pub fn check_folder(path: &Path) -> Result<()> {
    Ok(makemore_bpe::files::check_folder(path)?)
}

/// Makes the folder `dir` and its parents, if missing.
///
/// # Errors
/// [`Error::Io`] naming the folder when it cannot be made.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|cause| Error::Io {
        action: "create",
        path: dir.to_path_buf(),
        cause,
        hint: "pick a folder in one you can write to".to_string(),
    })
}

/// Writes `bytes` to `path` atomically.
///
/// # Errors
/// [`Error::Io`] naming the path when the folder is missing or not writable.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |tmp| {
        let mut f = std::fs::File::create(tmp)?;
        f.write_all(bytes)
    })
}

/// Calls `write` to fill a temporary file in `path`'s folder, syncs it and renames it to `path`.
/// On any error the temporary file is removed and `path` is left as it was.
///
/// # Errors
/// [`Error::Io`] naming the path, with a hint when the folder is missing or not writable.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<()> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    let tmp = dir.join(format!(
        ".{name}.tmp{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    // Create the file first, so a missing folder is a plain io::Error whatever `write` does.
    let result = std::fs::File::create(&tmp)
        .and_then(|_| write(&tmp))
        .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|source| {
        let hint = if dir.is_dir() {
            "check that the folder is writable and that the path is not a folder".to_string()
        } else {
            format!("the folder {} does not exist: create it first", dir.display())
        };
        Error::Io { action: "write", path: path.to_path_buf(), cause: source, hint }
    })
}

/// FNV-1a, 64 bit: the one hash of the crate (a model file's checksum, the digest of the words
/// a model was trained on). Not cryptographic: it catches corruption and mix-ups.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub(crate) fn eat(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}
