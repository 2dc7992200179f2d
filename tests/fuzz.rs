//! Property tests: arbitrary bytes and Unicode text through `read_words` / `parse_words`,
//! `Vocab::from_words`, `count_bigrams`, `CountModel::fit` and `nll` never panic, fail only
//! with the errors that input can cause, and give a vocabulary that round-trips.
//! Run with `--nocapture` to see how many inputs each property ran.

use std::cell::Cell;
use std::io::Write;

use makemore::tch::Kind;
use makemore::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestCaseResult, TestRunner};

/// Inputs per property: enough to matter, still a few seconds on two cores.
const CASES: u32 = 2_000;

/// Bytes that make interesting text: letters, line ends, blanks, pieces of multi-byte UTF-8
/// (é, €, 😀) that may or may not line up, and any byte at all. One input in five gets a `.`
/// (the boundary, an error in a word): more would stop nearly every input at the parser.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => any::<u8>().prop_map(|b| if b == b'.' { b'd' } else { b }),
        4 => prop::sample::select(b"abcxyzE".to_vec()),
        2 => Just(b'\n'),
        1 => Just(b'\r'),
        1 => prop::sample::select(b" \t".to_vec()),
        2 => prop::sample::select(vec![0xC3u8, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xFF, 0x00]),
    ];
    (prop::collection::vec(byte, 0..160), prop::option::weighted(0.2, any::<usize>())).prop_map(
        |(mut bytes, dot)| {
            if let Some(at) = dot {
                bytes.insert(at % (bytes.len() + 1), b'.');
            }
            bytes
        },
    )
}

/// Unicode text: any character, with line ends and a few alphabets mixed in; a `.` in one
/// input in five.
fn unicode() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        3 => any::<char>().prop_map(|c| if c == '.' { 'd' } else { c }),
        3 => prop::sample::select(vec!['a', 'b', 'Z', 'é', 'ß', '北', '京', '😀', '\u{301}']),
        2 => Just('\n'),
        1 => Just('\r'),
        1 => Just(' '),
    ];
    (prop::collection::vec(ch, 0..120), prop::option::weighted(0.2, any::<usize>())).prop_map(
        |(mut cs, dot)| {
            if let Some(at) = dot {
                cs.insert(at % (cs.len() + 1), '.');
            }
            cs.into_iter().collect()
        },
    )
}

fn fail(what: String) -> TestCaseError {
    TestCaseError::fail(what)
}

