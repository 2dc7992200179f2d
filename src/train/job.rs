//! A training as a person asks for it ([`Job`]: the presets' defaults, and `None` for a flag
//! whose default depends on what is trained), checked and started ([`Start`]), and run to its
//! end ([`Ended`]). The command line parses and prints; what a flag means and what may be read,
//! replaced or refused is decided here (sampling and scoring a saved model: [`super::saved`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use tch::Device;

use super::run::describe;
use super::saved::seed_of;
use super::workdir::{Expect, Output, MAKEMORE_PY_FILE};
use super::{fit_lecture, Checkpoint, Event, RunOptions, TextOptions, TrainOptions, Trainer};
use crate::bpe::Tokenizer;
use crate::data::{read_text, read_words, Vocab};
use crate::error::{Error, Result};
use crate::model::methods::TrainConfig;
use crate::model::{CountModel, LanguageModel, Model, ModelConfig, ModelType};
use crate::sample::Sampling;

/// A training as asked for: makemore.py's flags, the GPT lecture's for a text, the lecture
/// models'. `None` is a flag left out whose default depends on what is trained (the type's, a
/// text's); every other default is a preset's, [`Job::new`]'s.
#[derive(Debug, Clone)]
pub struct Job {
    /// What to learn from: words (makemore.py's `-i`) or a text.
    pub data: Data,
    /// The type (`None`: makemore.py's Transformer for words, [`TextOptions`]'s for a text).
    pub kind: Option<ModelType>,
    /// The hyperparameters given; the type's defaults fill in the rest.
    pub config: ModelConfig,
    /// Where the model goes, and the model `resume` continues.
    pub output: Output,
    /// Continue the model in `output` where it stopped.
    pub resume: bool,
    /// Train over a model saved in `output`.
    pub overwrite: bool,
    /// Over [`TrainOptions::makemore_py`] (a text: [`TrainOptions::gpt_lecture`]; the lecture's
    /// net: [`TrainConfig::lecture`]'s learning rate).
    pub batch_size: Option<usize>,
    pub learning_rate: Option<f64>,
    pub weight_decay: Option<f64>,
    /// `None`: the type's, [`seed_of`].
    pub seed: Option<i64>,
    pub device: Device,
    /// Steps of this run; negative or `None`: until stopped (the lecture's net: its 100).
    pub max_steps: Option<i64>,
    /// Measure the losses (and keep the best model) every this many steps.
    pub eval_every: usize,
    /// The lecture's models: the net's training (its steps and learning rate are the job's)
    /// and the counts' context and smoothing.
    pub lecture: TrainConfig,
    pub context: usize,
    pub smoothing: f64,
    /// Threads of torch's CPU ops (torch's own, or the lecture method's).
    pub threads: Option<i32>,
    /// How training's samples are drawn; the seed is the job's.
    pub sampling: Sampling,
}

/// What a job learns from.
#[derive(Debug, Clone)]
pub enum Data {
    /// A words file, one per line.
    Words(PathBuf),
    /// A text as one stream, of characters or of a tokenizer's byte-pair tokens (its `.model`).
    Text { file: PathBuf, tokenizer: Option<PathBuf>, options: TextOptions },
}

impl Data {
    /// makemore.py's words file unless told otherwise (its `-i`).
    pub const WORDS: &'static str = "names.txt";

    /// The file read.
    pub fn file(&self) -> &Path {
        match self {
            Data::Words(file) | Data::Text { file, .. } => file,
        }
    }
}

impl Job {
    /// A job on `data` into `output` with every default.
    pub fn new(data: Data, output: Output) -> Job {
        Job {
            data,
            kind: None,
            config: ModelConfig::default(),
            output,
            resume: false,
            overwrite: false,
            batch_size: None,
            learning_rate: None,
            weight_decay: None,
            seed: None,
            device: Device::Cpu,
            max_steps: None,
            eval_every: RunOptions::default().eval_every,
            lecture: TrainConfig::lecture(),
            context: CountModel::CONTEXT,
            smoothing: CountModel::SMOOTHING,
            threads: None,
            sampling: Sampling::default(),
        }
    }
}

/// What a training job does, once its flags are checked and its data read.
pub enum Start {
    /// One of the lecture's models, made in one go.
    Lecture(Lecture),
    /// makemore.py's loop over words or a text: the trainer (new, resumed, or started from
    /// makemore.py's `model.pt`, then named in `read_pt`) and the run.
    Loop { trainer: Box<Trainer>, run: RunOptions, read_pt: Option<PathBuf> },
}

/// The lecture's counts or net, to fit on all the words and save ([`Lecture::fit`]).
pub struct Lecture {
    pub kind: ModelType,
    pub words: Vec<String>,
    pub config: TrainConfig,
    context: usize,
    smoothing: f64,
    seed: i64,
    output: Output,
}

