//! The `makemore` command's three jobs as a person asks for them: train ([`Job`]: every flag
//! left out is `None`, and the defaults of what is trained are filled in here), sample
//! ([`samples`]) and score ([`score`]). The command line parses and prints; what a flag means and
//! what may be read, replaced or refused is decided here.

use std::path::{Path, PathBuf};

use tch::Device;

use super::workdir::{Expect, Output, MAKEMORE_PY_FILE};
use super::{fit_lecture, Checkpoint, Event, RunOptions, TextOptions, TrainOptions, Trainer};
use crate::bpe::Tokenizer;
use crate::data::{read_text, read_words, Vocab};
use crate::error::{Error, Result};
use crate::eval::{nll, text_nll};
use crate::model::methods::{Method, TrainConfig};
use crate::model::{CountModel, LanguageModel, Model, ModelConfig, ModelType};
use crate::sample::Sampling;

/// A training as asked for: makemore.py's flags, the GPT lecture's for a text, the lecture
/// models'. `None` is a flag left out: the default of what is trained (a type's, a text's).
#[derive(Debug, Clone)]
pub struct Job {
    /// The words to learn from (makemore.py's `-i`; `names.txt` when neither it nor `text`).
    pub words: Option<PathBuf>,
    /// A text to learn from as one stream (the GPT lecture's way).
    pub text: Option<PathBuf>,
    /// With `text`: a tokenizer's `.model` file, for a model of its byte-pair tokens.
    pub tokenizer: Option<PathBuf>,
    /// The type (a Transformer for words, [`TextOptions`]'s for a text).
    pub kind: Option<ModelType>,
    /// Where the model goes, and the model `resume` continues.
    pub output: Output,
    /// Continue the model in `output` where it stopped.
    pub resume: bool,
    /// Train over a model saved in `output`.
    pub overwrite: bool,
    /// Sizes over the type's defaults.
    pub n_layer: Option<usize>,
    pub n_head: Option<usize>,
    pub n_embd: Option<usize>,
    pub n_embd2: Option<usize>,
    pub dropout: Option<f64>,
    /// Training options over makemore.py's (or, on a text, [`TrainOptions::text`]).
    pub batch_size: Option<usize>,
    pub learning_rate: Option<f64>,
    pub weight_decay: Option<f64>,
    pub seed: Option<i64>,
    pub device: Device,
    /// Steps of this run; negative or `None`: until stopped (the lecture's net: its 100).
    pub max_steps: Option<i64>,
    /// Measure the losses (and keep the best model) every this many steps.
    pub eval_every: Option<usize>,
    /// On a text: its windows, and the batches its losses are the mean of.
    pub block_size: Option<usize>,
    pub eval_batches: Option<usize>,
    /// The lecture's models: characters of context, add-k smoothing, the net's penalty and loss.
    pub context: Option<usize>,
    pub smoothing: Option<f64>,
    pub reg: Option<f64>,
    pub method: Option<Method>,
    /// Threads of torch's CPU ops (torch's own, or the lecture method's).
    pub threads: Option<i32>,
    /// How training's samples are drawn; the seed is the job's.
    pub sampling: Sampling,
}

