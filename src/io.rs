//! Writing files safely: into a temporary file beside the target, then renamed into place, so an
//! error never leaves a half-written file.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically.
///
/// # Errors
/// [`Error::Io`] naming the path when the folder is missing or not writable.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let io_err = |source: std::io::Error| {
        let hint = if dir.is_dir() {
            "check that the folder is writable".to_string()
        } else {
            format!(
                "the folder {} does not exist: create it first",
                dir.display()
            )
        };
        Error::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
            hint,
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io_err)
}