/// The whole pipeline on one text; `Err` only for a broken property. Counts the texts that
/// made it to a model in `modelled`.
fn check_text(text: &str, smoothing: f64, modelled: &Cell<usize>) -> TestCaseResult {
    let words = match parse_words(text) {
        Ok(words) => words,
        Err(Error::NoWords { .. }) => {
            // only white space and line breaks (Python's `splitlines` counts \x1c-\x1e too)
            prop_assert!(text.chars().all(|c| c.is_whitespace() || ('\x1c'..='\x1e').contains(&c)));
            return Ok(());
        }
        Err(e) => return Err(fail(format!("parse_words: unexpected {e:?}"))),
    };
    prop_assert!(!words.is_empty());
    for w in &words {
        prop_assert!(!w.is_empty() && w.trim() == w && !w.contains(['\n', '\r']));
    }

    // The vocabulary: `.` first, each character once, and back again from its string.
    let vocab = Vocab::from_words(&words).map_err(|e| fail(format!("from_words: {e:?}")))?;
    let distinct: std::collections::BTreeSet<char> = words.iter().flat_map(|w| w.chars()).collect();
    prop_assert_eq!(vocab.len(), distinct.len() + 1);
    // index 0 is shown as `.`, or as a stand-in when the words hold a `.`
    prop_assert!(!distinct.contains(&vocab.boundary()));
    prop_assert!(vocab.boundary() == '.' || distinct.contains(&'.'));
    for &c in &distinct {
        let i = vocab.stoi(c).map_err(|e| fail(format!("stoi({c:?}): {e:?}")))?;
        prop_assert_eq!(vocab.itos(i).ok(), Some(c));
    }
    let again = Vocab::from_chars(&vocab.as_string()).map_err(|e| fail(format!("{e:?}")))?;
    prop_assert_eq!(&again, &vocab);

    // The counts: one bigram per character plus the end of each word.
    let n = count_bigrams(&words, &vocab).map_err(|e| fail(format!("count_bigrams: {e:?}")))?;
    let v = vocab.len() as i64;
    prop_assert_eq!(n.size(), vec![v, v]);
    let bigrams: usize = words.iter().map(|w| w.chars().count() + 1).sum();
    prop_assert_eq!(n.sum(Kind::Int64).int64_value(&[]), bigrams as i64);

    // The count model and its loss on its own words: finite, even with smoothing 0.
    modelled.set(modelled.get() + 1);
    let contexts: &[usize] = if vocab.len() <= 40 { &[1, 2] } else { &[1] };
    for &context in contexts {
        match CountModel::fit(&words, &vocab, context, smoothing) {
            Ok(model) => {
                let loss = nll(&model, &words).map_err(|e| fail(format!("nll: {e:?}")))?;
                prop_assert!(loss.is_finite() && loss >= -1e-9, "loss {}", loss);
                // A character outside the vocabulary is a clear error.
                let stranger = ('a'..).find(|c| vocab.stoi(*c).is_err()).unwrap_or('\u{10ffff}');
                match nll(&model, &[stranger.to_string()]) {
                    Err(Error::UnknownChar { ch, .. }) => prop_assert_eq!(ch, stranger),
                    other => return Err(fail(format!("nll of {stranger:?}: {other:?}"))),
                }
            }
            Err(Error::Param { name: "smoothing", .. }) => {
                prop_assert!(!(smoothing >= 0.0 && smoothing.is_finite()))
            }
            Err(Error::Param { name: "context", .. }) => prop_assert!(vocab.len() > 40),
            Err(e) => return Err(fail(format!("fit: unexpected {e:?}"))),
        }
    }
    Ok(())
}

fn smoothing() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => Just(1.0),
        2 => Just(0.0),
        2 => 0.0..10.0f64,
        1 => prop::sample::select(vec![-1.0, f64::NAN, f64::INFINITY]),
    ]
}

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() })
}

#[test]
fn lossy_bytes_never_panic() {
    let (ran, modelled) = (Cell::new(0usize), Cell::new(0usize));
    runner()
        .run(&(bytes(), smoothing()), |(bytes, smoothing)| {
            ran.set(ran.get() + 1);
            check_text(&String::from_utf8_lossy(&bytes), smoothing, &modelled)
        })
        .unwrap();
    println!("lossy_bytes_never_panic: {} inputs, {} made a model", ran.get(), modelled.get());
}

#[test]
fn unicode_text_never_panics() {
    let (ran, modelled) = (Cell::new(0usize), Cell::new(0usize));
    runner()
        .run(&(unicode(), smoothing()), |(text, smoothing)| {
            ran.set(ran.get() + 1);
            check_text(&text, smoothing, &modelled)
        })
        .unwrap();
    println!("unicode_text_never_panics: {} inputs, {} made a model", ran.get(), modelled.get());
}

#[test]
fn raw_bytes_in_a_file_read_like_parsed_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("words.txt");
    let ran = Cell::new(0usize);
    runner()
        .run(&bytes(), |bytes| {
            ran.set(ran.get() + 1);
            let mut f = std::fs::File::create(&path).unwrap();
            f.write_all(&bytes).unwrap();
            drop(f);
            let read = read_words(&path);
            match std::str::from_utf8(&bytes) {
                Err(e) => {
                    let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
                    match read {
                        Err(Error::Utf8 { line: l, .. }) => prop_assert_eq!(l, line),
                        other => return Err(fail(format!("invalid UTF-8 gave {other:?}"))),
                    }
                }
                Ok(text) => {
                    match (read, parse_words(text.strip_prefix('\u{feff}').unwrap_or(text))) {
                        (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                        (Err(Error::NoWords { what }), Err(Error::NoWords { .. })) => {
                            prop_assert!(what.contains("words.txt"))
                        }
                        (a, b) => {
                            return Err(fail(format!("read_words {a:?} vs parse_words {b:?}")))
                        }
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    println!("raw_bytes_in_a_file_read_like_parsed_text: {} inputs", ran.get());
}
