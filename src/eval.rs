//! The loss of a model on words: the lecture's mean negative log likelihood of the next
//! character (`04_loss_and_smoothing`), for every model, and makemore.py's evaluation on a
//! held-out set.

use tch::{Kind, Tensor};

use crate::data::{block_size, Sequences};
use crate::error::{Error, Result};
use crate::model::LanguageModel;

/// The mean negative log likelihood of `words` under the model: the lecture's loss,
/// `-sum(log p) / n` over every character of every word and the `.` that ends it, summed in
/// float64.
///
/// # Errors
/// [`Error::UnknownChar`] for a character the model's vocabulary lacks, [`Error::NoWords`] for
/// an empty list, and as [`LanguageModel::forward`] (a word too long for a model's block size).
pub fn nll(model: &dyn LanguageModel, words: &[String]) -> Result<f64> {
    let mut total = Total::default();
    // a few thousand words at a time: each chunk as wide as its own longest word
    for chunk in words.chunks(1 << 12) {
        total.add(model, &Sequences::new(chunk, model.vocab(), block_size(chunk))?)?;
    }
    total.mean()
}

/// The mean negative log likelihood of every target of `data` (padding aside), in batches.
///
/// # Errors
/// As [`LanguageModel::log_likelihood`].
pub fn evaluate(model: &dyn LanguageModel, data: &Sequences) -> Result<f64> {
    let mut total = Total::default();
    total.add(model, data)?;
    total.mean()
}

/// The mean negative log likelihood per character of `text` under a model of a text: the text
/// cut into consecutive windows of the model's block size, each character after the first
/// predicted from the ones before it in its window.
///
/// # Errors
/// [`Error::UnknownChar`] for a character outside the model's vocabulary; [`Error::NoWords`]
/// for a text of one character (nothing to predict); as [`LanguageModel::forward`].
pub fn text_nll(model: &dyn LanguageModel, text: &str) -> Result<f64> {
    let ids = model.vocab().encode_text(text)?;
    let block = model.block_size().max(1);
    // windows of block + 1 characters that overlap by one: every character but the first is a
    // target; the whole ones as the rows of batches of 2^16 positions, then the rest
    let whole = ids.len().saturating_sub(1) / block;
    let rows = ((1 << 16) / block).max(1);
    let (mut sum, mut count) = (0.0, 0i64);
    let mut add = |window: &[i64], width: usize| -> Result<()> {
        let t = Tensor::from_slice(window).f_view([-1, width as i64 + 1])?.f_to(model.device())?;
        let (x, y) = (t.f_narrow(1, 0, width as i64)?, t.f_narrow(1, 1, width as i64)?);
        sum += model.log_likelihood(&x, &y)?.f_sum(Kind::Double)?.f_double_value(&[])?;
        count += y.numel() as i64;
        Ok(())
    };
    tch::no_grad(|| -> Result<()> {
        for first in (0..whole).step_by(rows) {
            let n = rows.min(whole - first);
            let batch: Vec<i64> = (first..first + n)
                .flat_map(|w| ids[w * block..=(w + 1) * block].iter().copied())
                .collect();
            add(&batch, block)?;
        }
        let rest = &ids[(whole * block).min(ids.len())..];
        if rest.len() > 1 {
            add(rest, rest.len() - 1)?;
        }
        Ok(())
    })?;
    if count == 0 {
        return Err(Error::NoWords { what: "the text (one character: nothing to predict)".into() });
    }
    Ok(-sum / count as f64)
}

/// The sum of the log-likelihoods of some targets, and how many there were.
#[derive(Default)]
struct Total {
    sum: f64,
    count: i64,
}

impl Total {
    fn add(&mut self, model: &dyn LanguageModel, data: &Sequences) -> Result<()> {
        // 2^16 positions a batch: a few MB of logits, and few enough batches to cost nothing
        let batch = ((1 << 16) / data.width()).max(1);
        tch::no_grad(|| -> Result<()> {
            for start in (0..data.len()).step_by(batch) {
                let index: Vec<i64> =
                    (start..data.len().min(start + batch)).map(|i| i as i64).collect();
                let (x, y) = data.batch(&index, model.device())?;
                let logp = model.log_likelihood(&x, &y)?; // (B, T), 0 at padding
                self.sum += logp.f_sum(Kind::Double)?.f_double_value(&[])?;
                self.count += y.f_ge(0)?.f_sum(Kind::Int64)?.f_int64_value(&[])?;
            }
            Ok(())
        })
    }

