//! Model files: a round trip gives the same model; no damaged, foreign or missing file loads,
//! and each says why; a failed save leaves nothing behind. Every case of model files is here.

use std::path::Path;

use makemore::prelude::*;
use makemore::{Error, Result};

mod common;
use common::{assert_hint, listing, words as names};

#[test]
fn counts_round_trip_gives_the_same_loss_and_names() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let words = names();
    let vocab = Vocab::from_words(&words)?;
    for (context, smoothing) in [(1, 1.0), (2, 0.5)] {
        let model = CountModel::fit(&words, &vocab, context, smoothing)?;
        let path = dir.path().join(format!("counts{context}.mm"));
        Model::from(CountModel::fit(&words, &vocab, context, smoothing)?).save(&path)?;
        let loaded = Model::load(&path)?;
        let Model::Counts(loaded) = loaded else {
            panic!("saved a count model, loaded {loaded:?}")
        };
        assert_eq!(loaded.vocab(), &vocab);
        assert_eq!(loaded.context(), context);
        assert_eq!(loaded.smoothing(), smoothing);
        assert!(loaded.counts().equal(model.counts()));
        assert_eq!(nll(&loaded, &words)?, nll(&model, &words)?);
        assert_eq!(sample(&loaded, 10, SEED)?, sample(&model, 10, SEED)?);
    }
    Ok(())
}

#[test]
fn neural_round_trip_gives_the_same_loss_and_names() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let words = names();
    let vocab = Vocab::from_words(&words)?;
    let data = Dataset::new(&words, &vocab, 1)?;
    let mut model = NeuralModel::new(&vocab, 1, SEED)?;
    let cfg = TrainConfig { steps: 5, method: Method::Counts, ..TrainConfig::default() };
    model.train(&data, &cfg)?;
    let in_memory = nll(&model, &words)?;
    let names = sample(&model, 10, SEED)?;
    let path = dir.path().join("neural.mm");
    Model::from(model).save(&path)?;
    let loaded = Model::load(&path)?;
    assert_eq!(loaded.kind(), ModelType::Neural);
    assert_eq!(nll(&loaded, &words)?, in_memory);
    assert_eq!(sample(&loaded, 10, SEED)?, names);
    Ok(())
}

#[test]
fn neural_weights_survive_exactly() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let words: Vec<String> = ["Émile", "北京", "a😀b"].map(String::from).to_vec();
    let vocab = Vocab::from_words(&words)?;
    let model = NeuralModel::new(&vocab, 2, 42)?;
    let in_memory = nll(&model, &words)?;
    let path = dir.path().join("unicode.mm");
    let w = model.w().detach();
    Model::from(model).save(&path)?;
    let Model::Neural(loaded) = Model::load(&path)? else { panic!("saved a neural model") };
    assert!(loaded.w().equal(&w));
    assert_eq!(loaded.vocab(), &vocab);
    assert_eq!(loaded.context(), 2);
    assert_eq!(nll(&loaded, &words)?, in_memory);
    Ok(())
}

/// A small model file, to damage.
fn small_model(dir: &Path) -> Result<Vec<u8>> {
    let words: Vec<String> = ["ab", "ba", "é"].map(String::from).to_vec();
    let model = CountModel::fit(&words, &Vocab::from_words(&words)?, 1, 1.0)?;
    let path = dir.join("small.mm");
    Model::from(model).save(&path)?;
    Ok(std::fs::read(&path).unwrap())
}

#[test]
fn no_truncation_of_a_model_file_loads() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let bytes = small_model(dir.path())?;
    let path = dir.path().join("cut.mm");
    for len in 0..bytes.len() {
        std::fs::write(&path, &bytes[..len]).unwrap();
        let e = Model::load(&path).unwrap_err();
        assert!(matches!(e, Error::Model { .. }), "cut at {len}: {e:?}");
    }
    println!("{} truncations, all refused", bytes.len());
    Ok(())
}

#[test]
fn no_flipped_byte_in_a_model_file_loads() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let bytes = small_model(dir.path())?;
    let path = dir.path().join("flipped.mm");
    let mut tried = 0;
    for at in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[at] ^= mask;
            std::fs::write(&path, &bad).unwrap();
            let e = Model::load(&path).unwrap_err();
            assert!(matches!(e, Error::Model { .. }), "byte {at} ^ {mask:#x}: {e:?}");
            tried += 1;
        }
    }
    println!("{tried} flipped bytes, all refused");
    Ok(())
}

#[test]
fn saving_replaces_an_old_file_whole() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.mm");
    std::fs::write(&path, vec![b'x'; 100_000]).unwrap();
    small_model(dir.path())?;
    let words: Vec<String> = ["ab", "ba", "é"].map(String::from).to_vec();
    let model = CountModel::fit(&words, &Vocab::from_words(&words)?, 1, 1.0)?;
    Model::from(model).save(&path)?;
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(dir.path().join("small.mm")).unwrap());
    assert_eq!(listing(dir.path()), ["model.mm", "small.mm"]);
    Ok(())
}

