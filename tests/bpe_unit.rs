//! `bpe` on its own: error paths, and the fast paths against the slow, obvious ones (the
//! hand-written splitter against fancy-regex, training against minbpe's loop built from
//! `get_stats`/`merge`, encoding against minbpe's `_encode_chunk` loop) on random texts.

use makemore::bpe::{
    get_stats, merge, most_frequent, split, AllowedSpecial, BpeError, Pattern, Tokenizer,
};
use std::collections::HashSet;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random text from pieces the split patterns treat specially.
fn random_text(rng: &mut Rng, len: usize) -> String {
    const PIECES: &[&str] = &[
        "a",
        "b",
        "ab",
        "A",
        "Z",
        "é",
        "ß",
        "안",
        "中",
        "1",
        "23",
        "٣",
        "½",
        " ",
        " ",
        "  ",
        "\n",
        "\r\n",
        "\t",
        "\u{a0}",
        "\u{3000}",
        "'",
        "'s",
        "'S",
        "'ll",
        "'VE",
        "'ſ",
        "!",
        "?",
        ".",
        "(",
        "😉",
        "👨‍👩‍👧",
        "\u{200d}",
        "\u{301}",
        "\x1c",
        "\0",
        "_",
        "-",
    ];
    (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect()
}

#[test]
fn hand_written_split_equals_fancy_regex() {
    let mut rng = Rng(42);
    for p in [Pattern::Gpt2, Pattern::Gpt4] {
        let custom = Pattern::Custom(p.as_str().to_string());
        for _ in 0..3000 {
            let n = 1 + rng.below(30);
            let t = random_text(&mut rng, n);
            assert_eq!(
                split(Some(&p), &t).unwrap(),
                split(Some(&custom), &t).unwrap(),
                "{p:?} on {t:?}"
            );
        }
    }
}

/// minbpe's training loop, as written in the lecture: recount everything every merge.
fn minbpe_train(chunks: &[&str], num_merges: usize) -> Option<Vec<(u32, u32)>> {
    let mut ids: Vec<Vec<u32>> =
        chunks.iter().map(|c| c.bytes().map(u32::from).collect()).collect();
    let mut merges = Vec::new();
    for k in 0..num_merges {
        let stats = ids.iter().fold(Vec::new(), |s, c| get_stats(c, s));
        let pair = most_frequent(&stats)?;
        ids = ids.iter().map(|c| merge(c, pair, 256 + k as u32)).collect();
        merges.push(pair);
    }
    Some(merges)
}

/// minbpe's `_encode_chunk`: merge the lowest-id pair everywhere, until none is a merge.
fn minbpe_encode(t: &Tokenizer, text: &str) -> Vec<u32> {
    let chunks = split(t.pattern(), text).unwrap();
    let mut out = Vec::new();
    for c in chunks {
        let mut ids: Vec<u32> = c.bytes().map(u32::from).collect();
        loop {
            let stats = get_stats(&ids, Vec::new());
            let best = stats
                .iter()
                .filter_map(|(p, _)| t.merges().iter().find(|(m, _)| m == p))
                .min_by_key(|(_, id)| *id);
            match best {
                Some(&(p, id)) => ids = merge(&ids, p, id),
                None => break,
            }
        }
        out.extend(ids);
    }
    out
}

#[test]
fn training_and_encoding_equal_minbpe_loops_on_random_texts() {
    let mut rng = Rng(7);
    for round in 0..150 {
        let len = 5 + rng.below(120);
        // few distinct pieces: many ties
        let text: String = if round % 2 == 0 {
            random_text(&mut rng, len)
        } else {
            (0..len).map(|_| ["a", "b", "ab", " ", "c"][rng.below(5)]).collect()
        };
        for pattern in [None, Some(Pattern::Gpt4), Some(Pattern::Gpt2)] {
            let chunks = split(pattern.as_ref(), &text).unwrap();
            let merges = 1 + rng.below(40);
            let want = minbpe_train(&chunks, merges);
            let mut t = Tokenizer::new(pattern.clone()).unwrap();
            let got = t.train(&text, 256 + merges);
            match want {
                None => assert!(
                    matches!(got, Err(BpeError::NoPairsLeft { .. })),
                    "{pattern:?} {text:?}"
                ),
                Some(want) => {
                    got.unwrap();
                    let ours: Vec<_> = t.merges().iter().map(|&(p, _)| p).collect();
                    assert_eq!(ours, want, "{pattern:?} {merges} merges on {text:?}");
                    let probe = random_text(&mut rng, 60) + &text;
                    assert_eq!(t.encode_ordinary(&probe).unwrap(), minbpe_encode(&t, &probe));
                    assert_eq!(t.decode(&t.encode_ordinary(&probe).unwrap()).unwrap(), probe);
                }
            }
        }
    }
}

#[test]
fn long_chunks_encode_like_minbpe() {
    // no split: one chunk of 3000 bytes takes the heap path
    let mut rng = Rng(3);
    let text: String = (0..3000).map(|_| ["a", "b", "ab", "ba", " "][rng.below(5)]).collect();
    let mut t = Tokenizer::new(None).unwrap();
    t.train(&text[..1500], 300).unwrap();
    assert_eq!(t.encode_ordinary(&text).unwrap(), minbpe_encode(&t, &text));
}

#[test]
fn progress_counts_every_merge_and_changes_nothing() {
    let text = "the cat sat on the mat, the cat ate the rat; ".repeat(20);
    let mut plain = Tokenizer::new(Some(Pattern::Gpt4)).unwrap();
    plain.train(&text, 270).unwrap();
    let mut told = Vec::new();
    let mut watched = Tokenizer::new(Some(Pattern::Gpt4)).unwrap();
    watched.train_with_progress(&text, 270, |done, total| told.push((done, total))).unwrap();
    assert_eq!(watched.merges(), plain.merges());
    assert_eq!(told, (1..=14).map(|k| (k, 14)).collect::<Vec<_>>());
}

#[test]
fn vocab_size_under_256_is_an_error() {
    let e = Tokenizer::new(None).unwrap().train("hello", 200).unwrap_err();
    assert!(matches!(e, BpeError::VocabTooSmall(200)));
    assert!(e.to_string().starts_with("vocab size 200 is under 256 (hint:"), "{e}");
}

#[test]
fn running_out_of_pairs_is_an_error() {
    let e = Tokenizer::new(None).unwrap().train("ab", 258).unwrap_err();
    match &e {
        BpeError::NoPairsLeft { merges_done, reachable, .. } => {
            assert_eq!((*merges_done, *reachable), (1, 257))
        }
        _ => panic!("{e}"),
    }
    assert!(e.to_string().contains("at most vocab size 257"), "{e}");
    // an empty text has no pairs at all, but 256 asks for no merges
    Tokenizer::new(None).unwrap().train("", 256).unwrap();
}

#[test]
fn decode_of_unknown_id_is_an_error() {
    let t = Tokenizer::new(None).unwrap();
    let e = t.decode(&[104, 256]).unwrap_err();
    assert!(matches!(e, BpeError::InvalidId { id: 256, .. }), "{e}");
    assert!(e.to_string().contains("invalid token id 256"));
}

#[test]
fn special_tokens() {
    let mut t = Tokenizer::new(Some(Pattern::Gpt4)).unwrap();
    t.train("hello world hello world", 260).unwrap();
    let e = t.register_special_tokens(&[("<|x|>", 100)]).unwrap_err();
    assert!(matches!(e, BpeError::SpecialIdTaken { id: 100, .. }), "{e}");
    let e = t.register_special_tokens(&[("<| x |>", 300)]).unwrap_err();
    assert!(matches!(e, BpeError::BadSpecialToken(_)), "{e}");
    t.register_special_tokens(&[("<|end|>", 300), ("<|e|>", 301)]).unwrap();
    let text = "hi<|end|>there<|e|>";
    let e = t.encode(text, &AllowedSpecial::NoneRaise).unwrap_err();
    assert!(matches!(&e, BpeError::DisallowedSpecial(s) if s == "<|end|>"), "{e}");
    let plain = t.encode(text, &AllowedSpecial::None).unwrap();
    assert!(!plain.contains(&300));
    let all = t.encode(text, &AllowedSpecial::All).unwrap();
    assert_eq!(all.iter().filter(|&&i| i >= 300).count(), 2);
    assert_eq!(t.decode(&all).unwrap(), text);
    let one: HashSet<String> = ["<|e|>".to_string()].into();
    let some = t.encode(text, &AllowedSpecial::Set(one)).unwrap();
    assert!(some.contains(&301) && !some.contains(&300));
    let e = t.train("hello world", 400).unwrap_err();
    assert!(matches!(e, BpeError::SpecialIdTaken { id: 300, .. }), "{e}");
    let unknown: HashSet<String> = ["<|nope|>".to_string()].into();
    let e = t.encode(text, &AllowedSpecial::Set(unknown)).unwrap_err();
    assert!(matches!(e, BpeError::UnknownSpecial(_)), "{e}");
}

#[test]
fn bad_custom_pattern_is_an_error() {
    let e = Tokenizer::new(Some(Pattern::Custom("(unclosed".into()))).unwrap_err();
    assert!(matches!(e, BpeError::BadPattern { .. }), "{e}");
    assert!(e.to_string().contains("(unclosed"));
}

#[test]
fn custom_pattern_trains_and_round_trips() {
    let mut t = Tokenizer::new(Some(Pattern::Custom(r"\w+|\W".into()))).unwrap();
    t.train("the cat the hat the bat", 260).unwrap();
    let ids = t.encode_ordinary("the rat").unwrap();
    assert_eq!(t.decode(&ids).unwrap(), "the rat");
}

#[test]
fn pretrained_cannot_train_or_save() {
    let mut g = Tokenizer::gpt2().unwrap();
    assert!(matches!(g.train("x", 300), Err(BpeError::Pretrained(_))));
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(g.save(dir.path().join("g")), Err(BpeError::Pretrained(_))));
}