    fn mean(&self) -> Result<f64> {
        if self.count == 0 {
            return Err(Error::NoWords { what: "the dataset".to_string() });
        }
        Ok(-self.sum / self.count as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Dataset, Vocab};
    use crate::model::CountModel;
    use crate::Error;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn text_nll_predicts_every_character_but_the_first_once() {
        use crate::model::{Model, ModelConfig, ModelType};
        let text = "abcab\ncab";
        let v = Vocab::from_text(text).unwrap();
        // makemore.py's bigram starts from zeros: every character has p = 1/4
        let m = Model::new(ModelType::Bigram, &v, 3, &ModelConfig::default(), tch::Device::Cpu)
            .unwrap();
        for text in [text, "ab", "abc", "abcd\n"] {
            let text = &text.replace('d', "a");
            assert!((text_nll(&m, text).unwrap() - 4f64.ln()).abs() < 1e-6, "{text}");
        }
        assert!(text_nll(&m, "a").is_err() && text_nll(&m, "az").is_err());
    }

    #[test]
    fn text_nll_in_batches_is_the_mean_over_its_windows_one_by_one() {
        use crate::model::{Model, ModelConfig, ModelType};
        let text: String = (0..200).map(|i| ["ab", "ca\n", "bca", "a"][i % 4]).collect();
        let v = Vocab::from_text(&text).unwrap();
        tch::manual_seed(1);
        let m =
            Model::new(ModelType::Mlp, &v, 3, &ModelConfig::of(ModelType::Mlp), tch::Device::Cpu)
                .unwrap();
        for len in [2, 4, 5, 6, 101, text.len()] {
            // the windows of 4 characters overlapping by one, then the rest, one forward each
            let ids = v.encode_text(&text[..len]).unwrap();
            let (mut sum, mut count, mut at) = (0.0, 0, 0);
            while at + 1 < ids.len() {
                let w = &ids[at..(at + 4).min(ids.len())];
                let x = Tensor::from_slice(&w[..w.len() - 1]).unsqueeze(0);
                let y = Tensor::from_slice(&w[1..]).unsqueeze(0);
                sum += m.log_likelihood(&x, &y).unwrap().sum(Kind::Double).double_value(&[]);
                (count, at) = (count + w.len() - 1, at + 3);
            }
            let want = -sum / count as f64;
            let got = text_nll(&m, &text[..len]).unwrap();
            assert!((got - want).abs() < 1e-5 * want, "{len}: {got} vs {want}");
        }
    }

    #[test]
    fn a_certain_model_has_no_loss() {
        let w = words(&["abc"]);
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 1, 0.0).unwrap();
        assert!(nll(&m, &w).unwrap().abs() < 1e-12);
    }

    #[test]
    fn nll_is_the_mean_of_minus_log_p_of_each_bigram() {
        let w = words(&["ab", "ba"]);
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 1, 0.0).unwrap();
        // .a .b: 1/2 each; ab, ba: 1/2; a. b.: 1/2 -> every bigram has p = 1/2
        assert!((nll(&m, &w).unwrap() - 2f64.ln()).abs() < 1e-6);
        assert!(matches!(nll(&m, &words(&["abz"])), Err(Error::UnknownChar { ch: 'z', .. })));
        // the lecture's per-example mean gives the same
        let w = words(&["emma", "olivia", "ava", "isabella", "sophia"]);
        let v = Vocab::from_words(&w).unwrap();
        let m = CountModel::fit(&w, &v, 1, 0.5).unwrap();
        let d = Dataset::new(&w, &v, 1).unwrap();
        let p = m.probs().index(&[Some(d.xs().shallow_clone()), Some(d.ys().shallow_clone())]);
        let lecture = -p.to_kind(Kind::Double).log().mean(Kind::Double).double_value(&[]);
        assert!((nll(&m, &w).unwrap() - lecture).abs() < 1e-6);
    }
}
