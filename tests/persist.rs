//! Saving and loading models: a round trip gives the same model, and no damaged file loads.

use std::path::Path;
use std::sync::Mutex;

use makemore::*;

/// Torch's generator is global: tests that seed it and compare draws take this lock.
static RNG: Mutex<()> = Mutex::new(());

fn names() -> Vec<String> {
    read_words(concat!(env!("CARGO_MANIFEST_DIR"), "/data/names.txt"))
        .expect("data/names.txt (hint: run `make data`)")
}

#[test]
fn counts_round_trip_gives_the_same_loss_and_names() -> Result<()> {
    let _g = RNG.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let words = names();
    let vocab = Vocab::from_words(&words)?;
    for (context, smoothing) in [(1, 1.0), (2, 0.5)] {
        let model = CountModel::fit(&words, &vocab, context, smoothing)?;
        let path = dir.path().join(format!("counts{context}.mm"));
        save_counts(&model, &path)?;
        let loaded = Model::load(&path)?;
        let Model::Counts(loaded) = loaded else {
            panic!("saved a count model, loaded {loaded:?}")
        };
        assert_eq!(loaded.vocab(), &vocab);
        assert_eq!(loaded.context(), context);
        assert_eq!(loaded.smoothing(), smoothing);
        assert!(loaded.counts.equal(&model.counts));
        assert_eq!(nll(&loaded, &words)?, nll(&model, &words)?);
        assert_eq!(sample(&loaded, 10, SEED)?, sample(&model, 10, SEED)?);
    }
    Ok(())
}

#[test]
fn neural_round_trip_gives_the_same_loss_and_names() -> Result<()> {
    let _g = RNG.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let words = names();
    let vocab = Vocab::from_words(&words)?;
    let data = Dataset::new(&words, &vocab, 1)?;
    let mut model = NeuralModel::new(&vocab, 1, SEED)?;
    let cfg = TrainConfig {
        steps: 5,
        method: Method::Counts,
        ..TrainConfig::default()
    };
    model.train(&data, &cfg)?;
    let in_memory = nll(&model, &words)?;
    let names = sample(&model, 10, SEED)?;
    let path = dir.path().join("neural.mm");
    Model::from(model).save(&path)?;
    let loaded = Model::load(&path)?;
    assert_eq!(loaded.kind(), "neural");
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
    save_neural(&model, &path)?;
    let Model::Neural(loaded) = Model::load(&path)? else {
        panic!("saved a neural model")
    };
    assert!(loaded.w.equal(&model.w));
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
    save_counts(&model, &path)?;
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
            assert!(
                matches!(e, Error::Model { .. }),
                "byte {at} ^ {mask:#x}: {e:?}"
            );
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
    save_counts(&model, &path)?;
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(dir.path().join("small.mm")).unwrap()
    );
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    files.sort();
    assert_eq!(files, ["model.mm", "small.mm"]);
    Ok(())
}
