//! What the test files share: the Python reference values and the names.
#![allow(dead_code)] // each test file uses a part

use makemore::read_words;
use serde_json::Value;

/// The values the lecture's Python code computed on the same torch: target/reference.json,
/// written by `make reference`.
pub fn reference() -> Value {
    // MAKEMORE_REFERENCE points elsewhere, e.g. at a tampered copy to see these tests fail.
    let path =
        std::env::var_os("MAKEMORE_REFERENCE").map(std::path::PathBuf::from).unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reference.json")
        });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (hint: run `make reference`, which runs the lecture's Python code)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("reference.json is valid JSON")
}

/// The path of the lecture's names, data/names.txt (fetched by `make data`).
pub const NAMES_TXT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/names.txt");

/// The lecture's 32,033 names.
pub fn words() -> Vec<String> {
    read_words(NAMES_TXT).expect("data/names.txt (hint: run `make data`)")
}

/// A word list from string literals.
pub fn strs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Every message names the problem and ends with a hint.
pub fn assert_hint(e: &makemore::Error) {
    let text = e.to_string();
    assert!(text.contains("(hint: ") && text.ends_with(')'), "no hint: {text}");
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// What makemore.py computed on the same torch: target/makemore_reference.json, written by
/// `make reference` (tests/reference/makemore_ref.py).
pub fn makemore_reference() -> Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/makemore_reference.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (hint: run `make reference`, which runs makemore.py)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("makemore_reference.json is valid JSON")
}

/// Files and folders in `dir`, sorted: to check that nothing was left behind.
pub fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What the lecture's part 2 code computed on the same torch, with the seeds the notebook uses:
/// target/part2_reference.json, written by `make reference` (tests/reference/part2.py).
pub fn part2_reference() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/part2_reference.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e} (hint: run `make reference`)", path.display())
    });
    serde_json::from_str(&text).expect("part2_reference.json is valid JSON")
}
