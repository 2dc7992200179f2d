//! `bpe` against minbpe and tiktoken: every expected value here comes from
//! `tests/reference/bpe.py` running them (`tests/reference/bpe.json`), none from our output.

use makemore::bpe::{
    split, unicode_class_ranges, AllowedSpecial, Pattern, Tokenizer, GPT2_SPLIT_PATTERN,
    GPT4_SPLIT_PATTERN,
};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn reference() -> &'static Value {
    static REF: OnceLock<Value> = OnceLock::new();
    REF.get_or_init(|| {
        let path = root().join("tests/reference/bpe.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run tests/reference/bpe.py)", path.display()));
        serde_json::from_str(&text).expect("reference.json parses")
    })
}

/// A text the reference names: a file or one of its generated texts.
fn text(name: &str) -> String {
    let read = |p: PathBuf| {
        std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{}: {e} (tinyshakespeare: run data/fetch.sh)", p.display()))
    };
    match name {
        "taylorswift" => read(root().join("data/taylorswift.txt")),
        "tinyshakespeare" => read(root().join("data/tinyshakespeare.txt")),
        "shakespeare100k" => {
            let t = read(root().join("data/tinyshakespeare.txt"));
            String::from_utf8_lossy(&t.as_bytes()[..100_000]).into_owned()
        }
        _ => reference()["texts"][name]
            .as_str()
            .unwrap_or_else(|| panic!("no text {name}"))
            .to_string(),
    }
}

fn fnv(bytes: impl IntoIterator<Item = u8>, mut h: u64) -> u64 {
    for b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001B3);
    }
    h
}
const FNV0: u64 = 0xCBF29CE484222325;

/// (length, hash) of ids, as the reference's `fnv_ids`.
fn fnv_ids(ids: &[u32]) -> (u64, u64) {
    let h = fnv(ids.iter().flat_map(|i| i.to_le_bytes()), FNV0);
    (ids.len() as u64, h)
}

/// (length, hash) of chunks, as the reference's `fnv_chunks`.
fn fnv_chunks(chunks: &[&str]) -> (u64, u64) {
    let h = fnv(chunks.iter().flat_map(|c| c.bytes().chain(std::iter::once(0xFF))), FNV0);
    (chunks.len() as u64, h)
}

fn expect_hash(v: &Value) -> (u64, u64) {
    (v["len"].as_u64().unwrap(), v["fnv"].as_u64().unwrap())
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect()
}

fn gpt4() -> &'static Tokenizer {
    static T: OnceLock<Tokenizer> = OnceLock::new();
    T.get_or_init(|| Tokenizer::gpt4().unwrap())
}

#[test]
fn chunks_equal_python_regex_findall() {
    let r = &reference()["chunks"];
    for case in r["strings"].as_array().unwrap() {
        let s = case["text"].as_str().unwrap();
        for (key, p) in [("gpt2", Pattern::Gpt2), ("gpt4", Pattern::Gpt4)] {
            assert_eq!(split(Some(&p), s).unwrap(), strs(&case[key]), "{key} on {s:?}");
            let custom = Pattern::Custom(p.as_str().to_string());
            assert_eq!(
                split(Some(&custom), s).unwrap(),
                strs(&case[key]),
                "fancy-regex {key} on {s:?}"
            );
        }
    }
    for name in ["taylorswift", "tinyshakespeare"] {
        let t = text(name);
        for (key, p) in [("gpt2", Pattern::Gpt2), ("gpt4", Pattern::Gpt4)] {
            let got = fnv_chunks(&split(Some(&p), &t).unwrap());
            assert_eq!(got, expect_hash(&r["files"][name][key]), "{key} on {name}");
        }
    }
}

