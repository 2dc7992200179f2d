//! The GPT-2 lecture's last code against ours (build-nanogpt's `fineweb.py`, `hellaswag.py` and
//! the final `train_gpt2.py`, run by tests/reference/gpt2_final.py on the venv's torch): the
//! shards' bytes, HellaSwag's rendered rows, and the training loop's lines and log (validation
//! loss, HellaSwag accuracy, samples, every step's loss, lr and norm as printed) at a small size,
//! in float32 and under bfloat16 autocast; a run resumed from a checkpoint prints what the
//! whole run printed.

use std::path::{Path, PathBuf};

use makemore::bpe::Tokenizer;
use makemore::gpt2::{hellaswag, shards, Config, Gpt2, Setup, Trainer};
use makemore::prelude::*;
use makemore::Result;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// target/gpt2_final_reference.json, written by `make reference`.
fn reference() -> serde_json::Value {
    let path = format!("{ROOT}/target/gpt2_final_reference.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e} (hint: run `make reference`)"));
    serde_json::from_str(&text).expect("valid JSON")
}

/// Tiny Shakespeare's documents as the reference cuts them: at blank lines.
fn documents() -> Vec<String> {
    let text = read_text(format!("{ROOT}/data/tinyshakespeare.txt")).unwrap();
    text.split("\n\n").filter(|d| !d.is_empty()).map(str::to_string).collect()
}

/// Our shards of tiny Shakespeare, 100,000 tokens each, in a folder of their own.
fn our_shards() -> Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shards");
    shards::write(documents().into_iter(), &out, shards::NAME, 100_000, 2, |_| {})?;
    Ok((dir, out))
}

/// The reference run's constants: a 2-layer GPT-2 at B=4, T=32, 2 micro-steps a step.
fn setup(autocast: bool, steps: usize, eval_every: usize) -> Setup {
    Setup {
        b: 4,
        t: 32,
        total_batch_size: 256,
        warmup_steps: 5,
        max_steps: steps,
        eval_every,
        val_steps: 3,
        checkpoint_every: 10,
        autocast,
        ..Setup::lecture()
    }
}

const SMALL: Config =
    Config { block_size: 64, vocab_size: 50304, n_layer: 2, n_head: 4, n_embd: 64 };

/// Printed lines as compared: a step line up to its norm (its time is the machine's).
fn untimed(lines: &[String]) -> Vec<String> {
    let text = lines.join("\n");
    text.lines().map(|l| l.split(" | dt:").next().unwrap().to_string()).collect()
}

fn run(trainer: &mut Trainer, mut lines: Vec<String>) -> Result<Vec<String>> {
    while !trainer.done() {
        lines.extend(trainer.step()?);
    }
    Ok(untimed(&lines))
}

#[test]
fn shards_are_fineweb_pys_bytes() -> Result<()> {
    let r = reference();
    let (_dir, ours) = our_shards()?;
    let files = r["shards"]["files"].as_array().unwrap();
    let theirs = format!("{ROOT}/target/gpt2_final/edu_fineweb10B");
    for f in files {
        let name = f["name"].as_str().unwrap();
        let bytes = std::fs::read(ours.join(name)).unwrap();
        assert_eq!(bytes, std::fs::read(Path::new(&theirs).join(name)).unwrap(), "{name}");
        let tokens = shards::read_npy(&ours.join(name))?;
        assert_eq!(tokens.len() as u64, f["tokens"].as_u64().unwrap());
        assert!(name.contains("val") == name.ends_with("_000000.npy"));
    }
    assert_eq!(std::fs::read_dir(&ours).unwrap().count(), files.len());
    Ok(())
}

#[test]
fn hellaswag_renders_as_hellaswag_py() -> Result<()> {
    let r = reference();
    let examples = hellaswag::read_examples(Path::new(&format!(
        "{ROOT}/tests/fixtures/hellaswag_mini.jsonl"
    )))?;
    let enc = Tokenizer::gpt2()?;
    let theirs = r["hellaswag"].as_array().unwrap();
    assert_eq!(examples.len(), theirs.len());
    for (example, t) in examples.iter().zip(theirs) {
        let (tokens, mask) = hellaswag::render_example(example, &enc)?;
        let rows = |x: &Tensor| Vec::<Vec<i64>>::try_from(x).unwrap();
        let json =
            |v: &serde_json::Value| serde_json::from_value::<Vec<Vec<i64>>>(v.clone()).unwrap();
        assert_eq!(rows(&tokens), json(&t["tokens"]));
        assert_eq!(rows(&mask), json(&t["mask"]));
        assert_eq!(example.label as u64, t["label"].as_u64().unwrap());
    }
    Ok(())
}

