//! makemore.py's `model.pt`: a `torch.save` of its model's `state_dict`, read without Python and
//! without running anything in it. The file is a zip archive (stored, not compressed) holding
//! `NAME/data.pkl`, a pickle of an `OrderedDict` from names to tensors, and `NAME/data/KEY`, the
//! bytes of each tensor's storage. The pickle is decoded by a small stack machine that knows the
//! opcodes `torch.save` writes and builds only dicts, tuples, numbers, strings and tensors; any
//! other object in the pickle (a class or a function to call) is refused, never called.

use std::collections::BTreeMap;

use tch::{Kind, Tensor};

/// The named tensors of a `torch.save`d `state_dict`, from the file's bytes; `Err` says why not.
pub(crate) fn read_state_dict(bytes: &[u8]) -> Result<BTreeMap<String, Tensor>, String> {
    let files = unzip(bytes)?;
    let (pickle_name, pickle) = files
        .iter()
        .find(|(name, _)| name.ends_with("/data.pkl") || name.as_str() == "data.pkl")
        .ok_or("the archive has no data.pkl: it is not a torch.save file")?;
    let dir = &pickle_name[..pickle_name.len() - "data.pkl".len()];
    let storage = |key: &str| files.get(&format!("{dir}data/{key}")).copied();
    match Unpickler::new(pickle, &storage).run()? {
        Value::Dict(items) => items
            .into_iter()
            .map(|(k, v)| match (k, v) {
                (Value::Str(k), Value::Tensor(t)) => Ok((k, t)),
                (k, _) => Err(format!("its entry {k:?} is not a named tensor")),
            })
            .collect(),
        _ => Err("it holds something other than a state_dict".into()),
    }
}

/// The entries of a zip archive that stores them uncompressed (as `torch.save` does), by name.
fn unzip(bytes: &[u8]) -> Result<BTreeMap<String, &[u8]>, String> {
    let not_zip = || "it is not a file of torch.save (no zip archive)".to_string();
    let u16_at = |i: usize| bytes.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u32_at = |i: usize| {
        bytes.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    // the end of central directory record: signature PK\5\6, within the last 64 KiB
    let end = (0..bytes.len().saturating_sub(21))
        .rev()
        .take(1 << 16)
        .find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))
        .ok_or_else(not_zip)?;
    let (count, mut at) =
        (u16_at(end + 10).ok_or_else(not_zip)?, u32_at(end + 16).ok_or_else(not_zip)?);
    let mut files = BTreeMap::new();
    for _ in 0..count {
        let field = |off: usize, n: usize| if n == 2 { u16_at(at + off) } else { u32_at(at + off) };
        if !bytes.get(at..).is_some_and(|b| b.starts_with(b"PK\x01\x02")) {
            return Err(not_zip());
        }
        let (method, size, name_len) = (field(10, 2), field(20, 4), field(28, 2));
        let (extra, comment, local) = (field(30, 2), field(32, 2), field(42, 4));
        let (Some(method), Some(size), Some(n), Some(extra), Some(comment), Some(local)) =
            (method, size, name_len, extra, comment, local)
        else {
            return Err(not_zip());
        };
        let name = String::from_utf8_lossy(bytes.get(at + 46..at + 46 + n).ok_or_else(not_zip)?)
            .into_owned();
        if method != 0 {
            return Err(format!("its entry {name} is compressed, which torch.save never does"));
        }
        let data = match (u16_at(local + 26), u16_at(local + 28)) {
            (Some(n), Some(e)) => bytes.get(local + 30 + n + e..local + 30 + n + e + size),
            _ => None,
        };
        files.insert(name, data.ok_or_else(not_zip)?);
        at += 46 + n + extra + comment;
    }
    Ok(files)
}

/// What the pickle builds.
#[derive(Debug)]
enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Tuple(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    /// A class or function the pickle names (`module.name`): only a few are understood.
    Global(String),
    /// A tensor's storage: its element kind and bytes.
    Storage(Kind, Vec<u8>),
    Tensor(Tensor),
    Mark,
}

impl Clone for Value {
    fn clone(&self) -> Self {
        match self {
            Value::None => Value::None,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::Str(s) => Value::Str(s.clone()),
            Value::Tuple(v) => Value::Tuple(v.clone()),
            Value::Dict(v) => Value::Dict(v.clone()),
            Value::Global(g) => Value::Global(g.clone()),
            Value::Storage(k, b) => Value::Storage(*k, b.clone()),
            Value::Tensor(t) => Value::Tensor(t.shallow_clone()),
            Value::Mark => Value::Mark,
        }
    }
}

