//! makemore.py's training loop, once for every caller: a step per batch; every
//! [`RunOptions::eval_every`] steps the train and test losses, the best model saved and a row of
//! the loss log; every [`RunOptions::sample_every`] steps a few names, grouped as in train / in
//! test / new; until a step count or a stop flag the caller owns (Ctrl-C in the command line).
//! It prints nothing: it reports [`Event`]s to a callback, so the command line draws its progress
//! bar and a notebook prints lines.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::{LossLog, Losses, Trainer};
use crate::data::Split;
use crate::error::{Error, Result};
use crate::interrupt::Watch;
use crate::model::LanguageModel;
use crate::plot::Series;
use crate::sample::{Grouped, Sampling};

/// Characters generated per name of [`RunOptions::samples`] when the model is of a text.
const CHARS_PER_NAME: usize = 20;

/// How to run the loop; the defaults are makemore.py's.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Steps to take in this run (a resumed run counts from where it resumes, as makemore.py
    /// counts); `None` runs until the stop flag is set.
    pub steps: Option<usize>,
    /// Evaluate, save the best model and log the losses every this many steps (makemore.py: 500).
    pub eval_every: usize,
    /// Sample names every this many steps (makemore.py: 200); 0 never.
    pub sample_every: usize,
    /// Names per sample (makemore.py: 10); of a text, 20 characters each.
    pub samples: usize,
    /// How to sample; the seed of the samples at step `s` is `seed + s`.
    pub sampling: Sampling,
    /// Where to save the best model, with the training state (`None`: nowhere).
    pub save_to: Option<PathBuf>,
    /// The folder of the loss log, `losses.csv` and `losses.png` (`None`: no log).
    pub log_dir: Option<PathBuf>,
    /// What the loss plot is about, e.g. "mlp on names.txt".
    pub title: String,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            steps: None,
            eval_every: 500,
            sample_every: 200,
            samples: 10,
            sampling: Sampling { seed: super::TrainOptions::default().seed, ..Sampling::default() },
            save_to: None,
            log_dir: None,
            title: String::new(),
        }
    }
}