#[test]
fn unicode_classes_equal_python_regex() {
    let r = &reference()["classes"];
    for name in ["L", "N", "S"] {
        let want: Vec<(u32, u32)> = r[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_u64().unwrap() as u32))
            .collect();
        // ranges may split around the surrogates differently; compare as sets of code points
        let expand = |v: &[(u32, u32)]| -> Vec<u32> {
            v.iter().flat_map(|&(a, b)| a..=b).filter(|c| !(0xD800..0xE000).contains(c)).collect()
        };
        let ours = expand(&unicode_class_ranges(name).unwrap());
        let theirs = expand(&want);
        // Python's `regex` may know a newer Unicode than regex-syntax (and tiktoken): chars
        // assigned since are only in its classes. Nothing may be in ours and not in theirs,
        // and every code point they class differently must be unassigned (Other) for us.
        let only_ours: Vec<_> = ours.iter().filter(|c| theirs.binary_search(c).is_err()).collect();
        assert!(
            only_ours.is_empty(),
            "class {name}: only in regex-syntax: {:x?}",
            &only_ours[..only_ours.len().min(20)]
        );
        let newer: Vec<u32> =
            theirs.iter().copied().filter(|c| ours.binary_search(c).is_err()).collect();
        let mut all_ours: Vec<u32> = ["L", "N", "S"]
            .iter()
            .flat_map(|n| expand(&unicode_class_ranges(n).unwrap()))
            .collect();
        all_ours.sort_unstable();
        let conflicting: Vec<_> =
            newer.iter().filter(|c| all_ours.binary_search(c).is_ok()).collect();
        assert!(
            conflicting.is_empty(),
            "class {name}: classed differently: {:x?}",
            &conflicting[..conflicting.len().min(20)]
        );
        if !newer.is_empty() {
            eprintln!(
                "class {name}: {} code points newer than regex-syntax's Unicode (first {:x})",
                newer.len(),
                newer[0]
            );
        }
    }
}

#[test]
fn wikipedia_example() {
    for (key, pattern) in [("basic", None), ("regex", Some(Pattern::Gpt4))] {
        let mut t = Tokenizer::new(pattern).unwrap();
        t.train("aaabdaaabac", 256 + 3).unwrap();
        let got = t.encode("aaabdaaabac", &AllowedSpecial::NoneRaise).unwrap();
        assert_eq!(got, ids(&reference()["wikipedia"][key]));
        assert_eq!(got, [258, 100, 258, 97, 99]);
        assert_eq!(t.decode(&got).unwrap(), "aaabdaaabac");
    }
}