struct Unpickler<'a, 's> {
    code: &'a [u8],
    at: usize,
    stack: Vec<Value>,
    memo: BTreeMap<usize, Value>,
    storage: &'s dyn Fn(&str) -> Option<&'a [u8]>,
}

impl<'a, 's> Unpickler<'a, 's> {
    fn new(code: &'a [u8], storage: &'s dyn Fn(&str) -> Option<&'a [u8]>) -> Self {
        Unpickler { code, at: 0, stack: Vec::new(), memo: BTreeMap::new(), storage }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let bytes = self.code.get(self.at..self.at + n).ok_or("its pickle is truncated")?;
        self.at += n;
        Ok(bytes)
    }

    fn uint(&mut self, n: usize) -> Result<usize, String> {
        Ok(self.take(n)?.iter().rev().fold(0, |acc, &b| acc << 8 | b as usize))
    }

    fn line(&mut self) -> Result<String, String> {
        let rest = &self.code[self.at.min(self.code.len())..];
        let n = rest.iter().position(|&b| b == b'\n').ok_or("its pickle is truncated")?;
        let text = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.at += n + 1;
        Ok(text)
    }

    fn pop(&mut self) -> Result<Value, String> {
        self.stack.pop().ok_or_else(|| "its pickle is malformed (empty stack)".to_string())
    }

    /// The values since the last mark, which is removed.
    fn pop_mark(&mut self) -> Result<Vec<Value>, String> {
        let mark = self
            .stack
            .iter()
            .rposition(|v| matches!(v, Value::Mark))
            .ok_or("its pickle is malformed (no mark)")?;
        let items = self.stack.split_off(mark + 1);
        self.stack.pop();
        Ok(items)
    }

    fn run(mut self) -> Result<Value, String> {
        loop {
            let op = self.take(1)?[0];
            let value = match op {
                0x80 => {
                    self.take(1)?; // PROTO
                    continue;
                }
                0x95 => {
                    self.take(8)?; // FRAME
                    continue;
                }
                b'.' => return self.pop(), // STOP
                b'(' => Value::Mark,
                b')' => Value::Tuple(Vec::new()),
                b'}' => Value::Dict(Vec::new()),
                b'N' => Value::None,
                0x88 => Value::Bool(true),
                0x89 => Value::Bool(false),
                b'K' => Value::Int(self.uint(1)? as i64),
                b'M' => Value::Int(self.uint(2)? as i64),
                b'J' => Value::Int(self.uint(4)? as u32 as i32 as i64),
                0x8a => {
                    let n = self.uint(1)?; // LONG1: little-endian two's complement
                    let b = self.take(n)?;
                    let fill = if b.last().is_some_and(|&x| x & 0x80 != 0) { 0xff } else { 0 };
                    let mut word = [fill; 8];
                    word[..n.min(8)].copy_from_slice(&b[..n.min(8)]);
                    Value::Int(i64::from_le_bytes(word))
                }
                b'G' => {
                    Value::Float(f64::from_be_bytes(self.take(8)?.try_into().unwrap_or_default()))
                }
                b'X' | 0x8c => {
                    let n = if op == b'X' { self.uint(4)? } else { self.uint(1)? };
                    Value::Str(String::from_utf8_lossy(self.take(n)?).into_owned())
                }
                b'c' => Value::Global(format!("{}.{}", self.line()?, self.line()?)),
                b'q' | b'r' => {
                    let i = self.uint(if op == b'q' { 1 } else { 4 })?;
                    let top =
                        self.stack.last().ok_or("its pickle is malformed (empty stack)")?.clone();
                    self.memo.insert(i, top);
                    continue;
                }
                b'h' | b'j' => {
                    let i = self.uint(if op == b'h' { 1 } else { 4 })?;
                    self.memo.get(&i).ok_or("its pickle is malformed (memo)")?.clone()
                }
                b't' => Value::Tuple(self.pop_mark()?),
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    let at = self
                        .stack
                        .len()
                        .checked_sub(n)
                        .ok_or("its pickle is malformed (empty stack)")?;
                    Value::Tuple(self.stack.split_off(at))
                }
                b's' | b'u' => {
                    let items = if op == b's' {
                        vec![self.pop()?, self.pop()?].into_iter().rev().collect()
                    } else {
                        self.pop_mark()?
                    };
                    let Some(Value::Dict(dict)) = self.stack.last_mut() else {
                        return Err("its pickle sets items of something other than a dict".into());
                    };
                    let mut items = items.into_iter();
                    while let (Some(k), Some(v)) = (items.next(), items.next()) {
                        dict.push((k, v));
                    }
                    continue;
                }
                b'b' => {
                    self.pop()?; // BUILD: the state of the dict on top (the state_dict's _metadata)
                    continue;
                }
                b'Q' => {
                    let id = self.pop()?;
                    self.persistent(id)?
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    reduce(callable, args)?
                }
                op => {
                    return Err(format!(
                        "its pickle uses opcode {op:#04x}, which torch.save does not write"
                    ))
                }
            };
            self.stack.push(value);
        }
    }

    /// A storage named by `('storage', torch.XStorage, key, location, numel)`.
    fn persistent(&self, id: Value) -> Result<Value, String> {
        let Value::Tuple(id) = id else { return Err("its pickle names a storage oddly".into()) };
        let (Some(Value::Global(class)), Some(Value::Str(key))) = (id.get(1), id.get(2)) else {
            return Err("its pickle names a storage oddly".into());
        };
        let kind = match class.as_str() {
            "torch.FloatStorage" => Kind::Float,
            "torch.DoubleStorage" => Kind::Double,
            "torch.LongStorage" => Kind::Int64,
            "torch.IntStorage" => Kind::Int,
            "torch.HalfStorage" => Kind::Half,
            "torch.BFloat16Storage" => Kind::BFloat16,
            other => return Err(format!("it holds a {other}, which this reader does not decode")),
        };
        let bytes = (self.storage)(key).ok_or(format!("its archive lacks the storage {key}"))?;
        Ok(Value::Storage(kind, bytes.to_vec()))
    }
}