/// What happened in the loop, for the caller to show. `step` is makemore.py's step number:
/// the steps taken before this one.
#[derive(Debug)]
pub enum Event<'a> {
    /// A step was taken: the batch's loss, and how long the step took.
    Step { step: usize, loss: f64, seconds: f64 },
    /// The losses were measured; `saved` says where the model went when they were the best.
    Evaluated { step: usize, losses: Losses, saved: Option<&'a Path> },
    /// Names were sampled.
    Sampled { step: usize, names: &'a Grouped },
    /// Text was generated (a model of a text).
    Generated { step: usize, text: &'a str },
}

/// makemore.py's lines: `step 10 | loss 3.1234 | step time 1.23ms`; `step 500 train loss: ...
/// test loss: ...`, with `test loss ... is the best so far, saving model to ...` when saved; the
/// grouped samples.
impl std::fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Step { step, loss, seconds } => {
                write!(f, "step {step} | loss {loss:.4} | step time {:.2}ms", seconds * 1e3)
            }
            Event::Evaluated { step, losses, saved } => {
                let test =
                    losses.test.map_or("n/a (one word: no test set)".into(), |t| t.to_string());
                write!(f, "step {step} train loss: {} test loss: {test}", losses.train)?;
                if let Some(path) = saved {
                    let which = if losses.test.is_some() { "test" } else { "train" };
                    let score = losses.score();
                    write!(
                        f,
                        "\n{which} loss {score} is the best so far, saving model to {}",
                        path.display()
                    )?;
                }
                Ok(())
            }
            Event::Sampled { names, .. } => write!(f, "{names}"),
            Event::Generated { step, text } => {
                write!(f, "step {step}, generated:\n{text}\n{}", "-".repeat(80))
            }
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Steps taken in this run.
    pub steps: usize,
    /// True when the stop flag ended it.
    pub stopped: bool,
    /// The losses measured in this run, by step.
    pub losses: Vec<(usize, Losses)>,
}

impl RunSummary {
    /// The test loss (the train loss without a test set) against the step, for [`crate::plot::line_plot`].
    pub fn curve(&self, label: &str) -> Series {
        let steps = self.losses.iter().map(|(s, _)| *s as f64).collect();
        Series::new(label, steps, self.losses.iter().map(|(_, l)| l.score()).collect())
    }
}

impl Trainer {
    /// Runs makemore.py's loop with `opts`, calling `on_event` with what happens, until
    /// `opts.steps` steps are taken or `stop` is set (or a notebook's Interrupt comes: see
    /// [`crate::interrupt`]). The losses are measured every
    /// `eval_every` steps and once more at the end if the last step was not measured.
    ///
    /// # Errors
    /// As [`Trainer::step`], [`Trainer::save`] and the loss log; [`Error::Output`] when
    /// `on_event` fails to write.
    pub fn run(
        &mut self,
        opts: &RunOptions,
        stop: &AtomicBool,
        mut on_event: impl FnMut(&Event) -> std::io::Result<()>,
    ) -> Result<RunSummary> {
        if opts.eval_every == 0 {
            return Err(Error::param(
                "eval_every",
                0,
                "the losses are measured every so many steps",
                "use 500, makemore.py's",
            ));
        }
        let mut emit = |e: &Event| on_event(e).map_err(Error::Output);
        let mut log =
            opts.log_dir.as_ref().map(|dir| LossLog::open(dir, &opts.title, self.steps()));
        let start = self.steps();
        let mut summary = RunSummary { steps: 0, stopped: false, losses: Vec::new() };
        let (mut measured, mut interrupt) = (true, Watch::new());
        while opts.steps.is_none_or(|n| summary.steps < n) {
            if stop.load(Ordering::SeqCst) || interrupt.stop_at(summary.steps, opts.steps) {
                summary.stopped = true;
                break;
            }
            let t = Instant::now();
            let loss = self.step()?;
            let step = self.steps() - 1;
            summary.steps = self.steps() - start;
            emit(&Event::Step { step, loss, seconds: t.elapsed().as_secs_f64() })?;
            measured = step > 0 && step.is_multiple_of(opts.eval_every);
            if measured {
                self.measure(step, opts, log.as_mut(), &mut summary, &mut emit)?;
            }
            if opts.sample_every > 0 && step > 0 && step.is_multiple_of(opts.sample_every) {
                let sampling = Sampling {
                    seed: opts.sampling.seed.wrapping_add(step as i64),
                    ..opts.sampling
                };
                match self.split() {
                    Some(split) => {
                        let names = sampling.sample(self.model(), opts.samples)?;
                        let names = Grouped::new(&names, self.model().vocab(), split);
                        emit(&Event::Sampled { step, names: &names })?;
                    }
                    None => {
                        let text =
                            sampling.generate(self.model(), opts.samples * CHARS_PER_NAME, "")?;
                        emit(&Event::Generated { step, text: &text })?;
                    }
                }
            }
        }
        if !measured {
            let step = self.steps() - 1;
            self.measure(step, opts, log.as_mut(), &mut summary, &mut emit)?;
        }
        Ok(summary)
    }

    /// Measures the losses, saves the model when they are the best, logs them.
    fn measure(
        &mut self,
        step: usize,
        opts: &RunOptions,
        log: Option<&mut LossLog>,
        summary: &mut RunSummary,
        emit: &mut impl FnMut(&Event) -> Result<()>,
    ) -> Result<()> {
        let (losses, best) = self.evaluate()?;
        let saved = match (&opts.save_to, best) {
            (Some(path), true) => {
                self.save(path)?;
                Some(path.as_path())
            }
            _ => None,
        };
        if let Some(log) = log {
            log.push(step, losses)?;
        }
        summary.losses.push((step, losses));
        emit(&Event::Evaluated { step, losses, saved })
    }
}

/// The split a model was trained with, to group its samples: the train/test split of `words`
/// by `seed`, or, without a seed (the lecture's models train on every word), all as training.
///
/// # Errors
/// As [`Split::train_test`].
pub fn split_of(words: &[String], seed: Option<i64>) -> Result<Split> {
    match seed {
        Some(seed) => Split::train_test(words, seed),
        None => Ok(Split { train: words.to_vec(), dev: Vec::new(), test: Vec::new() }),
    }
}

/// The model's block size and vocabulary in one line, for headers: `27 characters
/// (.abcdefghijklmnopqrstuvwxyz), block size 16`.
pub fn describe(model: &dyn LanguageModel) -> String {
    format!("{}, block size {}", model.vocab().summary(), model.block_size())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Vocab;
    use crate::model::{ModelConfig, ModelType};
    use crate::train::{Checkpoint, TextOptions, TrainOptions};

    fn words() -> Vec<String> {
        let w = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "charlotte", "amelia"];
        w.iter().map(|s| s.to_string()).collect()
    }

    fn trainer() -> Trainer {
        let cfg = ModelConfig::default().with("n_embd", 4).with("n_embd2", 8);
        let opts = TrainOptions { batch_size: 4, ..TrainOptions::default() };
        Trainer::new(&words(), ModelType::Mlp, &cfg, &opts).unwrap()
    }

    /// (what, step) of each event but the steps, and the steps taken.
    fn run(
        t: &mut Trainer,
        opts: &RunOptions,
        stop: bool,
    ) -> (Vec<(&'static str, usize)>, Vec<usize>, RunSummary) {
        let (mut seen, mut steps) = (Vec::new(), Vec::new());
        let summary = t
            .run(opts, &AtomicBool::new(stop), |e| {
                match e {
                    Event::Step { step, .. } => steps.push(*step),
                    Event::Evaluated { step, saved, .. } => {
                        seen.push((if saved.is_some() { "saved" } else { "measured" }, *step))
                    }
                    Event::Sampled { step, names } => {
                        assert_eq!(names.in_train.len() + names.in_test.len() + names.new.len(), 3);
                        seen.push(("sampled", *step))
                    }
                    Event::Generated { step, text } => {
                        assert_eq!(text.chars().count(), 1 + 3 * CHARS_PER_NAME); // the start, then 3 x 20
                        seen.push(("generated", *step))
                    }
                }
                Ok(())
            })
            .unwrap();
        (seen, steps, summary)
    }

    #[test]
    fn a_run_keeps_makemore_pys_schedule_and_its_log_has_no_row_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.mm");
        let opts = RunOptions {
            steps: Some(7),
            eval_every: 5,
            sample_every: 4,
            samples: 3,
            save_to: Some(path.clone()),
            log_dir: Some(dir.path().to_path_buf()),
            title: "mlp on 8 names".into(),
            ..RunOptions::default()
        };
        let mut t = trainer();
        let (seen, steps, summary) = run(&mut t, &opts, false);
        assert_eq!(steps, (0..7).collect::<Vec<_>>());
        // step 5 measured (the first measurement is the best: saved), step 4 sampled, and the
        // last step (6), not measured on schedule, measured at the end
        assert_eq!(seen[..2], [("sampled", 4), ("saved", 5)]);
        assert_eq!(seen[2].1, 6);
        assert_eq!((summary.steps, summary.stopped, summary.losses.len()), (7, false, 2));
        // resumed: the log goes on from step 7, and a run with nothing to do adds nothing
        let mut resumed = Trainer::resume(
            Checkpoint::load(&path, tch::Device::Cpu).unwrap(),
            &words(),
            &TrainOptions { batch_size: 4, ..TrainOptions::default() },
        )
        .unwrap();
        let best = seen.iter().filter(|(what, _)| *what == "saved").count();
        assert!(best >= 1);
        let at = resumed.steps();
        assert!(at == 6 || at == 7, "saved at step {at}");
        run(&mut resumed, &RunOptions { steps: Some(0), ..opts.clone() }, false);
        let csv = |dir: &Path| std::fs::read_to_string(dir.join("losses.csv")).unwrap();
        let rows = |text: String| {
            text.lines()
                .skip(1)
                .map(|l| l.split(',').next().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let before = rows(csv(dir.path()));
        let (seen, _, _) = run(&mut resumed, &RunOptions { steps: Some(5), ..opts.clone() }, false);
        assert!(seen.iter().all(|(_, s)| *s >= at), "{seen:?}");
        let after = rows(csv(dir.path()));
        let mut unique = after.clone();
        unique.dedup();
        assert_eq!(unique, after, "a step logged twice");
        assert!(after.starts_with(
            &before[..before.iter().filter(|s| s.parse::<usize>().unwrap() < at).count()]
        ));
        assert!(dir.path().join("losses.png").exists());
    }

    #[test]
    fn a_run_on_a_text_reads_windows_generates_text_and_resumes_only_on_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.mm");
        let text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n".repeat(4);
        let cfg = ModelConfig::default().with("n_embd", 8).with("n_head", 2).with("n_layer", 1);
        let cfg = cfg.with("dropout", 0.1);
        let opts = TrainOptions { batch_size: 4, ..TrainOptions::gpt_lecture() };
        let text_opts =
            |block_size| TextOptions { block_size, eval_batches: 3, ..TextOptions::gpt_lecture() };
        let on_text = |kind, block| {
            Trainer::on_text(&text, Vocab::from_text(&text)?, kind, &cfg, &opts, &text_opts(block))
        };
        let mut t = on_text(ModelType::Gpt, 8).unwrap();
        assert!(
            t.split().is_none()
                && t.to_string().starts_with("324 characters of text (291 train, 33 val)"),
            "{t}"
        );
        let run_opts = RunOptions {
            steps: Some(7),
            eval_every: 5,
            sample_every: 5,
            samples: 3,
            save_to: Some(path.clone()),
            ..RunOptions::default()
        };
        let (seen, steps, summary) = run(&mut t, &run_opts, false);
        assert_eq!(steps, (0..7).collect::<Vec<_>>());
        assert_eq!(seen[..2], [("saved", 5), ("generated", 5)]);
        assert!(summary.losses.iter().all(|(_, l)| l.test.is_some()));
        // the losses are measured on the same windows every time: the same model, the same losses
        let (again, _) = t.evaluate().unwrap();
        assert_eq!(again, t.evaluate().unwrap().0);
        let load = || Checkpoint::load(&path, tch::Device::Cpu).unwrap();
        assert!(
            load().model.vocab().is_text() && load().model.config().get("dropout") == Some(0.1)
        );
        let resumed = Trainer::resume_text(load(), &text, &opts, &text_opts(8)).unwrap();
        assert!(resumed.steps() >= 6);
        let e = Trainer::resume_text(load(), &text.replace("Speak", "speak"), &opts, &text_opts(8))
            .unwrap_err();
        assert!(e.to_string().contains("another text"), "{e}");
        let e = Trainer::resume(load(), &["ab".to_string()], &opts).unwrap_err();
        assert!(
            e.to_string().contains("trained on a text") && e.to_string().contains("--text"),
            "{e}"
        );
        // too short a text for the block size, and the lecture's models, say so
        let e = on_text(ModelType::Gpt, 40).err().unwrap();
        assert!(
            e.to_string().contains("block size = 40") && e.to_string().contains("33 characters"),
            "{e}"
        );
        let e = on_text(ModelType::Counts, 8).err().unwrap();
        assert!(e.to_string().contains("not a text"), "{e}");
        // a model of words cannot resume on a text
        let words = trainer();
        words.save(&path).unwrap();
        let e = Trainer::resume_text(load(), &text, &opts, &text_opts(8)).err().unwrap();
        assert!(e.to_string().contains("trained on words"), "{e}");
    }

    #[test]
    fn a_set_stop_flag_ends_the_run_before_any_step() {
        let mut t = trainer();
        let (seen, steps, summary) =
            run(&mut t, &RunOptions { steps: Some(5), ..RunOptions::default() }, true);
        assert!(seen.is_empty() && steps.is_empty() && summary.stopped && summary.steps == 0);
        let e = t
            .run(
                &RunOptions { eval_every: 0, ..RunOptions::default() },
                &AtomicBool::new(false),
                |_| Ok(()),
            )
            .unwrap_err();
        assert!(e.to_string().contains("eval_every"), "{e}");
    }

    #[test]
    fn events_read_as_makemore_pys_lines() {
        let losses = Losses { train: 2.5, test: Some(2.25) };
        let path = PathBuf::from("out/model.mm");
        let e = Event::Evaluated { step: 500, losses, saved: Some(&path) };
        assert_eq!(e.to_string(), "step 500 train loss: 2.5 test loss: 2.25\ntest loss 2.25 is the best so far, saving model to out/model.mm");
        let e = Event::Evaluated {
            step: 0,
            losses: Losses { train: 1.5, test: None },
            saved: Some(&path),
        };
        assert!(
            e.to_string()
                .ends_with("\ntrain loss 1.5 is the best so far, saving model to out/model.mm"),
            "{e}"
        );
        let e = Event::Step { step: 10, loss: 3.29583, seconds: 0.00123 };
        assert_eq!(e.to_string(), "step 10 | loss 3.2958 | step time 1.23ms");
    }
}