impl Default for Job {
    fn default() -> Self {
        Job {
            words: None,
            text: None,
            tokenizer: None,
            kind: None,
            output: Output::dir("out"),
            resume: false,
            overwrite: false,
            n_layer: None,
            n_head: None,
            n_embd: None,
            n_embd2: None,
            dropout: None,
            batch_size: None,
            learning_rate: None,
            weight_decay: None,
            seed: None,
            device: Device::Cpu,
            max_steps: None,
            eval_every: None,
            block_size: None,
            eval_batches: None,
            context: None,
            smoothing: None,
            reg: None,
            method: None,
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

impl Job {
    /// The type trained: the one asked for, else a text's or makemore.py's.
    pub fn kind(&self) -> ModelType {
        let default =
            if self.text.is_some() { TextOptions::default().kind } else { ModelType::Transformer };
        self.kind.unwrap_or(default)
    }

    /// The seed of a model of `kind`: the one asked for, else a text's, makemore.py's for its
    /// networks, or the lecture's [`crate::SEED`] for the lecture's two.
    fn seed_of(&self, kind: ModelType) -> i64 {
        let default = match (self.text.is_some(), kind.is_makemore()) {
            (true, _) => TrainOptions::text().seed,
            (false, true) => TrainOptions::default().seed,
            (false, false) => crate::SEED,
        };
        self.seed.unwrap_or(default)
    }

    /// The sizes of a network of `kind`: the flags over the type's defaults.
    pub fn config(&self, kind: ModelType) -> ModelConfig {
        let d = ModelConfig::of(kind);
        ModelConfig {
            n_layer: self.n_layer.unwrap_or(d.n_layer),
            n_head: self.n_head.unwrap_or(d.n_head),
            n_embd: self.n_embd.unwrap_or(d.n_embd),
            n_embd2: self.n_embd2.unwrap_or(d.n_embd2),
            dropout: self.dropout.unwrap_or(d.dropout),
        }
    }

    /// The training options: the flags over makemore.py's, or a text's.
    pub fn options(&self) -> TrainOptions {
        let d = if self.text.is_some() { TrainOptions::text() } else { TrainOptions::default() };
        TrainOptions {
            batch_size: self.batch_size.unwrap_or(d.batch_size),
            learning_rate: self.learning_rate.unwrap_or(d.learning_rate),
            weight_decay: self.weight_decay.unwrap_or(d.weight_decay),
            seed: self.seed_of(self.kind()),
            device: self.device,
        }
    }

    fn words_file(&self) -> PathBuf {
        self.words.clone().unwrap_or("names.txt".into())
    }

    fn sampling(&self, seed: i64) -> Result<Sampling> {
        let sampling = Sampling { seed, ..self.sampling };
        sampling.check()?;
        Ok(sampling)
    }

    /// makemore.py's `--sample-only`: lines of samples of the model in `output` (makemore.py's
    /// `model.pt` where there is no `model.mm`): 50 names grouped as in train / in test / new
    /// when the words are given, or `chars` characters of a model of a text.
    ///
    /// # Errors
    /// As [`Output::load`], [`Output::makemore_py`] and [`Checkpoint::samples`].
    pub fn samples(&self, chars: Option<usize>, prefix: &str) -> Result<String> {
        let text = self.text.is_some();
        let pt = match text {
            false => self.output.makemore_py(
                self.kind(),
                &self.config(self.kind()),
                &self.words_file(),
            )?,
            true => None,
        };
        let checkpoint = match pt {
            Some(model) => Checkpoint { model, state: None },
            None => self.output.load(Device::Cpu, Expect { kind: self.kind, text: Some(text) })?,
        };
        let saved = checkpoint.model.kind();
        let seed = self.seed_of(saved);
        let words = self.words.as_deref().map(read_words).transpose()?;
        let n = if text { chars } else { Some(50) };
        let split_seed = saved.is_makemore().then_some(seed);
        checkpoint.samples(&self.sampling(seed)?, n, prefix, words.as_deref(), split_seed)
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
        let sampling = self.sampling(opts.seed)?;
        self.output.check_writable(self.resume, self.overwrite)?;
        if !kind.is_makemore() && self.text.is_none() {
            return self.lecture(kind, opts.seed).map(Start::Lecture);
        }
        if let Some(threads) = self.threads {
            tch::set_num_threads(threads);
        }
        // the Trainer says why a model of words is not one of a text, and the other way round
        let expect = Expect { kind: self.kind, text: None };
        let mut read_pt = None;
        let (trainer, input, run) = match &self.text {
            Some(file) => {
                let text = read_text(file)?;
                let eval_batches = self.eval_batches.unwrap_or(TextOptions::default().eval_batches);
                let tokenizer = self.tokenizer.as_ref().map(Tokenizer::load).transpose()?;
                let trainer = match self.resume {
                    true => {
                        let checkpoint = self.output.load(opts.device, expect)?;
                        let kept = checkpoint.model.vocab().tokenizer().map(|(_, model)| model);
                        let given = tokenizer.map(Vocab::from_tokenizer).transpose()?;
                        if given.as_ref().is_some_and(|v| v.tokenizer().map(|(_, m)| m) != kept) {
                            return Err(Error::param(
                                "--tokenizer",
                                self.tokenizer
                                    .as_ref()
                                    .map_or(String::new(), |p| p.display().to_string()),
                                "the model was trained with another tokenizer (or none)",
                                "resume without --tokenizer: the model keeps its own",
                            ));
                        }
                        Trainer::resume_text(checkpoint, &text, &opts, eval_batches)?
                    }
                    false => {
                        let block = self.block_size.unwrap_or(TextOptions::default().block_size);
                        let cfg = self.config(kind);
                        let vocab = match tokenizer {
                            Some(t) => Vocab::from_tokenizer(t)?,
                            None => Vocab::from_text(&text)?, // only for a new model: a resumed one keeps its own
                        };
                        Trainer::on_text_with(&text, vocab, kind, &cfg, &opts, block, eval_batches)?
                    }
                };
                let every = self.eval_every.unwrap_or(RunOptions::default().eval_every);
                (trainer, file.clone(), RunOptions { sample_every: every, ..RunOptions::default() })
            }
            None => {
                let file = self.words_file();
                let words = read_words(&file)?;
                let cfg = self.config(kind);
                let pt = match self.resume {
                    true => self.output.makemore_py(kind, &cfg, &file)?,
                    false => None,
                };
                let mut trainer = match (self.resume, &pt) {
                    (true, None) => {
                        Trainer::resume(self.output.load(opts.device, expect)?, &words, &opts)?
                    }
                    _ => Trainer::new(&words, kind, &cfg, &opts)?,
                };
                if let (Some(model), Some(dir)) = (&pt, self.output.log_dir()) {
                    trainer.set_weights(model)?; // then a fresh optimizer and step 0, as makemore.py resumes
                    read_pt = Some(dir.join(MAKEMORE_PY_FILE));
                }
                (trainer, file, RunOptions::default())
            }
        };
        let name = input.file_name().unwrap_or_default().to_string_lossy();
        let run = RunOptions {
            steps: self.max_steps.and_then(|n| usize::try_from(n).ok()),
            eval_every: self.eval_every.unwrap_or(run.eval_every),
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
            return Err(Error::param(
                "--resume",
                kind,
                "the lecture's models train in one go",
                hint,
            ));
        }
        let d = TrainConfig::default();
        let steps = self.max_steps.unwrap_or(d.steps as i64);
        let steps = usize::try_from(steps).map_err(|_| {
            let why = "the lecture's net trains a given number of steps, not until Ctrl-C";
            Error::param("steps", steps, why, "pass a number >= 0, e.g. the lecture's 100")
        })?;
        let method = self.method.unwrap_or(d.method);
        let lr = self.learning_rate.unwrap_or(d.lr);
        let config = TrainConfig { steps, lr, reg: self.reg.unwrap_or(d.reg), method };
        if let Some(threads) = self.threads.or(method.threads()) {
            tch::set_num_threads(threads);
        }
        Ok(Lecture {
            kind,
            words: read_words(self.words_file())?,
            config,
            context: self.context.unwrap_or(CountModel::CONTEXT),
            smoothing: self.smoothing.unwrap_or(CountModel::SMOOTHING),
            seed,
            output: self.output.clone(),
        })
    }
}

/// `makemore sample`: lines of `n` samples of the model in `from` (names grouped as in train /
/// in test / new when `words` are given), or, with no model, of a count model of `context`
/// characters and add-`smoothing` counts made from the words on the spot.
///
/// # Errors
/// [`Error::Param`] for `context` or `smoothing` with a saved model (it has its own); as
/// [`Output::load`], [`CountModel::fit`] and [`Checkpoint::samples`].
pub fn samples(
    from: Option<&Output>,
    words: Option<&[String]>,
    context: Option<usize>,
    smoothing: Option<f64>,
    sampling: &Sampling,
    n: Option<usize>,
    prefix: &str,
) -> Result<String> {
    sampling.check()?;
    let checkpoint = match from {
        Some(_) if context.is_some() || smoothing.is_some() => {
            let why = "they make a count model from --input alone; a saved model has its own";
            return Err(Error::param("--smoothing and --context", "given", why, "leave them out"));
        }
        Some(out) => out.load(Device::Cpu, Expect::default())?,
        None => {
            let words = words.unwrap_or_default();
            let (context, smoothing) = (
                context.unwrap_or(CountModel::CONTEXT),
                smoothing.unwrap_or(CountModel::SMOOTHING),
            );
            let model = CountModel::fit(words, &Vocab::from_words(words)?, context, smoothing)?;
            return Checkpoint { model: model.into(), state: None }
                .samples(sampling, n, prefix, None, None);
        }
    };
    checkpoint.samples(sampling, n, prefix, words, None)
}

/// `makemore eval`: the mean negative log likelihood per character of the words (or the text)
/// in `input` under the model saved in `from`.
///
/// # Errors
/// As [`Output::load`], [`read_words`] and [`read_text`]; [`Error::Scoring`] when the model
/// cannot score the input (a character it has never seen).
pub fn score(from: &Output, input: &Path) -> Result<f64> {
    let model = from.load(Device::Cpu, Expect::default())?.model;
    let loss = match model.vocab().is_text() {
        true => read_text(input).map_err(Error::from).map(|text| text_nll(&model, &text)),
        false => read_words(input).map(|words| nll(&model, &words)),
    }?;
    loss.map_err(|e| Error::Scoring {
        input: input.to_path_buf(),
        model: from.model_path().into(),
        cause: Box::new(e),
    })
}