impl Lecture {
    /// Fits the model, reporting each step to `on_event`, and saves it: the model and its final
    /// loss.
    ///
    /// # Errors
    /// As [`fit_lecture`], [`Output::create`] and [`Model::save`].
    pub fn fit(
        &self,
        on_event: &mut dyn FnMut(&Event) -> std::io::Result<()>,
    ) -> Result<(Model, f64)> {
        let (model, loss) = fit_lecture(
            self.kind,
            &self.words,
            self.context,
            self.smoothing,
            &self.config,
            self.seed,
            on_event,
        )?;
        self.output.create()?;
        model.save(self.output.model_path())?;
        Ok((model, loss))
    }
}

impl Start {
    /// What is about to happen, in lines: makemore.py's `model.pt` read, the trainer.
    pub fn header(&self) -> Vec<String> {
        match self {
            Start::Lecture(_) => Vec::new(),
            Start::Loop { trainer, read_pt, .. } => {
                let pt = read_pt.iter().map(|pt| format!("read makemore.py's {}", pt.display()));
                pt.chain([trainer.to_string()]).collect()
            }
        }
    }

    /// The steps it takes (`None`: until stopped), and one step in how many a log shows.
    pub fn steps(&self) -> (Option<usize>, usize) {
        match self {
            Start::Lecture(l) => (Some(l.config.steps), (l.config.steps / 20).max(1)),
            Start::Loop { run, .. } => (run.steps, 10), // makemore.py's
        }
    }

    /// Trains, reporting each event to `on_event`, until done or `stop` is set (makemore.py's
    /// loop; the lecture's models train in one go), and saves the model.
    ///
    /// # Errors
    /// As [`Lecture::fit`] and [`Trainer::run`].
    pub fn run(
        &mut self,
        stop: &AtomicBool,
        on_event: &mut dyn FnMut(&Event) -> std::io::Result<()>,
    ) -> Result<Ended> {
        match self {
            Start::Lecture(lecture) => {
                let (model, loss) = lecture.fit(on_event)?;
                let (kind, n) = (lecture.kind, lecture.words.len());
                let (about, path) = (describe(&model), lecture.output.model_path().display());
                let said = format!("saved the {kind} model ({n} words, {about}) to {path}");
                Ok(Ended { said, final_loss: Some(loss), stopped: false })
            }
            Start::Loop { run, .. } if run.steps == Some(0) => {
                let said = "--max-steps 0: nothing to train".to_string();
                Ok(Ended { said, final_loss: None, stopped: false })
            }
            Start::Loop { trainer, run, .. } => {
                let summary = trainer.run(run, stop, on_event)?;
                let stopped = if summary.stopped { "stopped by Ctrl-C; " } else { "" };
                let path = run.save_to.as_deref().unwrap_or(Path::new("")).display();
                let said = match trainer.best() {
                    Some(best) => format!("{stopped}best loss {best:.4}: the model is in {path}"),
                    None => String::new(),
                };
                Ok(Ended { said, final_loss: None, stopped: summary.stopped })
            }
        }
    }
}

/// How a training ended.
#[derive(Debug)]
pub struct Ended {
    /// What it did, in a line (empty: nothing to say).
    pub said: String,
    /// The lecture's models: the loss of the model saved.
    pub final_loss: Option<f64>,
    /// True when the stop flag ended it (the best model kept).
    pub stopped: bool,
}

impl Job {
    fn text(&self) -> Option<&TextOptions> {
        match &self.data {
            Data::Text { options, .. } => Some(options),
            Data::Words(_) => None,
        }
    }

    /// The type trained: the one asked for, else a text's or makemore.py's.
    pub fn kind(&self) -> ModelType {
        let default = self.text().map_or(ModelType::Transformer, |t| t.kind);
        self.kind.unwrap_or(default)
    }

    /// The training options: the flags over makemore.py's, or a text's.
    pub fn options(&self) -> TrainOptions {
        let d = match self.text() {
            Some(_) => TrainOptions::gpt_lecture(),
            None => TrainOptions::makemore_py(),
        };
        TrainOptions {
            batch_size: self.batch_size.unwrap_or(d.batch_size),
            learning_rate: self.learning_rate.unwrap_or(d.learning_rate),
            weight_decay: self.weight_decay.unwrap_or(d.weight_decay),
            seed: self.seed.unwrap_or(seed_of(self.kind(), self.text().is_some())),
            device: self.device,
            ..d
        }
    }

    /// makemore.py's `--sample-only`: lines of samples of the model in `output` (makemore.py's
    /// `model.pt` where there is no `model.mm`): 50 names grouped as in train / in test / new,
    /// or `chars` characters of a model of a text, drawn as [`super::saved::samples`] draws them.
    ///
    /// # Errors
    /// As [`Output::load`], [`Output::makemore_py`] and [`Checkpoint::samples`].
    pub fn samples(&self, chars: Option<usize>, prefix: &str) -> Result<String> {
        let text = self.text().is_some();
        let (kind, file) = (self.kind(), self.data.file());
        let pt = match text {
            false => self.output.makemore_py(kind, &self.config, file)?,
            true => None,
        };
        let checkpoint = match pt {
            Some(model) => Checkpoint { model, state: None },
            None => self.output.load(Device::Cpu, Expect { kind: self.kind, text: Some(text) })?,
        };
        let words = match text {
            false => Some(read_words(file)?),
            true => None,
        };
        let n = if text { chars } else { Some(Checkpoint::SAMPLE_ONLY_NAMES) };
        let seed = self.seed.unwrap_or(seed_of(checkpoint.model.kind(), text));
        let sampling = Sampling { seed, ..self.sampling };
        super::saved::draw(&checkpoint, &sampling, n, prefix, words.as_deref())
    }

