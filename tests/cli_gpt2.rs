//! `makemore gpt2` end to end against the lecture's last code (tests/reference/gpt2_final.py ->
//! target/gpt2_final_reference.json): `prepare` writes fineweb.py's shards, `train` prints the
//! final train_gpt2.py's lines (float32 and bfloat16) and resumes from its checkpoints exactly,
//! `sample` and `hellaswag` on a checkpoint give what the loop gave at that step; bad input is one
//! line and a non-zero exit.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_makemore");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn reference() -> serde_json::Value {
    let path = format!("{ROOT}/target/gpt2_final_reference.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e} (hint: run `make reference`)"));
    serde_json::from_str(&text).unwrap()
}

fn gpt2(args: &[&str]) -> Output {
    Command::new(BIN).arg("gpt2").args(args).output().unwrap()
}

fn ok(out: &Output) -> Vec<String> {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .split('\n')
        .map(|l| l.split(" | dt:").next().unwrap().to_string())
        .collect()
}

/// Tiny Shakespeare's paragraphs as a FineWeb-style jsonl, then its shards by `prepare`.
fn shards(dir: &Path) -> String {
    let text = std::fs::read_to_string(format!("{ROOT}/data/tinyshakespeare.txt")).unwrap();
    let jsonl: String = text
        .split("\n\n")
        .filter(|d| !d.is_empty())
        .map(|d| serde_json::json!({ "text": d }).to_string() + "\n")
        .collect();
    let input = dir.join("docs.jsonl");
    std::fs::write(&input, jsonl).unwrap();
    let out = dir.join("shards");
    let lines = ok(&gpt2(&[
        "prepare",
        "-i",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--shard-size",
        "100000",
    ]));
    assert_eq!(lines.iter().filter(|l| l.starts_with("wrote")).count(), 4);
    for f in reference()["shards"]["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let theirs =
            std::fs::read(format!("{ROOT}/target/gpt2_final/edu_fineweb10B/{name}")).unwrap();
        assert_eq!(std::fs::read(out.join(name)).unwrap(), theirs, "{name}");
    }
    out.to_str().unwrap().to_string()
}

fn train_args<'a>(data: &'a str, log: &'a str, steps: &'a str, every: &'a str) -> Vec<&'a str> {
    let hella = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hellaswag_mini.jsonl");
    vec![
        "train",
        "--data",
        data,
        "--log-dir",
        log,
        "-B",
        "4",
        "-T",
        "32",
        "--total-batch-size",
        "256",
        "--max-steps",
        steps,
        "--warmup-steps",
        "5",
        "--eval-every",
        every,
        "--val-steps",
        "3",
        "--checkpoint-every",
        "10",
        "--n-layer",
        "2",
        "--n-head",
        "4",
        "--n-embd",
        "64",
        "--block-size",
        "64",
        "--hellaswag",
        hella,
    ]
}

