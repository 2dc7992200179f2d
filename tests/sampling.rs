//! `sample` runs its own copy of torch's generator and takes `argmax(p / q)` in Rust
//! (src/sample.rs, src/rng.rs). Checked here against the lecture's loop, one `torch.multinomial`
//! per character, on many names: the same names, and torch's own generator left where it was.

use makemore::prelude::*;
use makemore::Result;

mod common;

/// The lecture's sampling loop, one `multinomial` call per character on torch's generator.
fn sample_with_multinomial(model: &dyn LanguageModel, n: usize, seed: i64) -> Vec<String> {
    with_torch_seed(seed, || {
        let mut names = Vec::new();
        for _ in 0..n {
            let mut ids = vec![0i64];
            let mut out = String::new();
            loop {
                let context = &ids[ids.len().saturating_sub(model.block_size())..];
                let p = model.next_probs(&Tensor::from_slice(context).view([1, -1])).unwrap();
                let ix = p.get(0).multinomial(1, true).int64_value(&[0]);
                out.push(model.vocab().itos(ix).unwrap());
                if ix == 0 {
                    break;
                }
                ids.push(ix);
            }
            names.push(out);
        }
        names
    })
}

/// A model whose probabilities are float64: `sample` then divides in float64, as
/// `torch.multinomial` does.
#[derive(Debug)]
struct Double<'a>(&'a dyn LanguageModel);

impl LanguageModel for Double<'_> {
    fn vocab(&self) -> &Vocab {
        self.0.vocab()
    }
    fn block_size(&self) -> usize {
        self.0.block_size()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.0.forward(x)
    }
    fn next_probs(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.0.next_probs(x)?.to_kind(Kind::Double))
    }
}

#[test]
fn sampling_draws_exactly_what_the_lectures_multinomial_loop_draws() -> Result<()> {
    let words = read_words(common::NAMES_TXT)?;
    let vocab = Vocab::from_words(&words)?;
    let bigram = CountModel::fit(&words, &vocab, 1, 1.0)?;
    let trigram = CountModel::fit(&words, &vocab, 2, 1.0)?;
    let unsmoothed = CountModel::fit(&words, &vocab, 1, 0.0)?; // zeros in P
    let net = NeuralModel::new(&vocab, 1, 7)?;
    let double = Double(&bigram);
    for (model, n, seed) in [
        (&bigram as &dyn LanguageModel, 5000, SEED),
        (&trigram, 1000, 42),
        (&unsmoothed, 1000, -5),
        (&net, 1000, 3),
        (&double, 1000, (1 << 40) + 9),
    ] {
        // torch's generator, seeded elsewhere and drawn from after `sample`, must not move
        let (fast, after) = with_torch_seed(11, || {
            let fast = sample(model, n, seed);
            (fast, Tensor::rand([4], (Kind::Float, Device::Cpu)))
        });
        let fresh = with_torch_seed(11, || Tensor::rand([4], (Kind::Float, Device::Cpu)));
        assert!(after.equal(&fresh), "sample moved torch's generator");
        let fast = fast?;
        assert_eq!(fast.len(), n);
        assert_eq!(fast, sample_with_multinomial(model, n, seed), "{model:?}, seed {seed}");
    }
    Ok(())
}