    /// Checks the job, reads its data, sets torch's threads when asked, and says what it does.
    ///
    /// # Errors
    /// [`Error::Saved`] for a model training would replace or the wrong saved model;
    /// [`Error::Param`] for bad flags (`--resume` of a lecture model, negative steps for one);
    /// as [`read_words`], [`read_text`] and [`Trainer`]'s constructors.
    pub fn start(&self) -> Result<Start> {
        let kind = self.kind();
        let opts = self.options();
        let sampling = Sampling { seed: opts.seed, ..self.sampling };
        sampling.check()?;
        self.output.check_writable(self.resume, self.overwrite)?;
        if !kind.is_makemore() && self.text().is_none() {
            return self.lecture(kind, opts.seed).map(Start::Lecture);
        }
        if let Some(threads) = self.threads {
            tch::set_num_threads(threads);
        }
        // the Trainer says why a model of words is not one of a text, and the other way round
        let expect = Expect { kind: self.kind, text: None };
        let mut read_pt = None;
        let (trainer, run) = match &self.data {
            Data::Text { file, tokenizer, options } => {
                let text = read_text(file)?;
                let vocab = match tokenizer {
                    Some(path) => Some(Vocab::from_tokenizer(Tokenizer::load(path)?)?),
                    None => None,
                };
                let trainer = match self.resume {
                    true => {
                        let checkpoint = self.output.load(opts.device, expect)?;
                        let kept = checkpoint.model.vocab().tokenizer().map(|(_, model)| model);
                        if vocab.as_ref().is_some_and(|v| v.tokenizer().map(|(_, m)| m) != kept) {
                            let why = "the model was trained with another tokenizer (or none)";
                            let hint = "resume without --tokenizer: the model keeps its own";
                            let path = tokenizer.as_deref().unwrap_or(Path::new("")).display();
                            return Err(Error::param("--tokenizer", path, why, hint));
                        }
                        Trainer::resume_text(checkpoint, &text, &opts, options)?
                    }
                    false => {
                        // a new model's vocabulary: a resumed one keeps its own
                        let vocab = vocab.map_or_else(|| Vocab::from_text(&text), Ok)?;
                        Trainer::on_text(&text, vocab, kind, &self.config, &opts, options)?
                    }
                };
                (trainer, RunOptions { sample_every: self.eval_every, ..RunOptions::default() })
            }
            Data::Words(file) => {
                let words = read_words(file)?;
                let pt = match self.resume {
                    true => self.output.makemore_py(kind, &self.config, file)?,
                    false => None,
                };
                let mut trainer = match (self.resume, &pt) {
                    (true, None) => {
                        Trainer::resume(self.output.load(opts.device, expect)?, &words, &opts)?
                    }
                    _ => Trainer::new(&words, kind, &self.config, &opts)?,
                };
                if let (Some(model), Some(dir)) = (&pt, self.output.log_dir()) {
                    trainer.set_weights(model)?; // then a fresh optimizer and step 0, as makemore.py resumes
                    read_pt = Some(dir.join(MAKEMORE_PY_FILE));
                }
                (trainer, RunOptions::default())
            }
        };
        let name = self.data.file().file_name().unwrap_or_default().to_string_lossy();
        let run = RunOptions {
            steps: self.max_steps.and_then(|n| usize::try_from(n).ok()),
            eval_every: self.eval_every,
            sampling,
            save_to: Some(self.output.model_path().to_path_buf()),
            log_dir: self.output.log_dir().map(Path::to_path_buf),
            title: format!("{} on {name}", trainer.model().kind()),
            ..run
        };
        if run.steps != Some(0) {
            self.output.create()?;
        }
        Ok(Start::Loop { trainer: Box::new(trainer), run, read_pt })
    }

    fn lecture(&self, kind: ModelType, seed: i64) -> Result<Lecture> {
        if self.resume {
            let hint = "train it again, or resume one of makemore.py's models";
            let why = "the lecture's models train in one go";
            return Err(Error::param("--resume", kind, why, hint));
        }
        let d = TrainConfig::lecture();
        let steps = self.max_steps.unwrap_or(d.steps as i64);
        let steps = usize::try_from(steps).map_err(|_| {
            let why = "the lecture's net trains a given number of steps, not until Ctrl-C";
            Error::param("steps", steps, why, "pass a number >= 0, e.g. the lecture's 100")
        })?;
        let learning_rate = self.learning_rate.unwrap_or(d.learning_rate);
        let config = TrainConfig { steps, learning_rate, ..self.lecture };
        if let Some(threads) = self.threads.or(config.method.threads()) {
            tch::set_num_threads(threads);
        }
        Ok(Lecture {
            kind,
            words: read_words(self.data.file())?,
            config,
            context: self.context,
            smoothing: self.smoothing,
            seed,
            output: self.output.clone(),
        })
    }
}