#[test]
fn prepare_train_resume_sample_and_hellaswag_give_the_lectures_lines() {
    let r = reference();
    let dir = tempfile::tempdir().unwrap();
    let data = shards(dir.path());
    let log = dir.path().join("log");
    let (log_s, steps, every) =
        (log.to_str().unwrap(), r["steps"].to_string(), r["eval_every"].to_string());
    let want: Vec<String> = serde_json::from_value(r["fp32"]["printed"].clone()).unwrap();
    let lines = ok(&gpt2(&train_args(&data, log_s, &steps, &every)));
    assert_eq!(lines[..want.len()], want[..]);
    let log_want: Vec<String> = serde_json::from_value(r["fp32"]["log"].clone()).unwrap();
    let log_text = std::fs::read_to_string(log.join("log.txt")).unwrap();
    assert_eq!(log_text.lines().collect::<Vec<_>>(), log_want);

    // resumed from step 10's checkpoint: the same lines from step 10 on
    let mut resume = train_args(&data, log_s, &steps, &every);
    let ckpt = log.join("model_00010");
    resume.extend(["--resume", ckpt.to_str().unwrap()]);
    let again = ok(&gpt2(&resume));
    let from = want.iter().position(|l| l.starts_with("step    10")).unwrap();
    assert_eq!(again[again.len() - 1 - (want.len() - from)..again.len() - 1], want[from..]);

    // the last checkpoint holds the weights the last evaluation sampled and scored
    let last = log.join(format!("model_{:05}", r["steps"].as_u64().unwrap() - 1));
    let sample = ok(&gpt2(&[
        "sample",
        "--model",
        last.to_str().unwrap(),
        "--num-return-sequences",
        "4",
        "--max-length",
        "32",
    ]));
    let text = want.join("\n");
    let sampled: Vec<&str> = text.split("rank 0 sample ").skip(1).collect();
    let theirs = sampled[sampled.len() - 4..]
        .iter()
        .map(|s| s[3..].split("\nstep").next().unwrap().trim_end_matches('\n'));
    let ours = format!("\n{}", sample.join("\n"));
    let ours: Vec<&str> = ours.split("\n> ").skip(1).map(|s| s.trim_end_matches('\n')).collect();
    assert_eq!(ours, theirs.collect::<Vec<_>>());
    let hella = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hellaswag_mini.jsonl");
    let scored = ok(&gpt2(&["hellaswag", "--model", last.to_str().unwrap(), "--data", hella]));
    let acc = want.iter().rev().find(|l| l.starts_with("HellaSwag accuracy: ")).unwrap();
    let correct = acc.trim_start_matches("HellaSwag accuracy: ").split('/').next().unwrap();
    assert!(
        scored.iter().any(|l| l.starts_with(&format!("8 acc_norm: {correct}/8="))),
        "{scored:?} vs {acc}"
    );
    assert!(
        scored.iter().any(|l| l.starts_with("predicted: "))
            && scored.iter().any(|l| l.contains("(loss: "))
    );
}

#[test]
fn train_under_bfloat16_gives_the_lectures_autocast_lines() {
    let r = reference();
    let dir = tempfile::tempdir().unwrap();
    let data = shards(dir.path());
    let log = dir.path().join("log");
    let (steps, every) = (r["steps"].to_string(), r["eval_every"].to_string());
    let mut args = train_args(&data, log.to_str().unwrap(), &steps, &every);
    args.extend(["--dtype", "bfloat16"]);
    let want: Vec<String> = serde_json::from_value(r["bf16"]["printed"].clone()).unwrap();
    assert_eq!(ok(&gpt2(&args))[..want.len()], want[..]);
}

#[test]
fn bad_input_is_one_line_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let fails = |args: &[&str], says: &[&str]| {
        let out = gpt2(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        for s in says {
            assert!(err.contains(s), "{args:?}: {err} lacks {s}");
        }
    };
    fails(&["train", "--data", d], &["no train shard", "makemore gpt2 prepare"]);
    fails(
        &["train", "--data", d, "-B", "4", "-T", "32", "--total-batch-size", "300"],
        &["300", "multiple of 128"],
    );
    fails(&["sample", "--model", d], &["config.json"]);
    fails(
        &["prepare", "-i", &format!("{d}/missing.txt"), "-o", &format!("{d}/out")],
        &["missing.txt"],
    );
    assert!(!dir.path().join("out").exists(), "nothing written for a missing input");
    let jsonl = dir.path().join("h.jsonl");
    std::fs::write(&jsonl, "{\"ctx\": \"a\", \"label\": 0}\n").unwrap();
    let model = dir.path().join("m");
    makemore::gpt2::Gpt2::new(&makemore::gpt2::Config {
        block_size: 8,
        vocab_size: 50257,
        n_layer: 1,
        n_head: 1,
        n_embd: 4,
    })
    .unwrap()
    .save_pretrained(&model)
    .unwrap();
    fails(
        &["hellaswag", "--model", model.to_str().unwrap(), "--data", jsonl.to_str().unwrap()],
        &["line 1", "endings"],
    );
    fails(
        &["sample", "--model", model.to_str().unwrap(), "--max-length", "30"],
        &["max_length", "block"],
    );
}
