//! FineWeb-style shards as build-nanogpt's `fineweb.py` writes them: every document's GPT-2
//! tokens after `<|endoftext|>`, concatenated, cut into `.npy` files of `shard_size` uint16
//! tokens (`{name}_val_000000.npy` first, then `{name}_train_000001.npy`, ...), a document cut
//! across a boundary carried on into the next file; and reading them back.

use std::path::{Path, PathBuf};

use crate::bpe::Tokenizer;
use crate::error::{Error, Result};

/// GPT-2's `<|endoftext|>`: each document starts with it.
pub const EOT: u32 = 50256;

/// `fineweb.py`'s shard size: 100M tokens.
pub const SHARD_SIZE: usize = 100_000_000;

/// `fineweb.py`'s file names: `edufineweb_{split}_{index:06d}.npy`.
pub const NAME: &str = "edufineweb";

/// The bytes of a one-dimensional uint16 `.npy` file (format 1.0) as `np.save` writes it: the
/// magic, the header dict padded with spaces (room for the length to grow) to a multiple of 64
/// bytes, then the tokens little-endian.
pub fn npy_bytes(tokens: &[u16]) -> Vec<u8> {
    let mut header =
        format!("{{'descr': '<u2', 'fortran_order': False, 'shape': ({},), }}", tokens.len());
    header.push_str(&" ".repeat(21 - tokens.len().to_string().len())); // numpy's growth room
    let pad = 64 - (10 + header.len() + 1) % 64; // 1 to 64, as numpy's _wrap_header
    header.push_str(&" ".repeat(pad));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + 2 * tokens.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for t in tokens {
        out.extend_from_slice(&t.to_le_bytes());
    }
    out
}

/// The tokens of a one-dimensional uint16 `.npy` file.
///
/// # Errors
/// [`Error::Io`] when it cannot be read; [`Error::Saved`] when it is not a 1-D `<u2` array.
pub fn read_npy(path: &Path) -> Result<Vec<u16>> {
    let bytes = std::fs::read(path).map_err(|e| {
        crate::io::read_error(path, e, "a .npy shard", "make shards with `makemore gpt2 prepare`")
    })?;
    let bad = |why: &str| Error::Saved {
        path: path.to_path_buf(),
        why: why.to_string(),
        hint: "shards are 1-D uint16 .npy files, as `makemore gpt2 prepare` and fineweb.py write"
            .into(),
    };
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("it is not a .npy file"));
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => {
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        _ => return Err(bad("its .npy version is unknown")),
    };
    let header = bytes.get(start..start + len).ok_or_else(|| bad("its header is cut short"))?;
    let header = String::from_utf8_lossy(header);
    if !header.contains("'descr': '<u2'") || !header.contains("'fortran_order': False") {
        return Err(bad("it does not hold little-endian uint16 tokens ('<u2')"));
    }
    let shape = header.split("'shape': (").nth(1).and_then(|s| s.split(')').next());
    let n: usize = match shape.map(|s| s.trim_end_matches(',').trim().parse()) {
        Some(Ok(n)) => n,
        _ => return Err(bad("its shape is not one-dimensional")),
    };
    let data = &bytes[start + len..];
    if data.len() != 2 * n {
        return Err(bad("its data is not as long as its shape says"));
    }
    Ok(data.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect())
}

/// The shard files of `split` (`"train"` or `"val"`: the names holding it) in `dir`, sorted, as
/// the lecture's `DataLoaderLite` lists them.
///
/// # Errors
/// [`Error::Io`] for a folder that cannot be read; [`Error::Param`] when it has no shard of
/// `split`.
pub fn list(dir: &Path, split: &str) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        crate::io::read_error(dir, e, "a folder of shards", "make it with `makemore gpt2 prepare`")
    })?;
    let mut shards: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains(split)))
        .collect();
    shards.sort();
    if shards.is_empty() {
        let value = format!("{} has no {split} shard", dir.display());
        let why = "training reads `*train*` shards and evaluates on `*val*` shards";
        let hint = "make them with `makemore gpt2 prepare -i FILE -o DIR`";
        return Err(Error::param("data", value, why, hint));
    }
    Ok(shards)
}

