//! `sample` draws the next character from torch's generator in blocks and takes `argmax(p / q)`
//! in Rust (src/model.rs). Checked here against the lecture's loop, one `torch.multinomial` per
//! character, on many names: the same names, and the generator left in the same state.
//! One test in this file: torch's generator is global to the process.

use makemore::tch::{Device, Kind, Tensor};
use makemore::*;

/// The lecture's sampling loop, one `multinomial` call per character.
fn sample_with_multinomial(model: &dyn LanguageModel, n: usize, seed: i64) -> Vec<String> {
    makemore::tch::manual_seed(seed);
    let v = model.vocab().len();
    let mut names = Vec::new();
    for _ in 0..n {
        let mut window = vec![0usize; model.context()];
        let mut out = String::new();
        loop {
            let row = window.iter().fold(0, |acc, &i| acc * v + i) as i64;
            let p = model.next_probs(row).unwrap();
            let ix = p.multinomial(1, true).int64_value(&[0]);
            out.push(model.vocab().itos(ix).unwrap());
            if ix == 0 {
                break;
            }
            window.remove(0);
            window.push(ix as usize);
        }
        names.push(out);
    }
    names
}

/// `sample`'s names and the next draw of the generator after it, and the same for the loop.
fn both(model: &dyn LanguageModel, n: usize, seed: i64) -> [(Vec<String>, Tensor); 2] {
    let next = || Tensor::rand([8], (Kind::Float, Device::Cpu));
    let fast = sample(model, n, seed).unwrap();
    let after_fast = next();
    let slow = sample_with_multinomial(model, n, seed);
    let after_slow = next();
    [(fast, after_fast), (slow, after_slow)]
}

#[test]
fn sampling_draws_exactly_what_the_lectures_multinomial_loop_draws() -> Result<()> {
    let words = read_words(concat!(env!("CARGO_MANIFEST_DIR"), "/data/names.txt"))?;
    let vocab = Vocab::from_words(&words)?;
    let bigram = CountModel::fit(&words, &vocab, 1, 1.0)?;
    let trigram = CountModel::fit(&words, &vocab, 2, 1.0)?;
    let net = NeuralModel::new(&vocab, 1, 7)?;
    // 5,000 names: blocks of 4,096 rows of exponentials, then smaller ones
    for (model, n, seed) in [
        (&bigram as &dyn LanguageModel, 5000, SEED),
        (&trigram, 1000, 42),
        (&net, 1000, 3),
    ] {
        let [(fast, after_fast), (slow, after_slow)] = both(model, n, seed);
        assert_eq!(fast.len(), n);
        assert_eq!(fast, slow, "context {}, seed {seed}", model.context());
        assert!(
            after_fast.equal(&after_slow),
            "the generator ends elsewhere than the lecture's loop leaves it"
        );
    }
    Ok(())
}