fn load_text(contents: &str) -> BpeError {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.model");
    std::fs::write(&p, contents).unwrap();
    Tokenizer::load(&p).unwrap_err()
}

#[test]
fn bad_model_files_name_the_file_and_line() {
    let cases = [
        ("minbpe v2\n\n0\n", 1, "expected `minbpe v1`"),
        ("minbpe v1\n\nx\n", 3, "number of special tokens"),
        ("minbpe v1\n\n1\n<|a|>\n", 4, "expected `token id`"),
        ("minbpe v1\n\n0\n97 98\n97\n", 5, "expected a merge"),
        ("minbpe v1\n\n0\n97 257\n", 4, "not defined yet"),
        ("minbpe v1\n\n0\n97 98\n97 98\n", 5, "appears twice"),
        ("minbpe v1\n\n2\n<|a|> 300\n", 5, "ends before"),
        ("[a] 97\n[b] 98\n", 1, "expected `minbpe v1`"),
    ];
    for (contents, line, problem) in cases {
        let e = load_text(contents);
        let BpeError::BadModelFile { line: l, problem: p, path, .. } = &e else {
            panic!("{contents:?}: {e}")
        };
        assert_eq!(*l, line, "{contents:?}: {e}");
        assert!(p.contains(problem), "{contents:?}: {e}");
        assert!(e.to_string().contains(&path.display().to_string()));
        assert!(e.to_string().contains("hint:"));
    }
    let dir = tempfile::tempdir().unwrap();
    let e = Tokenizer::load(dir.path().join("x.vocab")).unwrap_err();
    assert!(e.to_string().contains("does not end in .model"), "{e}");
    let e = Tokenizer::load(dir.path().join("missing.model")).unwrap_err();
    assert!(matches!(e, BpeError::Io { .. }), "{e}");
}

#[test]
fn save_is_atomic_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Tokenizer::new(Some(Pattern::Gpt2)).unwrap();
    t.train("hello hello world worlds", 262).unwrap();
    t.register_special_tokens(&[("<|endoftext|>", 262)]).unwrap();
    t.save(dir.path().join("tok")).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "no temp files left: {names:?}");
    let back = Tokenizer::load(dir.path().join("tok.model")).unwrap();
    assert_eq!(back.merges(), t.merges());
    assert_eq!(back.pattern(), Some(&Pattern::Gpt2));
    assert_eq!(back.special_tokens(), t.special_tokens());
    let e = t.save(dir.path().join("no/such/dir/tok")).unwrap_err();
    assert!(matches!(e, BpeError::Io { .. }), "{e}");
}
