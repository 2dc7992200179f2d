//! Sampling names, the lecture's way (`03_sampling_and_broadcasting`): start at `.`, draw the next
//! character from the model's probabilities with `torch.multinomial`, until `.` comes back.
//! Works for every model; with the lecture's seed the count model gives the lecture's names.

use std::collections::{HashMap, HashSet};

use tch::{Kind, Tensor};

use crate::error::{Error, Result};
use crate::model::LanguageModel;
use crate::rng::TorchGenerator;

/// The longest name [`sample`] makes before it stops a name by itself: a guard against a model
/// that never picks `.`.
pub const MAX_SAMPLE_LEN: usize = 10_000;

/// How to sample. The default is the lecture's: its seed, the model's own probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// Plays the part of `torch.Generator().manual_seed(seed)`: the same seed, the same names.
    pub seed: i64,
    /// Divides the logits: below 1 the likely characters get likelier, above 1 less so.
    pub temperature: f64,
    /// Draw only among the `k` likeliest characters (makemore.py's `--top-k`).
    pub top_k: Option<usize>,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling { seed: crate::SEED, temperature: 1.0, top_k: None }
    }
}

/// `n` names from `model`, each ending with `.`, with [`Sampling`]'s defaults and `seed`.
///
/// # Errors
/// As [`Sampling::sample`].
pub fn sample(model: &dyn LanguageModel, n: usize, seed: i64) -> Result<Vec<String>> {
    Sampling { seed, ..Sampling::default() }.sample(model, n)
}

impl Sampling {
    /// `n` names, each ending with `.` (the vocabulary's boundary), each character drawn as
    /// `torch.multinomial` draws it, from a copy of torch's generator (torch's own is left
    /// alone). The probabilities after each context are asked of the model once. A name stops
    /// without its `.` at the model's [`LanguageModel::max_len`] (makemore.py's networks: the
    /// longest training word), or at [`MAX_SAMPLE_LEN`] characters. A notebook's Interrupt ends
    /// it after the name it is drawing, with fewer names ([`crate::interrupt`]).
    ///
    /// # Errors
    /// [`Error::Param`] for a temperature that is not a positive number or a top-k of 0;
    /// [`Error::BadRow`] when probabilities cannot be sampled (all zero, say: a context never
    /// seen, with smoothing 0).
    pub fn sample(&self, model: &dyn LanguageModel, n: usize) -> Result<Vec<String>> {
        self.sample_from(model, n, "")
    }

    /// [`Sampling::sample`], every name starting with `prefix`: the model continues it.
    ///
    /// # Errors
    /// As [`Sampling::sample`]; [`Error::UnknownChar`] for a character of `prefix` that the
    /// vocabulary lacks.
    pub fn sample_from(
        &self,
        model: &dyn LanguageModel,
        n: usize,
        prefix: &str,
    ) -> Result<Vec<String>> {
        self.check()?;
        let (vocab, block) = (model.vocab(), model.block_size().max(1));
        let start = vocab.encode(prefix, 1)?; // `.` then the prefix, and a `.` after it
        let start = &start[..start.len() - 1];
        let cap = model.max_len().unwrap_or(MAX_SAMPLE_LEN).min(MAX_SAMPLE_LEN);
        let mut generator = TorchGenerator::new(self.seed);
        let mut rows: HashMap<Vec<i64>, Row> = HashMap::new();
        let mut us = Vec::with_capacity(vocab.len());
        let mut names = Vec::with_capacity(n.min(1 << 16));
        for _ in crate::interrupt::steps(n) {
            let mut ids = start.to_vec(); // every name starts after `.`
            let mut name = prefix.to_string();
            while ids.len() <= cap {
                let context = &ids[ids.len().saturating_sub(block)..];
                if !rows.contains_key(context) {
                    if rows.len() > 1 << 16 {
                        rows.clear(); // a long-context model: keep the memory bounded
                    }
                    rows.insert(context.to_vec(), self.row(model, context)?);
                }
                let ix = rows[context].draw(&mut generator, &mut us);
                name.push(vocab.itos(ix)?);
                if ix == 0 {
                    break;
                }
                ids.push(ix);
            }
            names.push(name);
        }
        Ok(names)
    }