/// What calling `callable(*args)` would give, for the few callables of a state_dict; any other is
/// refused (never called).
fn reduce(callable: Value, args: Value) -> Result<Value, String> {
    let (Value::Global(name), Value::Tuple(args)) = (callable, args) else {
        return Err("its pickle calls something that is not a named function".into());
    };
    let ints = |v: Option<&Value>| -> Option<Vec<i64>> {
        match v? {
            Value::Tuple(t) => {
                t.iter().map(|x| if let Value::Int(i) = x { Some(*i) } else { None }).collect()
            }
            _ => None,
        }
    };
    match name.as_str() {
        "collections.OrderedDict" if args.is_empty() => Ok(Value::Dict(Vec::new())),
        "torch._utils._rebuild_tensor_v2" => {
            let (
                Some(Value::Storage(kind, bytes)),
                Some(Value::Int(offset)),
                Some(size),
                Some(stride),
            ) = (args.first(), args.get(1), ints(args.get(2)), ints(args.get(3)))
            else {
                return Err("its pickle rebuilds a tensor from odd arguments".into());
            };
            let n = (bytes.len() / kind.elt_size_in_bytes()) as i64;
            let tensor = || -> Result<Tensor, tch::TchError> {
                Tensor::f_from_data_size(bytes, &[n], *kind)?
                    .f_as_strided(&size, &stride, Some(*offset))?
                    .f_contiguous()
            };
            tensor()
                .map(Value::Tensor)
                .map_err(|e| format!("a tensor does not fit its storage ({e})"))
        }
        "torch._utils._rebuild_parameter" => match args.into_iter().next() {
            Some(t @ Value::Tensor(_)) => Ok(t),
            _ => Err("its pickle rebuilds a parameter from odd arguments".into()),
        },
        other => Err(format!("its pickle calls {other}, which this reader refuses to run")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pickle_that_would_run_code_is_refused_not_run() {
        // pickle.dumps of os.system("echo hi"), protocol 2: GLOBAL os.system, a tuple, REDUCE
        let code = b"\x80\x02cos\nsystem\nX\x07\x00\x00\x00echo hi\x85R.";
        let none = |_: &str| None;
        let e = Unpickler::new(code, &none).run().unwrap_err();
        assert!(e.contains("os.system") && e.contains("refuses to run"), "{e}");
        let e = read_state_dict(b"not a zip archive at all").unwrap_err();
        assert!(e.contains("no zip archive"), "{e}");
    }
}
