//! The GPT-2 lecture's model against its code (build-nanogpt at 9ac321e, "gpt-2
//! initialization", run by tests/reference/gpt2.py on the venv's torch): the same parameter
//! count, and from `manual_seed(1337)` the same loss at every step of its loop (AdamW at 3e-4 on
//! DataLoaderLite's batches of tiny Shakespeare in GPT-2 tokens), to the last digit Python
//! prints: a small config's 10 steps, and the lecture's 124M for `make test`'s 5 steps (50 with
//! MAKEMORE_GPT2_FULL=1, against the committed tests/reference/gpt2_full.json).

use makemore::bpe::{AllowedSpecial, Tokenizer};
use makemore::gpt2::{Config, DataLoaderLite, Gpt2};
use makemore::prelude::*;
use makemore::Result;

mod common;

const SHAKESPEARE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/tinyshakespeare.txt");

/// target/gpt2_reference.json, written by `make reference` (tests/reference/gpt2.py).
fn gpt2_reference() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/target/gpt2_reference.json");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e} (hint: run `make reference`)"));
    serde_json::from_str(&text).expect("gpt2_reference.json is valid JSON")
}

/// The sizes of a reference's `config` (GPTConfig's fields).
fn config_of(c: &serde_json::Value) -> Config {
    let size = |k: &str| c[k].as_u64().unwrap() as usize;
    Config {
        block_size: size("block_size"),
        vocab_size: size("vocab_size"),
        n_layer: size("n_layer"),
        n_head: size("n_head"),
        n_embd: size("n_embd"),
    }
}

/// The file's main loop at `config` for `steps` steps: the losses as Python prints them.
fn lecture_loop(config: &Config, steps: usize) -> Result<(Vec<String>, i64)> {
    let text = read_text(SHAKESPEARE)?;
    let tokens = Tokenizer::gpt2()?.encode(&text, &AllowedSpecial::NoneRaise)?;
    let mut loader = DataLoaderLite::new(&tokens, 4, 32)?;
    assert_eq!((loader.len(), loader.batches_per_epoch()), (338025, 2640)); // the lecture's prints
    let model = with_torch_seed(1337, || Gpt2::new(config))?; // torch.manual_seed(1337); GPT(config)
    let mut optimizer = AdamW::new(&model.parameters(), 3e-4)?;
    let mut losses = Vec::new();
    for _ in 0..steps {
        let (x, y) = loader.next_batch()?;
        optimizer.zero_grad();
        let (_, loss) = model.loss(&x, &y)?;
        loss.backward();
        optimizer.step()?;
        losses.push(repr(loss.double_value(&[])));
    }
    Ok((losses, model.n_params()))
}

#[test]
fn the_lectures_loop_gives_its_losses_at_every_step() -> Result<()> {
    let r = &gpt2_reference()["small"];
    let config = config_of(&r["config"]);
    let want: Vec<String> = common::strings(&r["losses"]);
    let (got, n_params) = lecture_loop(&config, want.len())?;
    assert_eq!(n_params, r["n_params"].as_i64().unwrap());
    assert_eq!(got, want);
    Ok(())
}

#[test]
fn gpt2_124m_has_the_lectures_parameter_count() -> Result<()> {
    let want = gpt2_reference()["gpt2"]["n_params"].as_i64().unwrap();
    // under the seed's lock: the model draws from torch's generator, which the other tests seed
    let model = with_torch_seed(0, || Gpt2::new(&Config::gpt2()))?;
    assert_eq!(model.n_params(), want); // 124,439,808
    let names: Vec<String> = model.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names[..3],
        ["transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.weight"]
    );
    assert!(!names.iter().any(|n| n == "lm_head.weight"), "the tied weight is one parameter");
    Ok(())
}

/// The lecture's 124M: its first steps (`make test`'s reference, a few seconds), or with
/// MAKEMORE_GPT2_FULL=1 its 50 (a minute), against the committed tests/reference/gpt2_full.json.
#[test]
fn gpt2_124m_gives_the_lectures_losses() -> Result<()> {
    let r = match std::env::var_os("MAKEMORE_GPT2_FULL") {
        Some(_) => {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/gpt2_full.json");
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        }
        None => gpt2_reference(),
    };
    let want = common::strings(&r["gpt2"]["losses"]);
    let (got, _) = lecture_loop(&Config::gpt2(), want.len())?;
    assert_eq!(got, want);
    Ok(())
}