/// The final loop at the reference's size, from `manual_seed(1337)`, in `variant`.
fn final_loop(variant: &str) -> Result<()> {
    let r = &reference()[variant];
    let (dir, data) = our_shards()?;
    let log = dir.path().join("log");
    let hella = format!("{ROOT}/tests/fixtures/hellaswag_mini.jsonl");
    let steps = reference()["steps"].as_u64().unwrap() as usize;
    let every = reference()["eval_every"].as_u64().unwrap() as usize;
    let model = with_torch_seed(1337, || Gpt2::new(&SMALL))?;
    let (mut trainer, lines) = Trainer::new(
        model,
        &data,
        &log,
        Some(Path::new(&hella)),
        setup(variant == "bf16", steps, every),
    )?;
    let theirs: Vec<String> = serde_json::from_value(r["printed"].clone()).unwrap();
    assert_eq!(run(&mut trainer, lines)?, theirs);
    let log_lines: Vec<String> = serde_json::from_value(r["log"].clone()).unwrap();
    let ours = std::fs::read_to_string(log.join("log.txt")).unwrap();
    assert_eq!(ours.lines().collect::<Vec<_>>(), log_lines);
    for name in r["checkpoints"].as_array().unwrap() {
        let name = name.as_str().unwrap().trim_end_matches(".pt");
        assert!(log.join(name).join("model.safetensors").is_file(), "{name}");
    }
    // resumed from its first checkpoint, the run prints the same lines from there on
    let first = r["checkpoints"][0].as_str().unwrap().trim_end_matches(".pt");
    let at: usize = first.trim_start_matches("model_").parse().unwrap();
    let (mut resumed, _) = Trainer::resume(
        &log.join(first),
        &data,
        &log,
        Some(Path::new(&hella)),
        setup(variant == "bf16", steps, every),
        Device::Cpu,
    )?;
    assert_eq!(resumed.next_step(), at);
    let after = run(&mut resumed, Vec::new())?;
    let from = theirs.iter().position(|l| l.starts_with(&format!("step {at:5}"))).unwrap();
    assert_eq!(after, theirs[from..]);
    let again = std::fs::read_to_string(log.join("log.txt")).unwrap();
    assert_eq!(again.lines().collect::<Vec<_>>(), log_lines);
    Ok(())
}

#[test]
fn the_final_loop_prints_the_lectures_lines_in_float32() -> Result<()> {
    final_loop("fp32")
}

#[test]
fn the_final_loop_prints_the_lectures_lines_under_bfloat16_autocast() -> Result<()> {
    final_loop("bf16")
}

#[test]
fn bad_data_is_one_clear_error() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let empty =
        DataLoaderLite::from_shards(dir.path(), 4, 32, 0, 1, "train").unwrap_err().to_string();
    assert!(empty.contains("no train shard") && empty.contains("makemore gpt2 prepare"), "{empty}");
    let bad = dir.path().join("x_train_000001.npy");
    std::fs::write(&bad, b"not numpy").unwrap();
    let e = DataLoaderLite::from_shards(dir.path(), 4, 32, 0, 1, "train").unwrap_err().to_string();
    assert!(e.contains("not a .npy file"), "{e}");
    let e = Setup { total_batch_size: 300, ..setup(false, 1, 1) }
        .grad_accum_steps(1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("300") && e.contains("multiple of 128"), "{e}");
    let jsonl = dir.path().join("h.jsonl");
    std::fs::write(&jsonl, "{\"ctx\": \"a\", \"label\": 0}\n").unwrap();
    let e = hellaswag::read_examples(&jsonl).unwrap_err().to_string();
    assert!(e.contains("line 1") && e.contains("endings"), "{e}");
    let e = shards::read_documents(&jsonl).unwrap_err().to_string();
    assert!(e.contains("line 1") && e.contains("\"text\""), "{e}");
    Ok(())
}

use makemore::gpt2::DataLoaderLite;

#[test]
fn a_long_document_spans_shards_and_ranks_stride() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let doc = "the cat sat on the mat. ".repeat(200); // ~1,200 tokens: longer than a shard
    let written = shards::write(std::iter::once(doc), dir.path(), "t", 500, 1, |_| {})?;
    assert_eq!(written.len(), 3); // val 500, train 500, train the rest
    let all: Vec<u16> = written.iter().flat_map(|p| shards::read_npy(p).unwrap()).collect();
    assert_eq!(all[0] as u32, shards::EOT);
    // two processes read alternate batches of the one process
    let one: Vec<Vec<i64>> = {
        let mut l = DataLoaderLite::from_shards(dir.path(), 2, 8, 0, 1, "train")?;
        (0..4)
            .map(|_| Vec::<i64>::try_from(l.next_batch().unwrap().0.view([-1])).unwrap())
            .collect()
    };
    let mut r1 = DataLoaderLite::from_shards(dir.path(), 2, 8, 1, 2, "train")?;
    assert_eq!(Vec::<i64>::try_from(r1.next_batch()?.0.view([-1])).unwrap(), one[1]);
    assert_eq!(Vec::<i64>::try_from(r1.next_batch()?.0.view([-1])).unwrap(), one[3]);
    Ok(())
}
