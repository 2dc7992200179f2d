//! makemore.py's models in the crate: every type reads, learns, samples and saves through the
//! same interface; the training matches makemore.py's run on the same torch (same split, same
//! initial weights, same batches: the first 100 losses of the bigram and the MLP); a resumed run
//! is the run that never stopped.

use makemore::prelude::*;
use makemore::{Error, Result};

mod common;
use common::{floats, makemore_reference, strings, words};

/// The networks trained makemore.py's way: makemore.py's six and part 5's wavenet.
fn nets() -> impl Iterator<Item = ModelType> {
    ModelType::all().filter(|k| k.is_makemore())
}

fn small() -> (Vec<String>, Vocab) {
    let w: Vec<String> =
        ["emma", "olivia", "ava", "isabella", "sophia", "mia", "charlotte", "amelia"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let v = Vocab::from_words(&w).unwrap();
    (w, v)
}

/// Sizes small enough for a quick test.
fn tiny() -> ModelConfig {
    let sizes = [("n_layer", 2), ("n_head", 2), ("n_embd", 8), ("n_embd2", 12)];
    sizes.into_iter().fold(ModelConfig::default(), |cfg, (name, n)| cfg.with(name, n))
}

#[test]
fn every_model_is_causal_and_its_probabilities_sum_to_one() -> Result<()> {
    let (w, v) = small();
    let data = Sequences::new(&w, &v, block_size(&w))?;
    let x = data.x();
    for kind in nets() {
        let model =
            with_torch_seed(1, || Model::new(kind, &v, block_size(&w), &tiny(), Device::Cpu))?;
        let logits = model.forward(x)?;
        assert_eq!(logits.size(), [w.len() as i64, x.size()[1], v.len() as i64], "{kind}");
        // position t reads x[..=t] only: cutting the words short changes no earlier logits (what
        // lets a batch stop at its longest word)
        for t in [1, 4] {
            let cut = model.forward(&x.narrow(1, 0, t))?;
            let diff = (&cut - logits.narrow(1, 0, t)).abs().max().double_value(&[]);
            assert!(diff < 1e-5, "{kind}: position < {t} changed by {diff}");
        }
        let p = model.next_probs(&x.narrow(1, 0, 3))?;
        let sums = p.sum_dim_intlist(1, false, Kind::Float);
        assert!(sums.allclose(&sums.ones_like(), 1e-5, 1e-5, false), "{kind}");
        assert!(nll(&model, &w)?.is_finite(), "{kind}");
        let names = Sampling { temperature: 0.8, top_k: Some(5), ..Sampling::default() }
            .sample(&model, 3)?;
        let cap = model.max_len().unwrap();
        assert!(names.iter().all(|n| n.ends_with('.') || n.chars().count() == cap), "{names:?}");
    }
    Ok(())
}

/// Sampling at any temperature, with and without top-k, for every type: near 0 it is the greedy
/// name (the likeliest character each time), never empty for want of a number; high stays valid.
#[test]
fn every_temperature_samples_and_near_zero_is_greedy() -> Result<()> {
    let (w, v) = small();
    let mut models: Vec<Model> =
        vec![CountModel::fit(&w, &v, 2, 0.5)?.into(), NeuralModel::new(&v, 1, SEED)?.into()];
    for kind in nets() {
        models.push(with_torch_seed(2, || {
            Model::new(kind, &v, block_size(&w), &tiny(), Device::Cpu)
        })?);
    }
    for model in &models {
        let mut ids = vec![0i64]; // greedy, by hand: the argmax of each next_probs
        let cap = model.max_len().unwrap_or(makemore::sample::MAX_SAMPLE_LEN);
        let mut tied = false; // two likeliest characters equally likely: no single greedy name
        while ids.len() <= cap {
            let from = ids.len().saturating_sub(model.block_size());
            let x = Tensor::from_slice(&ids[from..]).view([1, -1]);
            let p = model.next_probs(&x)?;
            let top = p.topk(2, -1, true, true).0;
            tied |= top.double_value(&[0, 0]) == top.double_value(&[0, 1]);
            let next = p.argmax(-1, false).int64_value(&[0]);
            ids.push(next);
            if next == 0 {
                break;
            }
        }
        let greedy = v.decode(&ids[1..])?;
        for top_k in [None, Some(3)] {
            for temperature in [1e-6, 1e-3, 0.1, 1.0, 10.0, 100.0] {
                let names =
                    Sampling { temperature, top_k, ..Sampling::default() }.sample(model, 4)?;
                for name in &names {
                    assert!(name.chars().all(|c| v.stoi(c).is_ok()), "{}: {name:?}", model.kind());
                }
                if temperature <= 1e-3 && !tied {
                    assert!(
                        names.iter().all(|n| *n == greedy),
                        "{} at {temperature}: {names:?} vs {greedy:?}",
                        model.kind()
                    );
                }
            }
        }
    }
    Ok(())
}

#[test]
fn bad_sizes_are_errors_not_crashes() {
    let (w, v) = small();
    // under the seed's lock: a model draws from torch's generator, which other tests seed
    let new = |kind, block, cfg: ModelConfig| {
        with_torch_seed(0, || Model::new(kind, &v, block, &cfg, Device::Cpu))
    };
    let bad = |cfg: ModelConfig, kind| new(kind, block_size(&w), cfg).unwrap_err();
    let e = bad(tiny().with("n_head", 3), ModelType::Transformer);
    assert!(matches!(&e, Error::Param { name: "n_head", .. }), "{e}");
    let e = bad(tiny().with("n_embd", 0), ModelType::Mlp);
    assert!(matches!(&e, Error::Param { name: "n_embd", .. }), "{e}");
    let e = bad(tiny().with("n_embd", 1 << 15).with("n_embd2", 1 << 15), ModelType::Gru);
    assert!(e.to_string().contains("parameters") && e.to_string().contains("hint"), "{e}");
    let e = new(ModelType::Counts, 2, tiny()).unwrap_err();
    assert!(e.to_string().contains("CountModel::fit"), "{e}");
    // a word longer than a Transformer's block size
    let model = new(ModelType::Transformer, 4, tiny()).unwrap();
    let e = nll(&model, &w).unwrap_err();
    assert!(matches!(&e, Error::Param { name: "sequence length", .. }), "{e}");
    let e = Trainer::new(
        &w,
        ModelType::Mlp,
        &tiny(),
        &TrainOptions { batch_size: 0, ..Default::default() },
    );
    assert!(matches!(e, Err(Error::Param { .. })));
}

#[test]
fn every_model_file_loads_back_the_same_model() -> Result<()> {
    let (w, v) = small();
    let dir = tempfile::tempdir().unwrap();
    for kind in nets() {
        let model =
            with_torch_seed(2, || Model::new(kind, &v, block_size(&w), &tiny(), Device::Cpu))?;
        let path = dir.path().join(format!("{kind}.mm"));
        model.save(&path)?;
        let loaded = Model::load(&path)?;
        assert_eq!(
            (loaded.kind(), loaded.block_size(), loaded.config()),
            (kind, model.block_size(), model.config())
        );
        let x = Sequences::new(&w, &v, block_size(&w))?;
        assert!(loaded.forward(x.x())?.equal(&model.forward(x.x())?), "{kind}");
        assert_eq!(sample(&loaded, 5, 3)?, sample(&model, 5, 3)?);
    }
    Ok(())
}

#[test]
fn a_resumed_run_is_the_run_that_never_stopped() -> Result<()> {
    let words = words();
    let words = &words[..2000];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.mm");
    for kind in [ModelType::Mlp, ModelType::Gru] {
        let opts = TrainOptions { batch_size: 8, ..Default::default() };
        let mut straight = Trainer::new(words, kind, &tiny(), &opts)?;
        let all: Vec<f64> = (0..12).map(|_| straight.step()).collect::<Result<_>>()?;
        let mut first = Trainer::new(words, kind, &tiny(), &opts)?;
        for _ in 0..6 {
            first.step()?;
        }
        first.evaluate()?;
        first.save(&path)?;
        let mut resumed = Trainer::resume(Checkpoint::load(&path, Device::Cpu)?, words, &opts)?;
        assert_eq!(resumed.steps(), 6);
        let rest: Vec<f64> = (0..6).map(|_| resumed.step()).collect::<Result<_>>()?;
        assert_eq!(rest, all[6..], "{kind}");
        assert_eq!(resumed.split(), straight.split());
        // other words: refused
        let e =
            Trainer::resume(Checkpoint::load(&path, Device::Cpu)?, &words[1..], &opts).unwrap_err();
        assert!(e.to_string().contains("other words"), "{e}");
    }
    Ok(())
}

/// The moonshot of the model zoo: tch shares torch's generator, so with makemore.py's seed the
/// split, the initial weights and the batches are makemore.py's, and so are the losses.
#[test]
fn training_matches_makemore_py_step_for_step() -> Result<()> {
    let r = makemore_reference();
    let words = words();
    let split = Split::train_test(&words, TrainOptions::default().seed)?;
    assert_eq!(
        (split.train.len() as u64, split.test.len() as u64),
        (r["n_train"].as_u64().unwrap(), r["n_test"].as_u64().unwrap())
    );
    assert_eq!(split.test[..20], strings(&r["test_words"]));
    assert_eq!(split.train[..20], strings(&r["train_words"]));
    for (kind, name, tolerance) in
        [(ModelType::Bigram, "bigram", 1e-6), (ModelType::Mlp, "mlp", 1e-4)]
    {
        let expected = floats(&r[name]["losses"]);
        let mut trainer =
            Trainer::new(&words, kind, &ModelConfig::default(), &TrainOptions::default())?;
        assert_eq!(
            trainer.model().n_params() as u64,
            r[name]["params"].as_u64().unwrap(),
            "{name}"
        );
        let mut worst: f64 = 0.0;
        for (step, want) in expected.iter().enumerate() {
            let loss = trainer.step()?;
            worst = worst.max((loss - want).abs());
            assert!(
                (loss - want).abs() <= tolerance,
                "{name} step {step}: {loss} vs makemore.py's {want}"
            );
        }
        println!(
            "{name}: {} steps, largest difference from makemore.py {worst:.1e}",
            expected.len()
        );
    }
    Ok(())
}

/// A word list smaller than a batch (12 words, batches of 32): makemore.py's loader draws with
/// replacement, so it trains, and so do we, with its batches and its losses.
#[test]
fn fewer_words_than_a_batch_train_as_in_makemore_py() -> Result<()> {
    let r = &makemore_reference()["tiny"];
    let words = words()[..12].to_vec();
    for (kind, name, tolerance) in
        [(ModelType::Bigram, "bigram", 1e-6), (ModelType::Mlp, "mlp", 1e-4)]
    {
        let opts = TrainOptions::default();
        assert!(opts.batch_size > 12);
        let mut trainer = Trainer::new(&words, kind, &ModelConfig::default(), &opts)?;
        assert_eq!(trainer.split().unwrap().train.len() as u64, r["n_train"].as_u64().unwrap());
        for (step, want) in floats(&r[name]).iter().enumerate() {
            let loss = trainer.step()?;
            assert!((loss - want).abs() <= tolerance, "{name} step {step}: {loss} vs {want}");
        }
    }
    Ok(())
}

/// makemore.py's work dirs: its own `model.pt` (written by makemore.py in `make reference`)
/// reads as the same network: the same loss on the same words, for all six types.
#[test]
fn makemore_py_model_pt_reads_as_the_same_network() -> Result<()> {
    let r = &makemore_reference()["pt"];
    let c = &r["config"];
    let size = |k: &str| c[k].as_u64().unwrap() as f64;
    let names = ["n_layer", "n_head", "n_embd", "n_embd2"];
    let cfg = names.into_iter().fold(ModelConfig::default(), |cfg, n| cfg.with(n, size(n)));
    let words = words();
    let vocab = Vocab::from_words(&words)?;
    let dir = std::path::PathBuf::from(r["dir"].as_str().unwrap());
    for kind in nets().filter(|&k| !matches!(k, ModelType::Wavenet | ModelType::Gpt)) {
        // (part 5's wavenet and the GPT lecture's gpt are not makemore.py's: no model.pt)
        let path = dir.join(format!("{kind}.pt"));
        let model = Model::from_makemore_py(&path, kind, &cfg, &vocab, block_size(&words))?;
        let first = strings(&r[kind.name()]["words"]);
        let data = Sequences::new(&first, &vocab, block_size(&words))?;
        let loss = cross_entropy(&model.forward(data.x())?, data.y())?.double_value(&[]);
        let want = r[kind.name()]["loss"].as_f64().unwrap();
        assert!((loss - want).abs() < 1e-5, "{kind}: {loss} vs makemore.py's {want}");
        // read as another type, or with other sizes: one line that says so
        let other = if kind == ModelType::Mlp { ModelType::Bow } else { ModelType::Mlp };
        let e =
            Model::from_makemore_py(&path, other, &cfg, &vocab, block_size(&words)).unwrap_err();
        assert!(e.to_string().contains("hint: give the --type"), "{e}");
    }
    let not_pt = dir.join("../reference.json");
    let e = Model::from_makemore_py(&not_pt, ModelType::Mlp, &cfg, &vocab, 16).unwrap_err();
    assert!(e.to_string().contains("not a file of torch.save"), "{e}");
    Ok(())
}

/// Part 5's WaveNet in the zoo is the lecture's net: with the same weights, its training loss on
/// a batch of words is the lecture's `Sequential` (`makemore::handmade`) on those words' examples,
/// BatchNorm on the batch's statistics, and its running statistics move as the lecture's do.
/// Evaluation and sampling use those running statistics, and a model file keeps them.
#[test]
fn wavenet_is_part_5s_net_and_keeps_its_running_statistics() -> Result<()> {
    use makemore::handmade::layers::{
        BatchNorm1d, Embedding, FlattenConsecutive, Layer, Linear, Sequential, Tanh,
    };
    let words = words();
    let cfg = ModelConfig::of(ModelType::Wavenet);
    let opts = TrainOptions { batch_size: 8, ..Default::default() };
    let mut t = Trainer::new(&words, ModelType::Wavenet, &cfg, &opts)?;
    assert_eq!(t.model().n_params(), 76_579); // the lecture's count, n_embd 24, n_hidden 128
                                              // the lecture's layers with the zoo model's weights
    let p: Vec<Tensor> = t.model().parameters().into_iter().map(|(_, p)| p.detach()).collect();
    let mut layers: Vec<Box<dyn Layer>> =
        vec![Box::new(Embedding { weight: p[0].shallow_clone(), out: None })];
    for level in 0..3 {
        layers.push(Box::new(FlattenConsecutive::new(2)));
        let weight = p[1 + 3 * level].shallow_clone();
        layers.push(Box::new(Linear { weight, bias: None, out: None }));
        let mut bn = BatchNorm1d::new(128);
        (bn.gamma, bn.beta) = (p[2 + 3 * level].shallow_clone(), p[3 + 3 * level].shallow_clone());
        layers.push(Box::new(bn));
        layers.push(Box::new(Tanh::default()));
    }
    layers.push(Box::new(Linear {
        weight: p[10].shallow_clone(),
        bias: Some(p[11].shallow_clone()),
        out: None,
    }));
    let mut lecture = Sequential::new(layers);
    let batch = &words[..8];
    let (xs, ys) = contexts(batch, t.model().vocab(), 8)?;
    let want = cross_entropy(&lecture.forward(&xs)?, &ys)?.double_value(&[]);
    let s = Sequences::new(batch, t.model().vocab(), block_size(&words))?;
    let got = t.model().loss(s.x(), s.y())?.double_value(&[]);
    assert!((got - want).abs() < 1e-5, "zoo {got}, lecture {want}");
    // one step of each moved the running statistics alike: (128,) here, (1, 1, 128) there
    let zoo = t.model().buffers();
    assert_eq!(zoo.len(), 6, "a running mean and variance per level");
    for ((name, a), b) in zoo.iter().zip(lecture.buffers()) {
        assert!(a.allclose(&b.view([-1]), 1e-5, 1e-6, false), "{name}");
    }
    // training moves them; forward (evaluation, sampling) reads them
    let before: Vec<Tensor> = zoo.iter().map(|(_, b)| b.copy()).collect();
    for _ in 0..3 {
        t.step()?;
    }
    let after = t.model().buffers();
    assert!(after.iter().zip(&before).all(|((_, a), b)| !a.equal(b)), "running statistics stayed");
    let x = Sequences::new(&words[..40], t.model().vocab(), block_size(&words))?;
    let all = t.model().forward(x.x())?;
    let one = t.model().forward(&x.x().narrow(0, 3, 1))?;
    assert!(
        one.allclose(&all.narrow(0, 3, 1), 1e-5, 1e-6, false),
        "eval mode depends on the batch"
    );
    // a model file keeps them
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wavenet.mm");
    t.save(&path)?;
    let loaded = Checkpoint::load(&path, Device::Cpu)?.model;
    for ((n, a), (m, b)) in loaded.buffers().iter().zip(&t.model().buffers()) {
        assert!(n == m && a.equal(b), "{n}");
    }
    assert!(loaded.forward(x.x())?.equal(&all));
    Ok(())
}