/// Writes the shards of `docs` into `dir` as `fineweb.py` does (see the module), calling
/// `progress` with the tokens written so far after each document. The paths written, in order.
/// Documents are tokenized on `threads` threads in order.
///
/// # Errors
/// [`Error::Param`] for a shard size of 0; [`Error::Io`] for a file that cannot be written
/// (each written whole or not at all); a tokenizer error.
pub fn write(
    docs: impl Iterator<Item = String>,
    dir: &Path,
    name: &str,
    shard_size: usize,
    threads: usize,
    mut progress: impl FnMut(u64),
) -> Result<Vec<PathBuf>> {
    if shard_size == 0 {
        let hint = "use fineweb.py's 100,000,000, or fewer tokens for a small text";
        return Err(Error::param("shard size", 0, "a shard holds at least one token", hint));
    }
    crate::io::create_dir(dir)?;
    let enc = Tokenizer::gpt2()?;
    let mut written = Vec::new();
    let mut buf: Vec<u16> = Vec::with_capacity(shard_size.min(1 << 24));
    let mut total = 0u64;
    let flush = |tokens: &[u16], written: &mut Vec<PathBuf>| -> Result<()> {
        let split = if written.is_empty() { "val" } else { "train" };
        let path = dir.join(format!("{name}_{split}_{:06}.npy", written.len()));
        crate::io::write_atomic(&path, &npy_bytes(tokens))?;
        written.push(path);
        Ok(())
    };
    let mut docs = docs.peekable();
    while docs.peek().is_some() {
        let chunk: Vec<String> = docs.by_ref().take(64 * threads.max(1)).collect();
        for tokens in tokenize(&enc, &chunk, threads)? {
            total += tokens.len() as u64;
            buf.extend(tokens);
            while buf.len() >= shard_size {
                flush(&buf[..shard_size], &mut written)?;
                buf.drain(..shard_size);
            }
            progress(total);
        }
    }
    if !buf.is_empty() {
        flush(&buf, &mut written)?;
    }
    Ok(written)
}

/// `fineweb.py`'s `tokenize` of each document, on `threads` threads: `<|endoftext|>` then the
/// text's ordinary tokens (a special token's text is text), as uint16.
fn tokenize(enc: &Tokenizer, docs: &[String], threads: usize) -> Result<Vec<Vec<u16>>> {
    let one = |doc: &String| -> Result<Vec<u16>> {
        let mut tokens = vec![EOT as u16];
        tokens.extend(enc.encode_ordinary(doc)?.into_iter().map(|t| t as u16)); // ids < 50257
        Ok(tokens)
    };
    let per = docs.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = docs
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().map(one).collect::<Result<Vec<_>>>()))
            .collect();
        let mut out = Vec::with_capacity(docs.len());
        for h in handles {
            out.extend(h.join().map_err(|_| {
                Error::Output(std::io::Error::other("a tokenizer thread panicked"))
            })??);
        }
        Ok(out)
    })
}

/// The documents of an input file of `prepare`: a `.jsonl` file (FineWeb's format) holds one per
/// line, its `text` field; any other file is one document, its whole text.
///
/// # Errors
/// [`Error::Io`] for a file that cannot be read; [`Error::Saved`] naming a jsonl line without
/// a `text` string, or a text that is not UTF-8.
pub fn read_documents(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read(path)
        .map_err(|e| crate::io::read_error(path, e, "a text or .jsonl file", "check the path"))?;
    let bad = |why: String| Error::Saved {
        path: path.to_path_buf(),
        why,
        hint: "give UTF-8 text files, or .jsonl files with a \"text\" field on each line".into(),
    };
    let text = String::from_utf8(text).map_err(|_| bad("is not UTF-8 text".into()))?;
    if path.extension().is_none_or(|e| e != "jsonl") {
        return Ok(vec![text]);
    }
    let mut docs = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let json: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| bad(format!("line {}: not JSON ({e})", i + 1)))?;
        let doc = json["text"]
            .as_str()
            .ok_or_else(|| bad(format!("line {}: no \"text\" string", i + 1)))?;
        docs.push(doc.to_string());
    }
    Ok(docs)
}