#[test]
fn bad_sizes_and_inputs_are_errors() {
    let bad = Config { n_head: 5, ..Config::gpt2() };
    assert!(Gpt2::new(&bad).unwrap_err().to_string().contains("n_head"));
    assert!(Config::named("gpt3").is_err());
    assert_eq!(Config::named("d12").unwrap().vocab_size, 50304);
    assert!(DataLoaderLite::new(&[1, 2, 3], 4, 32).is_err());
}

/// The file's generation (top-k 50 from "Hello, I'm a language model,", `manual_seed(42)`, 5 x
/// 30 tokens) on the small model made after `manual_seed(1337)`: the same ids, the same `> `
/// lines.
#[test]
fn generation_draws_the_lectures_tokens_and_lines() -> Result<()> {
    let r = &gpt2_reference();
    let config = config_of(&r["small"]["config"]);
    let enc = Tokenizer::gpt2()?;
    let prompt = enc.encode("Hello, I'm a language model,", &AllowedSpecial::NoneRaise)?;
    let rows = with_torch_seed(1337, || {
        let model = Gpt2::new(&config)?;
        manual_seed(42);
        model.generate(&prompt, 5, 30, 50)
    })?;
    let want: Vec<Vec<u32>> = serde_json::from_value(r["generate"]["ids"].clone()).unwrap();
    assert_eq!(rows, want);
    let lines: Vec<String> =
        rows.iter().map(|ids| Ok(format!("> {}", enc.decode(ids)?))).collect::<Result<_>>()?;
    assert_eq!(lines, common::strings(&r["generate"]["printed"]));
    // a prompt past the block size, or no prompt, is an error that says so
    let small = with_torch_seed(0, || Gpt2::new(&config))?;
    assert!(small.generate(&prompt, 1, 33, 50).unwrap_err().to_string().contains("block_size"));
    assert!(small.generate(&[], 1, 10, 50).is_err());
    Ok(())
}

/// A small GPT-2 for the Hugging Face layout's tests.
fn tiny() -> Result<Gpt2> {
    let config = Config { block_size: 8, vocab_size: 50, n_layer: 2, n_head: 2, n_embd: 8 };
    with_torch_seed(3, || Gpt2::new(&config))
}

/// Hugging Face's layout: written and read back the same model; OpenAI's own names (no
/// `transformer.` prefix, the masks, `lm_head` for the tied weight) read too; a folder that is
/// not one says what is missing, naming the tensor.
#[test]
fn the_hugging_face_layout_round_trips_and_reads_openais_names() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny()?;
    model.save_pretrained(dir.path())?;
    assert_eq!(common::listing(dir.path()), ["config.json", "model.safetensors"]);
    let saved = Tensor::read_safetensors(dir.path().join("model.safetensors"))?;
    let shape = |n: &str| saved.iter().find(|(k, _)| k == n).map(|(_, t)| t.size());
    assert_eq!(shape("transformer.h.0.attn.c_attn.weight"), Some(vec![8, 24])); // Conv1D: (in, out)
    assert_eq!(shape("lm_head.weight"), None); // tied to wte
    let x = Tensor::from_slice(&[1i64, 2, 3, 4]).view([1, 4]);
    let loaded = Gpt2::from_pretrained(dir.path())?;
    assert_eq!(loaded.config(), model.config());
    assert!(loaded.forward(&x)?.equal(&model.forward(&x)?));
    // OpenAI's names: no prefix, the attention masks, the tied weight as lm_head
    let openai = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("config.json"), openai.path().join("config.json")).unwrap();
    let mut renamed: Vec<(String, Tensor)> = saved
        .iter()
        .map(|(k, t)| {
            (
                k.replace("transformer.", "").replace("wte.weight", "lm_head.weight"),
                t.shallow_clone(),
            )
        })
        .collect();
    renamed.push(("h.0.attn.bias".into(), Tensor::ones([1, 1, 8, 8], (Kind::Float, Device::Cpu))));
    Tensor::write_safetensors(&renamed, openai.path().join("model.safetensors"))?;
    assert!(Gpt2::from_pretrained(openai.path())?.forward(&x)?.equal(&model.forward(&x)?));
    // not a model folder: each says what is wrong
    let e = Gpt2::from_pretrained(tempfile::tempdir().unwrap().path()).unwrap_err();
    assert!(e.to_string().contains("config.json"), "{e}");
    let without: Vec<_> = renamed.iter().filter(|(k, _)| k != "h.1.mlp.c_fc.bias").collect();
    let list: Vec<(&str, &Tensor)> = without.iter().map(|(k, t)| (k.as_str(), t)).collect();
    Tensor::write_safetensors(&list, openai.path().join("model.safetensors"))?;
    let e = Gpt2::from_pretrained(openai.path()).unwrap_err();
    assert!(e.to_string().contains("no `h.1.mlp.c_fc.bias`"), "{e}");
    std::fs::write(
        openai.path().join("config.json"),
        r#"{"n_positions": 8, "vocab_size": 50, "n_layer": 2, "n_head": 2, "n_embd": 16}"#,
    )
    .unwrap();
    let e = Gpt2::from_pretrained(openai.path()).unwrap_err();
    assert!(e.to_string().contains("its config.json makes"), "{e}");
    Ok(())
}

