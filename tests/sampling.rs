//! `sample` runs its own copy of torch's generator and takes `argmax(p / q)` in Rust
//! (src/model.rs, src/rng.rs). Checked here against the lecture's loop, one `torch.multinomial` per
//! character, on many names: the same names, and torch's own generator left where it was.
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

/// A model whose probabilities are cast to another float type: for float64 `sample` takes
/// `argmax(p / q)` in float64, as `torch.multinomial` does; for others it calls
/// `torch.multinomial` itself.
struct Cast<'a>(&'a dyn LanguageModel, Kind);

impl LanguageModel for Cast<'_> {
    fn vocab(&self) -> &Vocab {
        self.0.vocab()
    }
    fn context(&self) -> usize {
        self.0.context()
    }
    fn next_probs(&self, row: i64) -> Result<Tensor> {
        Ok(self.0.next_probs(row)?.to_kind(self.1))
    }
    fn probs(&self, xs: &Tensor, ys: &Tensor) -> Result<Tensor> {
        self.0.probs(xs, ys)
    }
}

#[test]
fn sampling_draws_exactly_what_the_lectures_multinomial_loop_draws() -> Result<()> {
    let words = read_words(concat!(env!("CARGO_MANIFEST_DIR"), "/data/names.txt"))?;
    let vocab = Vocab::from_words(&words)?;
    let bigram = CountModel::fit(&words, &vocab, 1, 1.0)?;
    let trigram = CountModel::fit(&words, &vocab, 2, 1.0)?;
    let unsmoothed = CountModel::fit(&words, &vocab, 1, 0.0)?; // zeros in P
    let net = NeuralModel::new(&vocab, 1, 7)?;
    let double = Cast(&bigram, Kind::Double);
    for (model, n, seed) in [
        (&bigram as &dyn LanguageModel, 5000, SEED),
        (&trigram, 1000, 42),
        (&unsmoothed, 1000, -5),
        (&net, 1000, 3),
        (&double, 1000, (1 << 40) + 9),
    ] {
        // torch's generator is seeded elsewhere and drawn from after `sample`: it must not move
        makemore::tch::manual_seed(11);
        let fast = sample(model, n, seed)?;
        let after = Tensor::rand([4], (Kind::Float, Device::Cpu));
        makemore::tch::manual_seed(11);
        assert!(
            after.equal(&Tensor::rand([4], (Kind::Float, Device::Cpu))),
            "sample moved torch's generator"
        );
        let slow = sample_with_multinomial(model, n, seed);
        assert_eq!(fast.len(), n);
        assert_eq!(fast, slow, "context {}, seed {seed}", model.context());
    }
    // float16 probabilities: torch.multinomial itself, one call per character
    let half = Cast(&bigram, Kind::Half);
    assert_eq!(
        sample(&half, 300, 8)?,
        sample_with_multinomial(&half, 300, 8)
    );
    Ok(())
}