#[test]
fn encode_decode_identity() {
    let mut strings: Vec<String> = reference()["tricky"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    strings.push(text("taylorswift"));
    let mut trained = Tokenizer::new(Some(Pattern::Gpt4)).unwrap();
    trained.train(&text("taylorswift"), 400).unwrap();
    let mut basic = Tokenizer::new(None).unwrap();
    basic.train(&text("taylorswift"), 400).unwrap();
    for s in &strings {
        for t in [&trained, &basic, gpt4()] {
            let ids = t.encode(s, &AllowedSpecial::None).unwrap();
            assert_eq!(&t.decode(&ids).unwrap(), s);
        }
    }
}

#[test]
fn gpt4_equals_tiktoken_and_minbpe() {
    let r = &reference()["gpt4"];
    let t = gpt4();
    for (key, case) in r.as_object().unwrap() {
        if let Some(s) = case.get("text").and_then(Value::as_str) {
            let got = t.encode(s, &AllowedSpecial::None).unwrap();
            assert_eq!(got, ids(&case["tiktoken"]), "tiktoken on {key}: {s:?}");
            assert_eq!(got, ids(&case["minbpe"]), "minbpe on {key}");
        } else {
            let got = fnv_ids(&t.encode_ordinary(&text(key)).unwrap());
            assert_eq!(got, expect_hash(&case["tiktoken"]), "tiktoken on {key}");
        }
    }
    let sp = &reference()["gpt4_specials"];
    let got = t.encode(sp["text"].as_str().unwrap(), &AllowedSpecial::All).unwrap();
    assert_eq!(got, ids(&sp["tiktoken"]));
    assert_eq!(got, ids(&sp["minbpe"]));
    for m in reference()["gpt4_merges_head"].as_array().unwrap() {
        let (a, b, id) = (m[0].as_u64().unwrap(), m[1].as_u64().unwrap(), m[2].as_u64().unwrap());
        assert_eq!(t.merges()[id as usize - 256], ((a as u32, b as u32), id as u32));
    }
    // the byte shuffle: token of byte b
    let shuffle = ids(&reference()["gpt4_byte_shuffle"]);
    for (b, &id) in shuffle.iter().enumerate() {
        assert_eq!(t.vocab()[id as usize], [b as u8]);
    }
}

#[test]
fn gpt2_equals_tiktoken() {
    let t = Tokenizer::gpt2().unwrap();
    for (key, case) in reference()["gpt2"].as_object().unwrap() {
        if let Some(s) = case.get("text").and_then(Value::as_str) {
            let got = t.encode(s, &AllowedSpecial::None).unwrap();
            assert_eq!(got, ids(&case["tiktoken"]), "tiktoken r50k on {key}: {s:?}");
        } else {
            let got = fnv_ids(&t.encode_ordinary(&text(key)).unwrap());
            assert_eq!(got, expect_hash(&case["tiktoken"]), "tiktoken r50k on {key}");
        }
    }
}

#[test]
fn decode_invalid_utf8_as_python_replace() {
    let t = Tokenizer::new(None).unwrap();
    for case in reference()["decode_invalid"].as_array().unwrap() {
        let bytes = ids(&case["ids"]);
        assert_eq!(t.decode(&bytes).unwrap(), case["text"].as_str().unwrap(), "{bytes:x?}");
    }
}

fn pattern_of(v: &Value) -> Option<Pattern> {
    Some(v.as_str().map_or(Pattern::Gpt4, Pattern::from_regex))
}

#[test]
fn save_load_equal_minbpe_files() {
    let dir = tempfile::tempdir().unwrap();
    for case in reference()["save_load"].as_array().unwrap() {
        let specials: Vec<(&str, u32)> = case["specials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kv| (kv[0].as_str().unwrap(), kv[1].as_u64().unwrap() as u32))
            .collect();
        let llama = text("llama");
        // ours, trained: the same files as minbpe's, byte for byte
        let mut t = Tokenizer::new(pattern_of(&case["pattern"])).unwrap();
        t.train(&llama, 256 + 64).unwrap();
        t.register_special_tokens(&specials).unwrap();
        let prefix = dir.path().join("ours");
        t.save(&prefix).unwrap();
        let read = |ext| std::fs::read_to_string(dir.path().join(format!("ours.{ext}"))).unwrap();
        assert_eq!(read("model"), case["model"].as_str().unwrap());
        assert_eq!(read("vocab"), case["vocab"].as_str().unwrap());
        let want = ids(&case["ids"]);
        assert_eq!(t.encode(&llama, &AllowedSpecial::All).unwrap(), want);
        // minbpe's file, loaded here: the same encoding
        let theirs = dir.path().join("theirs.model");
        std::fs::write(&theirs, case["model"].as_str().unwrap()).unwrap();
        let loaded = Tokenizer::load(&theirs).unwrap();
        assert_eq!(loaded.encode(&llama, &AllowedSpecial::All).unwrap(), want);
        assert_eq!(loaded.decode(&want).unwrap(), llama);
        assert_eq!(loaded.model_text(), case["model"].as_str().unwrap());
    }
    let basic = &reference()["save_basic"];
    let mut t = Tokenizer::new(None).unwrap();
    t.train(&text("unicode"), 256 + 100).unwrap();
    assert_eq!(t.model_text(), basic["model"].as_str().unwrap());
    assert_eq!(t.vocab_text(), basic["vocab"].as_str().unwrap());
}

#[test]
fn training_equals_minbpe_merges() {
    for case in reference()["train"].as_array().unwrap() {
        let name = case["text"].as_str().unwrap();
        let vocab_size = case["vocab_size"].as_u64().unwrap() as usize;
        let pattern = case["pattern"].as_str().map(Pattern::from_regex);
        let label = format!("{} {:?} {name} {vocab_size}", case["kind"], pattern);
        let mut t = Tokenizer::new(pattern).unwrap();
        let result = t.train(&text(name), vocab_size);
        if case.get("error").is_some() {
            let e = result.expect_err(&label).to_string();
            assert!(e.contains("no pair of tokens left"), "{label}: {e}");
            continue;
        }
        result.unwrap();
        let want: Vec<(u32, u32)> = case["merges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_u64().unwrap() as u32))
            .collect();
        let got: Vec<(u32, u32)> = t.merges().iter().map(|&(p, _)| p).collect();
        if let Some(k) = (0..want.len()).find(|&k| got.get(k) != want.get(k)) {
            panic!("{label}: merge {k} is {:?}, minbpe's {:?}", got.get(k), want[k]);
        }
        assert_eq!(got.len(), want.len(), "{label}");
        let enc = t.encode_ordinary(&text(name)).unwrap();
        assert_eq!(fnv_ids(&enc), expect_hash(&case["encoded"]), "{label}: encoding");
    }
}

#[test]
fn pattern_constants_are_minbpes() {
    // minbpe's strings, as the reference's chunking proves; here only that from_regex knows them
    assert_eq!(Pattern::from_regex(GPT2_SPLIT_PATTERN), Pattern::Gpt2);
    assert_eq!(Pattern::from_regex(GPT4_SPLIT_PATTERN), Pattern::Gpt4);
}
