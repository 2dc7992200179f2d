//! Golden tests: the crate against the lecture's own Python code run on the same torch.
//! Expected values come from `tests/reference/reference.py` (written to target/reference.json
//! by `make reference`, which `make test` runs first).

use makemore::prelude::*;
use makemore::Result;

mod common;
use common::{floats, reference, strings, words};

#[test]
fn dataset_matches_the_lecture() -> Result<()> {
    let r = reference();
    let words = words();
    assert_eq!(words.len() as u64, r["n_words"].as_u64().unwrap());
    assert_eq!(words[..10].to_vec(), strings(&r["first_words"]));
    let min = words.iter().map(|w| w.chars().count()).min().unwrap();
    let max = words.iter().map(|w| w.chars().count()).max().unwrap();
    assert_eq!(min as u64, r["min_len"].as_u64().unwrap());
    assert_eq!(max as u64, r["max_len"].as_u64().unwrap());
    let vocab = Vocab::from_words(&words)?;
    assert_eq!(vocab.as_string(), r["vocab"].as_str().unwrap());
    Ok(())
}

#[test]
fn top_bigrams_match_the_lecture() {
    let r = reference();
    let top: Vec<(String, String, u64)> =
        bigram_dict(&words()).into_iter().take(5).map(|((a, b), c)| (a, b, c as u64)).collect();
    let expected: Vec<(String, String, u64)> = r["top_bigrams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t[0].as_str().unwrap().to_string(),
                t[1].as_str().unwrap().to_string(),
                t[2].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(top, expected);
}

#[test]
fn count_matrix_matches_the_lecture() -> Result<()> {
    let r = reference();
    let words = words();
    let vocab = Vocab::from_words(&words)?;
    let n = count_bigrams(&words, &vocab)?;
    assert_eq!(n.kind(), Kind::Int);
    assert_eq!(n.size(), vec![27, 27]);
    let ours: Vec<Vec<i64>> =
        (0..27).map(|i| Vec::<i64>::try_from(n.get(i).to_kind(Kind::Int64)).unwrap()).collect();
    let expected: Vec<Vec<i64>> = r["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect())
        .collect();
    assert_eq!(ours, expected);
    Ok(())
}

#[test]
fn probabilities_and_samples_match_the_lecture() -> Result<()> {
    let r = reference();
    let words = words();
    let vocab = Vocab::from_words(&words)?;
    let model = CountModel::fit(&words, &vocab, 1, 1.0)?;
    let row0 = Vec::<f64>::try_from(model.probs().get(0).to_kind(Kind::Double))?;
    for (a, b) in row0.iter().zip(floats(&r["P_row0"])) {
        assert_eq!(*a as f32, b as f32, "P[0] differs");
    }
    assert_eq!(sample(&model, 5, SEED)?, strings(&r["samples_add1"]));
    let raw = CountModel::fit(&words, &vocab, 1, 0.0)?;
    assert_eq!(sample(&raw, 5, SEED)?, strings(&r["samples_unsmoothed"]));
    let p0 = Vec::<f64>::try_from(raw.probs().get(0).to_kind(Kind::Double))?;
    for (a, b) in p0.iter().zip(floats(&r["p0"])) {
        assert_eq!(*a as f32, b as f32, "N[0] / N[0].sum() differs");
    }
    Ok(())
}

#[test]
fn nll_matches_the_lecture() -> Result<()> {
    let r = reference();
    let words = words();
    let vocab = Vocab::from_words(&words)?;
    let model = CountModel::fit(&words, &vocab, 1, 1.0)?;
    let loss = nll(&model, &words)?;
    // The lecture sums 228,146 float32 log-probabilities one by one and prints 2.4544; the same
    // loop in float64 gives the accurate value, which `nll` computes.
    let expected = r["nll_add1_f64"].as_f64().unwrap();
    assert!((loss - expected).abs() < 1e-5, "nll {loss} vs {expected}");
    let lecture = r["nll_add1"].as_f64().unwrap();
    assert!((loss - lecture).abs() < 5e-4, "nll {loss} vs the lecture's float32 sum {lecture}");
    let odd = nll(&model, &["andrejq".to_string()])?;
    assert!((odd - r["nll_andrejq_add1"].as_f64().unwrap()).abs() < 1e-5);
    let raw = CountModel::fit(&words, &vocab, 1, 0.0)?;
    assert!(nll(&raw, &["andrejq".to_string()])?.is_infinite());
    let n = Dataset::new(&words, &vocab, 1)?.len();
    assert_eq!(n as u64, r["n_bigrams"].as_u64().unwrap());
    Ok(())
}

#[test]
fn gradient_descent_matches_the_lecture() -> Result<()> {
    let r = reference();
    let words = words();
    let vocab = Vocab::from_words(&words)?;
    let data = Dataset::new(&words, &vocab, 1)?;
    assert_eq!(data.len() as u64, r["n_examples"].as_u64().unwrap());
    let expected = floats(&r["losses"]);
    // the lecture's one-hot loop, and the default (the same losses from the counts, E06)
    for method in [Method::OneHot, TrainConfig::default().method] {
        let mut net = NeuralModel::new(&vocab, 1, SEED)?;
        let losses = net.train(&data, &TrainConfig { method, ..TrainConfig::default() })?;
        assert_eq!(losses.len(), expected.len());
        for (step, (a, b)) in losses.iter().zip(&expected).enumerate() {
            assert!((a - b).abs() < 1e-5, "{method:?}, step {step}: loss {a} vs {b}");
        }
        assert_eq!(sample(&net, 5, SEED)?, strings(&r["samples_net"]), "{method:?}");
    }
    Ok(())
}

#[test]
fn emma_walkthrough_matches_the_lecture() -> Result<()> {
    let r = reference();
    let words = words();
    let vocab = Vocab::from_words(&words)?;
    let data = Dataset::new(&words[..1], &vocab, 1)?;
    assert_eq!(Vec::<i64>::try_from(data.xs())?, vec![0, 5, 13, 13, 1]);
    assert_eq!(Vec::<i64>::try_from(data.ys())?, vec![5, 13, 13, 1, 0]);
    let mut net = NeuralModel::new(&vocab, 1, SEED)?;
    let cfg = TrainConfig { steps: 5, learning_rate: 0.1, reg: 0.0, method: Method::OneHot };
    let losses = net.train(&data, &cfg)?;
    for (a, b) in losses.iter().zip(floats(&r["emma_losses"])) {
        assert!((a - b).abs() < 1e-5, "emma loss {a} vs {b}");
    }
    Ok(())
}

/// Parts 2-5 of the lectures split the words with Python's `random.seed(42)` and
/// `random.shuffle(words)`: the crate's copy of CPython's generator shuffles as Python does, for
/// several seeds (one past 2^32) and lists.
#[test]
fn python_shuffle_is_cpythons() {
    let r = reference();
    let words = common::words();
    for case in r["python_shuffles"].as_array().unwrap() {
        let seed = case["seed"].as_u64().unwrap();
        let n = case["n"].as_u64().unwrap() as usize;
        let items: Vec<String> = match case["first"][0].as_str() {
            Some(_) => words[..n].to_vec(),
            None => (0..n).map(|i| i.to_string()).collect(),
        };
        let split = Split::python(&items, seed);
        let all: Vec<String> = [split.train, split.dev, split.test].concat();
        let as_text = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().map_or(x.to_string(), String::from))
                .collect()
        };
        assert_eq!(
            all[..case["first"].as_array().unwrap().len()],
            as_text(&case["first"]),
            "seed {seed}"
        );
        assert_eq!(all[n - 5..], as_text(&case["last"]), "seed {seed}");
    }
    // the lecture's split sizes: int(0.8 * n), int(0.9 * n)
    let split = Split::python(&words, 42);
    let sizes = [split.train.len(), split.dev.len(), split.test.len()].map(|n| n as u64);
    let want: Vec<u64> =
        r["python_split_sizes"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
    assert_eq!(sizes[..], want[..]);
}

/// Part 2's dataset: the crate's `contexts` is the lecture's `build_dataset`, example for example,
/// and gives its 182,625 / 22,655 / 22,866 examples on the lecture's split.
#[test]
fn contexts_are_the_lectures_build_dataset() -> Result<()> {
    let r = common::part2_reference();
    let words = words();
    let vocab = Vocab::from_words(&words)?;
    let (x, y) = contexts(&words[..5], &vocab, 3)?;
    let rows: Vec<Vec<i64>> =
        (0..x.size()[0]).map(|i| Vec::<i64>::try_from(x.get(i)).unwrap()).collect();
    let want: Vec<Vec<i64>> = serde_json::from_value(r["first5"]["X"].clone()).unwrap();
    assert_eq!(rows, want);
    assert_eq!(
        Vec::<i64>::try_from(&y)?,
        serde_json::from_value::<Vec<i64>>(r["first5"]["Y"].clone()).unwrap()
    );
    let split = Split::python(&words, 42);
    let sizes: Vec<u64> = [&split.train, &split.dev, &split.test]
        .iter()
        .map(|part| contexts(part, &vocab, 3).map(|(_, y)| y.size()[0] as u64))
        .collect::<Result<_>>()?;
    assert_eq!(sizes, serde_json::from_value::<Vec<u64>>(r["split_examples"].clone()).unwrap());
    Ok(())
}
