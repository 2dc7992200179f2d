//! The lecture's two models, trained the lecture's way: counts, and the one-layer net by
//! full-batch gradient descent.

use std::time::Instant;

use super::Event;
use crate::data::{Dataset, Vocab};
use crate::error::{Error, Result};
use crate::eval::nll;
use crate::model::methods::TrainConfig;
use crate::model::{CountModel, Model, ModelType, NeuralModel};

/// The lecture's two models, made the lecture's way on all of `words`, with their final loss:
/// the count model of `context` characters with add-`smoothing` counts (its loss: [`nll`]), or
/// the net drawn with `seed` and trained by full-batch gradient descent, reporting each step
/// to `on_event` as [`Event::Step`], as [`crate::train::Trainer::run`] does (its loss: the last
/// step's; with 0 steps, the loss before any).
///
/// # Errors
/// [`Error::Param`] for a network type (they train with a `Trainer`); as [`CountModel::fit`],
/// [`NeuralModel::new`] and [`NeuralModel::train_with`]; [`Error::Output`] when `on_event`
/// fails to write.
pub fn fit_lecture(
    kind: ModelType,
    words: &[String],
    context: usize,
    smoothing: f64,
    cfg: &TrainConfig,
    seed: i64,
    on_event: &mut dyn FnMut(&Event) -> std::io::Result<()>,
) -> Result<(Model, f64)> {
    let vocab = Vocab::from_words(words)?;
    match kind {
        ModelType::Counts => {
            let model = CountModel::fit(words, &vocab, context, smoothing)?;
            let loss = nll(&model, words)?;
            Ok((Model::Counts(model), loss))
        }
        ModelType::Neural => {
            let data = Dataset::new(words, &vocab, context)?;
            let mut net = NeuralModel::new(&vocab, context, seed)?;
            let (mut t, mut failed) = (Instant::now(), None);
            let losses = net.train_with(&data, cfg, &mut |step, loss| {
                let seconds = t.elapsed().as_secs_f64();
                if failed.is_none() {
                    failed = on_event(&Event::Step { step, loss, seconds }).err();
                }
                t = Instant::now();
            })?;
            if let Some(e) = failed {
                return Err(Error::Output(e));
            }
            let loss = match losses.last() {
                Some(&loss) => loss,
                None => net.loss(&data, cfg.reg, cfg.method)?.f_double_value(&[])?,
            };
            Ok((Model::Neural(net), loss))
        }
        _ => Err(Error::param(
            "model type",
            kind,
            "makemore.py's networks train with a Trainer",
            "use Trainer::new",
        )),
    }
}
