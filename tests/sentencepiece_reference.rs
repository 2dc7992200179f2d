//! `bpe::SentencePiece` against the `sentencepiece` package trained with the tokenizer lecture's
//! options: every expected value comes from `tests/reference/sentencepiece_bpe.py` running it
//! (`tests/reference/sentencepiece_bpe.json`), none from our output.

use makemore::bpe::SentencePiece;
use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn reference() -> Value {
    let path = root().join("tests/reference/sentencepiece_bpe.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e} (run tests/reference/sentencepiece_bpe.py)", path.display())
    });
    serde_json::from_str(&text).expect("the reference parses")
}

fn text(reference: &Value, name: &str) -> String {
    match name {
        "mixed" => reference["mixed"].as_str().expect("the mixed text").to_string(),
        _ => {
            let path = root().join("data").join(format!("{name}.txt"));
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (run data/fetch.sh)", path.display()))
        }
    }
}

fn ids_of(list: &Value) -> Vec<u32> {
    let ids = list.as_array().expect("a list of ids");
    ids.iter().map(|i| u32::try_from(i.as_u64().expect("an id")).expect("a u32")).collect()
}

#[test]
fn training_gives_sentencepieces_vocabulary_and_encoding() {
    let reference = reference();
    for case in reference["cases"].as_array().expect("cases") {
        let name = case["text"].as_str().expect("text name");
        let vocab_size = case["vocab_size"].as_u64().expect("vocab size") as usize;
        let sp = SentencePiece::train(&text(&reference, name), vocab_size).expect("trains");
        let want: Vec<&str> = case["pieces"]
            .as_array()
            .expect("pieces")
            .iter()
            .map(|p| p.as_str().expect("a piece"))
            .collect();
        if let Some(i) = (0..want.len().max(sp.pieces().len()))
            .find(|&i| sp.pieces().get(i).map(String::as_str) != want.get(i).copied())
        {
            panic!(
                "{name} at {vocab_size}: piece {i} is {:?}, sentencepiece's {:?}",
                sp.pieces().get(i),
                want.get(i)
            );
        }
        for probe in case["probes"].as_array().expect("probes") {
            let s = probe["text"].as_str().expect("probe text");
            let ids = ids_of(&probe["ids"]);
            assert_eq!(sp.encode(s), ids, "{name} at {vocab_size}: the ids of {s:?}");
            let decoded = sp.decode(&ids).expect("decodes");
            assert_eq!(decoded, probe["decoded"].as_str().expect("decoded"), "{name}: {s:?}");
        }
        // ids no encoding gives: a character cut short, a stray byte, <unk>, <s> and </s>
        for odd in case["decodes"].as_array().expect("decodes") {
            let ids = ids_of(&odd["ids"]);
            let decoded = sp.decode(&ids).expect("decodes");
            assert_eq!(decoded, odd["decoded"].as_str().expect("decoded"), "{name}: {ids:?}");
        }
    }
}

#[test]
fn a_vocab_too_small_or_too_large_is_an_error_that_says_what_fits() {
    // 3 control pieces + 256 bytes + 8 characters (h e l o w r d and the space's ▁)
    let err = SentencePiece::train("hello world\n", 262).unwrap_err().to_string();
    assert!(err.contains("vocab size 262 is under 267") && err.contains("hint:"), "{err}");
    let err = SentencePiece::train("hello world\n", 400).unwrap_err().to_string();
    assert!(err.contains("cannot be reached") && err.contains("at most"), "{err}");
    let sp = SentencePiece::train("hello world\n", 270).expect("trains");
    assert!(sp.decode(&[270]).unwrap_err().to_string().contains("invalid token id 270"));
}