/// Commit 20's optimization (3a148e4, its classes and `get_lr` run by tests/reference/gpt2.py in
/// float32: see `optim` there) on a small model with flash attention: the two groups' lines, the
/// learning rates, and each step line's loss, lr and norm as the lecture prints them.
#[test]
fn commit_20s_optimizer_schedule_and_clipping_give_its_step_lines() -> Result<()> {
    use makemore::gpt2::{clip_grad_norm, configure_optimizers, CosineLr};
    use makemore::python::format_e;
    let r = &gpt2_reference()["optim"];
    let config = config_of(&r["config"]);
    let schedule = CosineLr { max_lr: 6e-4, min_lr: 6e-4 * 0.1, warmup_steps: 10, max_steps: 50 };
    let lrs: Vec<String> = (0..52).map(|i| repr(schedule.at(i))).collect();
    assert_eq!(lrs, common::strings(&r["lrs"]));
    let text = read_text(SHAKESPEARE)?;
    let tokens = Tokenizer::gpt2()?.encode(&text, &AllowedSpecial::NoneRaise)?;
    let mut loader = DataLoaderLite::new(&tokens, 4, 32)?;
    let mut model = with_torch_seed(1337, || Gpt2::new(&config))?;
    model.set_flash_attention(true);
    let (mut optimizer, groups) = configure_optimizers(&model, 0.1, 6e-4)?;
    let printed = common::strings(&r["printed"]);
    assert_eq!(groups.to_string().lines().collect::<Vec<_>>(), printed[..2]);
    let (mut lines, mut exact) = (Vec::new(), Vec::new());
    for step in 0..common::strings(&r["lines"]).len() {
        let (x, y) = loader.next_batch()?;
        optimizer.zero_grad();
        let (_, loss) = model.loss(&x, &y)?;
        loss.backward();
        let norm = clip_grad_norm(&model.parameters(), 1.0)?;
        let lr = schedule.at(step);
        optimizer.learning_rate = lr;
        optimizer.step()?;
        let loss = loss.double_value(&[]);
        exact.push(vec![repr(loss), repr(norm)]);
        let lr = format_e(lr, 4);
        lines.push(format!("step {step:4} | loss: {loss:.6} | lr {lr} | norm: {norm:.4}"));
    }
    assert_eq!(lines, common::strings(&r["lines"]));
    let want: Vec<Vec<String>> = serde_json::from_value(r["exact"].clone()).unwrap();
    assert_eq!(exact, want, "every loss and norm to the last digit");
    // the lecture's d12 (vocab 50,304): 50 decayed tensors, 124,354,560 parameters
    let d12 = with_torch_seed(0, || Gpt2::new(&Config::d12()))?;
    let (_, groups) = configure_optimizers(&d12, 0.1, 6e-4)?;
    assert_eq!(groups.to_string().lines().collect::<Vec<_>>(), common::strings(&r["d12_groups"]));
    Ok(())
}