#[test]
fn a_file_that_is_not_a_model_says_so() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("names.txt");
    std::fs::write(&text, b"emma\nolivia\n").unwrap();
    let e = Model::load(&text).unwrap_err();
    assert!(matches!(e, Error::Model { .. }), "{e:?}");
    assert_hint(&e);
    // A safetensors file, but not ours; one of ours from another format version.
    let other = dir.path().join("other.safetensors");
    Tensor::write_safetensors(&[("weight", Tensor::from_slice(&[1.0f32, 2.0]))], &other)?;
    let e = Model::load(&other).unwrap_err();
    assert!(e.to_string().contains("not a makemore model"), "{e}");
    let old = dir.path().join("old.mm");
    let marker = Tensor::from_slice(&[0x6d61_6b65_6d6f_7265i64, 1]);
    Tensor::write_safetensors(&[("makemore", marker)], &old)?;
    let e = Model::load(&old).unwrap_err();
    assert!(e.to_string().contains("older makemore (format version 1"), "{e}");
    // A missing model file is an I/O error, and so is a directory.
    let e = Model::load(dir.path().join("missing.mm")).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("train and save a model"), "{e}");
    let e = Model::load(dir.path()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("directory"), "{e}");
    Ok(())
}

#[test]
fn a_model_from_another_vocabulary_cannot_score_these_words() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    small_model(dir.path())?; // vocabulary of ab, ba, é
    let model = Model::load(dir.path().join("small.mm"))?;
    let e = nll(&model, &["zoë".to_string()]).unwrap_err();
    assert!(matches!(e, Error::UnknownChar { ch: 'z', .. }), "{e:?}");
    assert_hint(&e);
    Ok(())
}

#[test]
fn saving_into_a_missing_folder_leaves_nothing_behind() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let words: Vec<String> = ["ab", "ba"].map(String::from).to_vec();
    let model = Model::from(CountModel::fit(&words, &Vocab::from_words(&words)?, 1, 1.0)?);
    let e = model.save(dir.path().join("missing/model.mm")).unwrap_err();
    assert!(matches!(e, Error::Io { action: "write", .. }), "{e:?}");
    assert!(e.to_string().contains("does not exist"), "{e}");
    assert_hint(&e);
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
    // A path that is a folder: the rename fails, and the temporary file is removed.
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    let e = model.save(dir.path().join("taken")).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert_eq!(listing(dir.path()), ["taken"]);
    assert!(listing(&dir.path().join("taken")).is_empty());
    Ok(())
}

/// Model files of format version 3, which stored the type as its position in the list of types,
/// one per type and one of a text, written by the last binary that wrote them (commit d98656c,
/// `tests/fixtures/model_v3/make.sh`): each loads as its type and samples what that binary
/// sampled from it, and saved again it names its type.
#[test]
fn version_3_files_still_load_and_sample_as_they_did() -> Result<()> {
    let seen = old_files_load_and_sample_as_they_did("model_v3")?;
    assert_eq!(seen.len(), 10, "one file for each of version 3's ten types: {seen:?}");
    Ok(())
}

/// Model files of format version 4, which stored makemore.py's four sizes as one tensor and
/// dropout beside them, one per type, a trigram, a gpt with dropout, and two of a text (of
/// characters, of byte-pair tokens), written by the last binary that wrote them (commit
/// 7ebe034, `tests/fixtures/model_v4/make.sh`): each loads and samples as it did, and saved
/// again it holds its hyperparameters by name.
#[test]
fn version_4_files_still_load_and_sample_as_they_did() -> Result<()> {
    let seen = old_files_load_and_sample_as_they_did("model_v4")?;
    assert_eq!(seen.len(), 10, "one file for each of version 4's ten types: {seen:?}");
    Ok(())
}

/// Loads each model file of `tests/fixtures/{folder}` named in its `samples.txt`, checks it
/// samples the names (or text) written there with seed 7, saves it again and loads that back
/// the same: the types seen.
fn old_files_load_and_sample_as_they_did(folder: &str) -> Result<Vec<ModelType>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(folder);
    let samples = std::fs::read_to_string(dir.join("samples.txt")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    let sampling = Sampling { seed: 7, ..Sampling::default() };
    for line in samples.lines() {
        let (file, want) = line.split_once(": ").unwrap();
        let model = Model::load(dir.join(format!("{file}.mm")))?;
        let kind = file.split('-').next().unwrap();
        assert_eq!(model.kind().name(), kind, "{file}");
        let sample = |model: &Model| -> Result<String> {
            Ok(match model.vocab().is_text() {
                true => sampling.generate(model, 40, "")?.replace('\n', "|") + "|",
                false => {
                    let names = sampling.sample_from(model, 5, "")?;
                    names.iter().map(|n| model.vocab().strip(n).to_string() + " ").collect()
                }
            })
        };
        assert_eq!(sample(&model)?, want, "{file}");
        // saved now, the file names its type and its hyperparameters, and reads back the same
        let path = tmp.path().join(format!("{file}.mm"));
        model.save(&path)?;
        let tensors = Tensor::read_safetensors(&path)?;
        let named = &tensors.iter().find(|(n, _)| n == "type").unwrap().1;
        assert_eq!(Vec::<u8>::try_from(named).unwrap(), kind.as_bytes(), "{file}");
        for (name, value) in model.config().iter() {
            let t = &tensors.iter().find(|(n, _)| *n == format!("config.{name}")).unwrap().1;
            assert_eq!(t.double_value(&[0]), value, "{file}: {name}");
        }
        let again = Model::load(&path)?;
        assert_eq!((again.kind(), again.config()), (model.kind(), model.config()), "{file}");
        assert_eq!(sample(&again)?, want, "{file}");
        seen.push(model.kind());
    }
    seen.sort_by_key(|k| k.name());
    seen.dedup();
    Ok(seen)
}