    /// `n` characters (or byte-pair tokens) from a model of a text, after `prefix` (or after
    /// [`Vocab::start`](crate::data::Vocab::start): the lecture's `torch.zeros((1, 1))`), each
    /// drawn as [`Sampling::sample`] draws: the lecture's `generate`, which reads back the last
    /// `block_size` of them. Returns the start and the `n` after it, as text.
    ///
    /// # Errors
    /// As [`Sampling::sample`]; [`Error::UnknownChar`] for a character of `prefix` that the
    /// vocabulary lacks.
    pub fn generate(&self, model: &dyn LanguageModel, n: usize, prefix: &str) -> Result<String> {
        self.check()?;
        let (vocab, block) = (model.vocab(), model.block_size().max(1));
        let mut ids = match prefix.is_empty() {
            true => vocab.start(),
            false => vocab.encode_text(prefix)?,
        };
        let (mut generator, mut us) = (TorchGenerator::new(self.seed), Vec::new());
        for _ in crate::interrupt::steps(n) {
            let context = &ids[ids.len().saturating_sub(block)..];
            let ix = self.row(model, context)?.draw(&mut generator, &mut us);
            ids.push(ix);
        }
        // decoded whole: a byte-pair token may be part of a character
        vocab.decode(&ids)
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::Param`] for a temperature that is not a positive number or a top-k of 0.
    pub fn check(&self) -> Result<()> {
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            let hint =
                "use 1 for the model's own probabilities, less for the likely characters more";
            return Err(Error::param(
                "temperature",
                self.temperature,
                "it must be a number > 0",
                hint,
            ));
        }
        if self.top_k == Some(0) {
            let hint = "use 1 for the likeliest character only, or leave top-k out";
            return Err(Error::param("top-k", 0, "it must be at least 1", hint));
        }
        Ok(())
    }

    /// The model's probabilities after `context`, checked as `torch.multinomial` checks them,
    /// then shaped by the temperature and top-k.
    fn row(&self, model: &dyn LanguageModel, context: &[i64]) -> Result<Row> {
        let x = Tensor::from_slice(context).f_view([1, -1])?.f_to(model.device())?;
        let p = model.next_probs(&x)?.f_to(tch::Device::Cpu)?; // (1, V)
        let double = p.kind() == Kind::Double;
        let mut p = Vec::<f64>::try_from(p.f_to_kind(Kind::Double)?.f_reshape(-1)?)?;
        let why = if p.iter().any(|x| !(0.0..f64::INFINITY).contains(x)) {
            "probability tensor contains either `inf`, `nan` or element < 0"
        } else if p.iter().all(|&x| x == 0.0) {
            "invalid multinomial distribution (sum of probabilities <= 0)"
        } else {
            ""
        };
        if !why.is_empty() {
            let context = model.vocab().decode(context).unwrap_or_default();
            return Err(Error::BadRow { context, why: why.to_string() });
        }
        if self.temperature != 1.0 || self.top_k.is_some() {
            // softmax(logits / T) = p^(1/T), renormalized, computed as (p / max p)^(1/T) in
            // logarithms: the likeliest stays 1, so no temperature can make every p vanish (as
            // T -> 0 this is the greedy choice); then all but the top k set to 0
            if self.temperature != 1.0 {
                let top = p.iter().cloned().fold(0.0, f64::max).ln();
                p.iter_mut().for_each(|x| *x = ((x.ln() - top) / self.temperature).exp());
            }
            if let Some(k) = self.top_k.filter(|&k| k < p.len()) {
                let mut sorted = p.clone();
                sorted.sort_by(|a, b| b.total_cmp(a));
                p.iter_mut().filter(|x| **x < sorted[k - 1]).for_each(|x| *x = 0.0);
            }
            let sum: f64 = p.iter().sum();
            p.iter_mut().for_each(|x| *x /= sum);
        }
        Ok(Row { p, double })
    }
}

/// One row of probabilities, and whether torch would divide them in float64 (else float32).
struct Row {
    p: Vec<f64>,
    double: bool,
}

impl Row {
    /// `torch.multinomial(p, 1)`: `q = empty_like(p).exponential_()`, then `argmax(p / q)`,
    /// the first largest, a NaN (`0 / 0`) counting as largest.
    ///
    /// The logarithms behind `q = -ln(1 - u)` are most of the work, and most cannot matter: `q`
    /// lies between `u` and `u / (1 - u)`, so every ratio lies between `p (1 - u) / u` and
    /// `p / u`. Only a character whose upper bound reaches the best lower bound gets its exact
    /// ratio (the margins, 1e-6, are far above the float32 rounding of `p / q`).
    fn draw(&self, generator: &mut TorchGenerator, us: &mut Vec<f64>) -> i64 {
        us.clear();
        us.extend(self.p.iter().map(|_| generator.uniform())); // q's draws, in torch's order
        let floor =
            self.p.iter().zip(us.iter()).map(|(&p, &u)| p * (1.0 - u) / u).fold(0.0, f64::max);
        let (mut best, mut nan) = ((0, f64::NEG_INFINITY), None);
        for (j, (&p, &u)) in self.p.iter().zip(us.iter()).enumerate() {
            if p / u * (1.0 + 1e-6) < floor * (1.0 - 1e-6) {
                continue; // its ratio is below another's: it cannot win
            }
            let q = -(-u).ln_1p(); // torch: -log1p(-u) in float64, then the tensor's type
            let r = if self.double { p / q } else { f64::from(p as f32 / q as f32) };
            if r.is_nan() {
                nan = nan.or(Some(j));
            } else if r > best.1 {
                best = (j, r);
            }
        }
        nan.unwrap_or(best.0) as i64
    }
}

/// Names sorted as makemore.py prints its samples: those that are training words, those that
/// are test words, and new ones. `Display` gives makemore.py's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouped {
    pub in_train: Vec<String>,
    pub in_test: Vec<String>,
    pub new: Vec<String>,
}

impl Grouped {
    /// Sorts `names` (with or without the boundary that ends them) by where they are in `split`.
    pub fn new(
        names: &[String],
        vocab: &crate::data::Vocab,
        split: &crate::data::Split,
    ) -> Grouped {
        let train: HashSet<&str> = split.train.iter().map(String::as_str).collect();
        let test: HashSet<&str> = split.test.iter().map(String::as_str).collect();
        let mut g = Grouped { in_train: Vec::new(), in_test: Vec::new(), new: Vec::new() };
        for name in names {
            let name = vocab.strip(name).to_string();
            match (train.contains(name.as_str()), test.contains(name.as_str())) {
                (true, _) => g.in_train.push(name),
                (_, true) => g.in_test.push(name),
                _ => g.new.push(name),
            }
        }
        g
    }
}

impl std::fmt::Display for Grouped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rule = "-".repeat(80);
        writeln!(f, "{rule}")?;
        for (what, names) in
            [("in train", &self.in_train), ("in test", &self.in_test), ("new", &self.new)]
        {
            writeln!(f, "{} samples that are {what}:", names.len())?;
            for name in names {
                writeln!(f, "{name}")?;
            }
        }
        write!(f, "{rule}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CountModel;
    use crate::Vocab;

    #[test]
    fn a_deterministic_model_spells_its_only_word() {
        let w = vec!["abc".to_string()];
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 1, 0.0).unwrap();
        assert_eq!(sample(&m, 3, 1).unwrap(), vec!["abc.", "abc.", "abc."]);
    }

    #[test]
    fn temperature_and_top_k() {
        let w: Vec<String> = ["ab", "ac", "ad", "b"].iter().map(|s| s.to_string()).collect();
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 1, 0.0).unwrap();
        // after '.', 'a' has p = 3/4: top-1 always picks it, and 'a' is followed by b, c or d
        let top1 = Sampling { top_k: Some(1), ..Sampling::default() };
        for name in top1.sample(&m, 20).unwrap() {
            assert!(name.starts_with('a') && name.len() == 3, "{name}");
        }
        // a low temperature makes the likeliest character likelier still
        let cold = Sampling { temperature: 0.05, ..Sampling::default() };
        assert!(cold.sample(&m, 50).unwrap().iter().all(|n| n.starts_with('a')));
        let hot = Sampling { temperature: 100.0, ..Sampling::default() };
        assert!(hot.sample(&m, 50).unwrap().iter().any(|n| n.starts_with('b')));
        for bad in [
            Sampling { temperature: 0.0, ..Sampling::default() },
            Sampling { temperature: -1.0, ..Sampling::default() },
            Sampling { temperature: f64::NAN, ..Sampling::default() },
            Sampling { top_k: Some(0), ..Sampling::default() },
        ] {
            assert!(matches!(bad.sample(&m, 1), Err(Error::Param { .. })), "{bad:?}");
        }
    }

    #[test]
    fn a_row_without_mass_is_an_error_not_a_panic() {
        let w = vec!["ab".to_string(), "c".to_string()];
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 2, 0.0).unwrap();
        assert!(sample(&m, 5, 3).is_ok(), "sampling only visits contexts that were seen");
        let zeros = m.counts().zeros_like();
        let empty = CountModel::from_counts(&zeros, &v, 0.0).unwrap();
        let e = sample(&empty, 1, 1).unwrap_err();
        assert!(matches!(e, Error::BadRow { .. }), "{e}");
    }
}
