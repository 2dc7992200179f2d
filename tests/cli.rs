//! The `makemore` binary: what only the binary can get wrong. The lecture's results by default,
//! makemore.py's training loop and files, one `error: ... (hint: ...)` line and exit status 1
//! for bad input (the library's errors themselves are tested in bad_input.rs and model_file.rs),
//! clap's usage errors (status 2), `--help`, a closed pipe, and Ctrl-C (status 130).

use makemore::prelude::*;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;
use common::{listing, reference, strings};

const BIN: &str = env!("CARGO_BIN_EXE_makemore");

fn names_txt() -> String {
    common::NAMES_TXT.to_string()
}

/// What a run printed.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], dir: &Path) -> Run {
    let out =
        Command::new(BIN).args(args).current_dir(dir).output().expect("run the makemore binary");
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{args:?} panicked: {}", run.stderr);
    assert!(run.code.is_some(), "{args:?} was killed by a signal");
    run
}

fn ok(args: &[&str], dir: &Path) -> Run {
    let r = run(args, dir);
    assert_eq!(r.code, Some(0), "{args:?} failed: {}", r.stderr);
    r
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(String::from).collect()
}

/// The number after `label` in `text`.
fn number_after(text: &str, label: &str) -> f64 {
    let rest =
        &text[text.find(label).unwrap_or_else(|| panic!("no {label:?} in {text}")) + label.len()..];
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

/// A folder with a small words file `w.txt` and a count model `m.mm` of it.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.txt"), "emma\nolivia\nava\nisabella\nsophia\n").unwrap();
    ok(&["train", "-i", "w.txt", "--type", "counts", "--out", "m.mm"], dir.path());
    let path = dir.path().to_path_buf();
    (dir, path)
}

// ---- The lecture, by default ----

#[test]
fn the_lectures_commands_give_the_lectures_results() {
    let r = reference();
    let (_dir, dir) = workspace();
    let names = names_txt();
    let lecture = |key: &str| {
        strings(&r[key]).iter().map(|s| s.trim_end_matches('.').to_string()).collect::<Vec<_>>()
    };
    // the README's commands, as they were written before makemore.py's flags came
    let out = ok(&["sample", "--input", &names, "-n", "5"], &dir);
    assert_eq!(lines(&out.stdout), lecture("samples_add1"));
    let out = ok(&["train", "--input", &names, "--model", "neural", "--out", "n.mm"], &dir);
    let final_loss = number_after(&out.stdout, "final loss:");
    let expected = r["losses"].as_array().unwrap().last().unwrap().as_f64().unwrap();
    assert!((final_loss - expected).abs() < 1e-5, "{final_loss} vs the lecture's {expected}");
    // not a terminal: makemore.py's progress lines, as the networks print them, one every 5 of
    // the 100 steps
    let steps: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("step ")).collect();
    assert_eq!(steps.len(), 20, "{}", out.stdout);
    assert!(
        steps[1].starts_with("step 5 | loss ") && steps[1].contains("| step time"),
        "{steps:?}"
    );
    let out = ok(&["sample", "--model", "n.mm", "-n", "5", "--seed", "2147483647"], &dir);
    assert_eq!(lines(&out.stdout), lecture("samples_net"));
    let out = ok(&["eval", "--model", "n.mm", "--input", &names], &dir);
    let model = makemore::Model::load(dir.join("n.mm")).unwrap();
    let words = makemore::read_words(&names).unwrap();
    assert_eq!(number_after(&out.stdout, "mean nll:"), makemore::nll(&model, &words).unwrap());
    let out = ok(
        &["train", "--input", "w.txt", "--model", "counts", "--context", "2", "--out", "tri.mm"],
        &dir,
    );
    assert!(number_after(&out.stdout, "final loss:").is_finite());
    assert_eq!(ok(&["sample", "--model", "tri.mm", "-n", "3"], &dir).stdout.lines().count(), 3);
}

// ---- makemore.py's way ----

#[test]
fn makemore_py_flags_train_save_resume_and_sample() {
    let dir = tempfile::tempdir().unwrap();
    let names = names_txt();
    let out =
        ok(&["-i", &names, "-o", "out", "--type", "bigram", "--max-steps", "501"], dir.path());
    // makemore.py's lines: every 10 steps, the losses at step 500 (then the best model is saved),
    // samples every 200 steps in its three groups
    assert!(out.stdout.contains("step 0 | loss 3.2958 | step time"), "{}", out.stdout);
    let test = number_after(&out.stdout, "step 500 train loss: ");
    let test_loss = number_after(&out.stdout, "test loss: ");
    assert!(test.is_finite() && (2.5..3.3).contains(&test_loss), "{test} {test_loss}");
    assert!(out.stdout.contains("is the best so far, saving model to out/model.mm"));
    assert_eq!(out.stdout.matches("samples that are in train:").count(), 2); // steps 200, 400
    assert_eq!(listing(&dir.path().join("out")), ["losses.csv", "losses.png", "model.mm"]);
    let csv = std::fs::read_to_string(dir.path().join("out/losses.csv")).unwrap();
    assert_eq!(csv.lines().next(), Some("step,train_loss,test_loss"));
    assert!(csv.lines().nth(1).unwrap().starts_with("500,"), "{csv}");
    // --sample-only: 50 names in makemore.py's groups
    let out = ok(&["-i", &names, "-o", "out", "--sample-only"], dir.path());
    let counted: usize =
        out.stdout.lines().filter_map(|l| l.split(' ').next()?.parse::<usize>().ok()).sum();
    assert_eq!(counted, 50, "{}", out.stdout);
    // `sample` draws the same 50 from the same model: one seed rule for both (the type's)
    let sampled = ok(&["sample", "-o", "out", "-i", &names, "-n", "50"], dir.path());
    assert_eq!(sampled.stdout, out.stdout);
    let seeded =
        ok(&["sample", "-o", "out", "-i", &names, "-n", "50", "--seed", "3407"], dir.path());
    assert_eq!(seeded.stdout, out.stdout);
    // --resume continues from the saved step, with the optimizer's state
    let out = ok(&["-i", &names, "-o", "out", "--resume", "--max-steps", "500"], dir.path());
    assert!(out.stderr.contains("at step 501"), "{}", out.stderr);
    assert!(
        !out.stdout.contains("step 500 |") && out.stdout.contains("step 510 |"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("step 1000 train loss: "));
    let csv = std::fs::read_to_string(dir.path().join("out/losses.csv")).unwrap();
    assert_eq!(
        csv.lines().map(|l| l.split(',').next().unwrap()).collect::<Vec<_>>(),
        ["step", "500", "1000"]
    );
    // nothing left to do is said, and logs nothing twice
    let out = ok(&["-i", &names, "-o", "out", "--resume", "--max-steps", "0"], dir.path());
    assert!(out.stderr.contains("nothing to train"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("out/losses.csv")).unwrap(), csv);
    // and the work dir's model samples and scores like any other
    assert_eq!(ok(&["sample", "-o", "out", "-n", "4"], dir.path()).stdout.lines().count(), 4);
    assert!(
        number_after(&ok(&["eval", "-o", "out", "-i", &names], dir.path()).stdout, "mean nll:")
            < 3.0
    );
    // a new run into the work dir would replace the trained model: refused, unless asked for
    let r = run(&["-i", &names, "-o", "out", "--type", "bigram", "--max-steps", "3"], dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("holds a trained model"), "{}", r.stderr);
    let args = ["-i", &names, "-o", "out", "--type", "bigram", "--max-steps", "3", "--overwrite"];
    ok(&args, dir.path());
}

/// Part 5's WaveNet from the command line: the lecture's sizes by default (76,579 parameters on
/// names), makemore.py's training, and its model file read back by --sample-only, sample, eval
/// and --resume like any other type's.
#[test]
fn wavenet_trains_resumes_and_samples_like_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let names = names_txt();
    let out = ok(&["-i", &names, "-o", "w", "--type", "wavenet", "--max-steps", "501"], dir.path());
    assert!(out.stderr.contains("wavenet with 76579 parameters"), "{}", out.stderr);
    let test_loss = number_after(&out.stdout, "test loss: ");
    assert!((2.0..2.8).contains(&test_loss), "{test_loss}");
    let out = ok(&["-i", &names, "-o", "w", "--sample-only"], dir.path());
    let counted: usize =
        out.stdout.lines().filter_map(|l| l.split(' ').next()?.parse::<usize>().ok()).sum();
    assert_eq!(counted, 50, "{}", out.stdout);
    let nll = number_after(&ok(&["eval", "-o", "w", "-i", &names], dir.path()).stdout, "mean nll:");
    assert!((nll - test_loss).abs() < 0.2, "{nll} against the test loss {test_loss}");
    let out = ok(&["-i", &names, "-o", "w", "--resume", "--max-steps", "10"], dir.path());
    assert!(out.stderr.contains("at step 501"), "{}", out.stderr);
    // sizes of its own: levels, embeddings, neurons per level
    let args = ["-i", &names, "-o", "w2", "--type", "wavenet", "--n-layer", "4", "--n-embd", "8"];
    let out = ok(&[&args[..], &["--n-embd2", "16", "--max-steps", "1"]].concat(), dir.path());
    assert!(out.stderr.contains("wavenet with 2595 parameters"), "{}", out.stderr);
    let r = run(&["-i", &names, "-o", "w3", "--type", "wavenet", "--n-layer", "11"], dir.path());
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("2^n_layer") && r.stderr.contains("hint"), "{}", r.stderr);
}

// ---- Bad input: one line, status 1, nothing left behind ----

#[test]
fn bad_input_is_one_line_with_a_hint_and_leaves_nothing() {
    let (_dir, dir) = workspace();
    std::fs::create_dir(dir.join("folder")).unwrap();
    std::fs::write(dir.join("bad.mm"), b"not a model").unwrap();
    // (command line, pieces the error line must hold)
    let cases: &[(&str, &[&str])] = &[
        ("sample --input missing.txt", &["missing.txt", "No such file"]),
        ("train -i folder --type counts", &["folder", "directory"]),
        ("train -i w.txt --type counts --smoothing -1", &["smoothing", "invalid"]),
        ("train -i w.txt --type neural --lr NaN", &["learning rate"]),
        ("train -i w.txt --type mlp -w -0.5", &["weight decay"]),
        ("train -i w.txt --type neural --steps -1", &["steps", "Ctrl-C"]),
        ("train -i w.txt --type neural --context 0", &["context"]),
        ("train -i w.txt --type transformer --n-head 3", &["n_head", "split n_embd"]),
        ("train -i w.txt --type counts --out missing/m.mm", &["missing/m.mm", "does not exist"]),
        ("train -i w.txt --type mlp --temperature -1", &["temperature"]),
        ("train -i w.txt --type mlp --device cuda:7", &["cuda:7", "cpu"]),
        ("train -i w.txt --type mlp --device tpu", &["tpu", "cpu, cuda"]),
        ("train -i w.txt -o nowhere --sample-only", &["no model in nowhere", "train one"]),
        ("train -i w.txt -o nowhere --type mlp --resume", &["no model in nowhere", "train one"]),
        ("train -i w.txt --out m.mm --type mlp --resume", &["m.mm holds a counts model, not mlp"]),
        ("train -i w.txt --type counts --resume", &["--resume", "in one go"]),
        (
            "train -i w.txt --type counts --out m.mm",
            &["m.mm holds a trained model", "--resume", "--overwrite"],
        ),
        ("train -i w.txt --type counts --out folder", &["folder is a directory"]),
        ("sample --model bad.mm", &["cannot load the model bad.mm", "not a makemore model"]),
        ("sample --model m.mm --smoothing 2", &["--smoothing", "saved model"]),
        ("eval --model m.mm --input missing.txt", &["missing.txt"]),
    ];
    let before = listing(&dir);
    for (line, pieces) in cases {
        let args: Vec<&str> = line.split_whitespace().collect();
        let r = run(&args, &dir);
        assert_eq!(r.code, Some(1), "{args:?} should fail: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?} printed {}", r.stdout);
        let err: Vec<&str> = r.stderr.lines().filter(|l| !l.contains(" words (")).collect();
        assert_eq!(err.len(), 1, "{args:?}: one line, got {}", r.stderr);
        assert!(
            err[0].starts_with("error: ") && err[0].contains("(hint: "),
            "{args:?}: {}",
            err[0]
        );
        for piece in *pieces {
            assert!(err[0].contains(piece), "{args:?}: no {piece:?} in {}", err[0]);
        }
    }
    assert_eq!(listing(&dir), before, "a failed command left something behind");
    // a model of another type in the work dir is not resumed as this one
    ok(&["-i", "w.txt", "-o", "out", "--type", "bigram", "--max-steps", "2", "-b", "4"], &dir);
    let r = run(&["-i", "w.txt", "-o", "out", "--type", "mlp", "--resume"], &dir);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("holds a bigram model, not mlp"), "{}", r.stderr);
}

#[test]
fn usage_errors_are_claps() {
    let (_dir, dir) = workspace();
    for args in [
        &["sample", "--input", "w.txt", "-n", "-1"][..],
        &["train", "-i", "w.txt", "--type", "mlp", "--top-k", "0"],
        &["sample"],
        &["train", "-i", "w.txt", "--type", "lstm"],
        &["eval", "--input", "w.txt"],
        &["--no-such-flag"],
    ] {
        let r = run(args, &dir);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    }
    // no arguments at all: the help
    let r = run(&[], &dir);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("Usage:"), "{}", r.stderr);
}

#[test]
fn every_subcommand_and_flag_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let r = ok(&["--help"], dir.path());
    assert!(r.stdout.contains("it makes more like them"), "{}", r.stdout);
    let train: &[&str] = &[
        "--input-file",
        "--work-dir",
        "--out",
        "--overwrite",
        "--num-workers",
        "--type",
        "--max-steps",
        "--resume",
        "--sample-only",
        "--seed",
        "--device",
        "--threads",
        "--temperature",
        "--top-k",
        "--n-layer",
        "--n-head",
        "--n-embd",
        "--n-embd2",
        "--batch-size",
        "--learning-rate",
        "--weight-decay",
        "--context",
        "--smoothing",
        "--reg",
        "--method",
    ];
    let sample: &[&str] = &[
        "--model",
        "--work-dir",
        "--input",
        "--count",
        "--seed",
        "--temperature",
        "--top-k",
        "--smoothing",
        "--context",
    ];
    for (command, flags) in
        [("train", train), ("sample", sample), ("eval", &["--model", "--work-dir", "--input"][..])]
    {
        // `-h`: one line per flag, the flag then its help text
        let r = ok(&[command, "-h"], dir.path());
        // the defaults shown are the presets' and the types' own
        let (words, text) = (TrainOptions::makemore_py(), TrainOptions::gpt_lecture());
        if command == "train" {
            let line =
                |flag: &str| r.stdout.lines().find(|l| l.contains(flag)).unwrap().to_string();
            let batch =
                format!("[default: {}; with --text: {}]", words.batch_size, text.batch_size);
            assert!(line("--batch-size").ends_with(&batch), "{}", line("--batch-size"));
            let wavenet = ModelConfig::of(ModelType::Wavenet).get("n_embd").unwrap();
            assert!(line("--n-embd ").ends_with(&format!("[default: 64; wavenet: {wavenet}]")));
        }
        for flag in flags {
            let line = r
                .stdout
                .lines()
                .find(|l| l.trim_start().starts_with(flag) || l.contains(&format!(", {flag}")))
                .unwrap_or_else(|| panic!("{command}: no {flag} in {}", r.stdout));
            let text = line.split_once("  ").map_or("", |(_, t)| t).trim();
            assert!(text.len() > 10, "{command} {flag} has no help: {line:?}");
        }
    }
}

// ---- The process around the work ----

#[test]
fn a_closed_pipe_ends_quietly() {
    let names = names_txt();
    let mut child = Command::new(BIN)
        .args(["sample", "--input", &names, "-n", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap(); // then closed
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(first.trim(), "cexze");
    assert!(status.success() && stderr.is_empty(), "{status:?}: {stderr}");
}

#[test]
fn ctrl_c_stops_training_and_keeps_the_best_model() {
    let dir = tempfile::tempdir().unwrap();
    let names = names_txt();
    let mut child = Command::new(BIN)
        .args(["-i", &names, "-o", "out", "--type", "bigram"]) // no --max-steps: until Ctrl-C
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("step 20 |") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "training ended by itself");
    }
    let sigint = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sigint.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("stopped by Ctrl-C") && rest.contains("train loss:"),
        "{stderr}\n{rest}"
    );
    let model = makemore::Model::load(dir.path().join("out/model.mm")).unwrap();
    assert_eq!(model.kind(), makemore::ModelType::Bigram);
}

// ---- A makemore.py user's habits ----

#[test]
fn makemore_py_command_lines_and_work_dirs_work() {
    let (_dir, dir) = workspace();
    // its flags whole: -n/--num-workers (no effect here), prefixes of long flags, a vocabulary line
    let r = ok(
        &["-i", "w.txt", "-o", "a", "--type", "bigram", "--max", "3", "-b", "4", "-n", "4"],
        &dir,
    );
    assert!(
        r.stderr.contains("5 words (4 train, 1 test, longest 8), 12 characters (.abehilmopsv)"),
        "{}",
        r.stderr
    );
    ok(
        &[
            "-i",
            "w.txt",
            "-o",
            "b",
            "--type",
            "bigram",
            "--max-steps",
            "3",
            "-b",
            "4",
            "--num-workers",
            "0",
        ],
        &dir,
    );
    // makemore.py's model.pt, written by makemore.py itself (make reference), in a work dir
    let r = reference_pt();
    let names = names_txt();
    std::fs::create_dir(dir.join("py")).unwrap();
    std::fs::copy(Path::new(&r.0).join("mlp.pt"), dir.join("py/model.pt")).unwrap();
    let mut args = vec!["-i", &names, "-o", "py", "--type", "mlp"];
    args.extend(r.1.iter().map(String::as_str));
    let out = ok(&[&args[..], &["--sample-only"]].concat(), &dir);
    let counted: usize =
        out.stdout.lines().filter_map(|l| l.split(' ').next()?.parse::<usize>().ok()).sum();
    assert_eq!(counted, 50, "{}", out.stdout);
    // another type than it was trained as: one line that says what to give
    let bow = [&args[..2], &["-o", "py", "--type", "bow", "--sample-only"]].concat();
    assert!(run(&bow, &dir).stderr.contains("give the --type, sizes and words file"));
    // --resume: its weights, a fresh optimizer, step 0 (as makemore.py resumes), into model.mm
    let out = ok(&[&args[..], &["--resume", "--max-steps", "2"]].concat(), &dir);
    assert!(
        out.stderr.contains("read makemore.py's py/model.pt") && out.stderr.contains("at step 0"),
        "{}",
        out.stderr
    );
    assert!(dir.join("py/model.mm").exists() && dir.join("py/model.pt").exists());
}

#[test]
fn sampling_any_temperature_a_prefix_and_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let names = names_txt();
    ok(&["-i", &names, "-o", "out", "--type", "mlp", "--max-steps", "300"], dir.path());
    // near zero: the likeliest name, every time; with or without top-k
    for extra in [&[][..], &["--top-k", "1"]] {
        let args =
            [&["sample", "-o", "out", "-n", "3", "--temperature", "0.001"][..], extra].concat();
        let out = ok(&args, dir.path());
        let got = lines(&out.stdout);
        assert!(!got[0].is_empty() && got.iter().all(|n| *n == got[0]), "{got:?}");
    }
    // high: still names of the vocabulary, no longer than the longest training word (15)
    let out = ok(&["sample", "-o", "out", "-n", "50", "--temperature", "100"], dir.path());
    assert!(
        out.stdout
            .lines()
            .all(|n| n.chars().count() <= 15 && n.chars().all(|c| c.is_ascii_lowercase())),
        "{}",
        out.stdout
    );
    // a prefix: every name starts with it; a character the model lacks is one line
    let out = ok(&["sample", "-o", "out", "-n", "20", "--prefix", "ka"], dir.path());
    assert!(out.stdout.lines().all(|n| n.starts_with("ka")), "{}", out.stdout);
    let out = ok(&["-i", &names, "-o", "out", "--sample-only", "--prefix", "ka"], dir.path());
    assert!(
        out.stdout
            .lines()
            .filter(|l| !l.contains(' ') && !l.starts_with('-'))
            .all(|n| n.starts_with("ka")),
        "{}",
        out.stdout
    );
    let r = run(&["sample", "-o", "out", "--prefix", "kä"], dir.path());
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.starts_with("error: the character 'ä' is not in the vocabulary"),
        "{}",
        r.stderr
    );
}

/// Where make reference put makemore.py's model.pt files, and the flags of their sizes.
fn reference_pt() -> (String, Vec<String>) {
    let r = &common::makemore_reference()["pt"];
    let c = &r["config"];
    let flag = |k: &str| [format!("--{}", k.replace('_', "-")), c[k].to_string()];
    let flags = ["n_layer", "n_head", "n_embd", "n_embd2"].iter().flat_map(|k| flag(k)).collect();
    (r["dir"].as_str().unwrap().to_string(), flags)
}

// ---- `makemore bpe` ----

/// Runs `args` with `input` on standard input; (status, stdout bytes, stderr).
fn run_piped(args: &[&str], dir: &Path, input: &[u8]) -> (Option<i32>, Vec<u8>, String) {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    (out.status.code(), out.stdout, stderr)
}

#[test]
fn bpe_trains_encodes_and_decodes_as_the_library_does() {
    use makemore::bpe::{AllowedSpecial, Pattern, Tokenizer};
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let text = "the cat sat on the mat; the cat ate the rat. 🐈 über-naïve café\n".repeat(20);
    std::fs::write(dir.join("t.txt"), &text).unwrap();
    let r = ok(&["bpe", "train", "-i", "t.txt", "--vocab-size", "280", "-o", "tok"], dir);
    assert!(r.stdout.contains("24 merges: wrote tok.model and tok.vocab"), "{}", r.stdout);
    // the files are the library's: the same merges as training here, the same files as its save
    let mut ours = Tokenizer::new(Some(Pattern::Gpt4)).unwrap();
    ours.train(&text, 280).unwrap();
    let loaded = Tokenizer::load(dir.join("tok.model")).unwrap();
    assert_eq!(loaded.merges(), ours.merges());
    assert_eq!(std::fs::read_to_string(dir.join("tok.model")).unwrap(), ours.model_text());
    // encode a file, decode the ids back into the same bytes
    let r = ok(&["bpe", "encode", "--tokenizer", "tok.model", "-i", "t.txt"], dir);
    let want = ours.encode(&text, &AllowedSpecial::NoneRaise).unwrap();
    let got: Vec<u32> = r.stdout.split_whitespace().map(|w| w.parse().unwrap()).collect();
    assert_eq!(got, want);
    let (code, bytes, err) =
        run_piped(&["bpe", "decode", "--tokenizer", "tok.model"], dir, r.stdout.as_bytes());
    assert_eq!((code, bytes, err), (Some(0), text.as_bytes().to_vec(), String::new()));
    // GPT-4's and GPT-2's tokenizers by name, from standard input, and --allowed-special
    let gpt4 = Tokenizer::gpt4().unwrap();
    for (allowed, flag) in [(AllowedSpecial::All, "all"), (AllowedSpecial::None, "none")] {
        let line = "hello <|endoftext|> world\n";
        let args = ["bpe", "encode", "--tokenizer", "cl100k_base", "--allowed-special", flag];
        let (code, out, err) = run_piped(&args, dir, line.as_bytes());
        assert_eq!(code, Some(0), "{err}");
        let want: Vec<String> =
            gpt4.encode(line, &allowed).unwrap().iter().map(u32::to_string).collect();
        assert_eq!(String::from_utf8(out).unwrap(), want.join(" ") + "\n");
    }
    let (code, out, _) =
        run_piped(&["bpe", "encode", "--tokenizer", "r50k_base"], dir, b"hello world");
    let want = Tokenizer::gpt2().unwrap().encode_ordinary("hello world").unwrap();
    assert_eq!(
        (code, String::from_utf8(out).unwrap().trim().to_string()),
        (Some(0), format!("{} {}", want[0], want[1]))
    );
}

#[test]
fn bpe_bad_input_is_one_line_with_a_hint_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("t.txt"), "abab abab\n".repeat(10)).unwrap();
    std::fs::write(dir.join("bin.txt"), b"ab\xff\xfe").unwrap();
    std::fs::write(dir.join("other.model"), "not minbpe\n").unwrap();
    ok(&["bpe", "train", "-i", "t.txt", "--vocab-size", "258", "-o", "tok"], dir);
    // (command line, standard input, pieces the error line must hold)
    let cases: &[(&str, &str, &[&str])] = &[
        ("bpe train -i missing.txt --vocab-size 300 -o x", "", &["missing.txt", "No such file"]),
        ("bpe train -i bin.txt --vocab-size 300 -o x", "", &["bin.txt", "UTF-8"]),
        ("bpe train -i t.txt --vocab-size 200 -o x", "", &["vocab size 200 is under 256"]),
        (
            "bpe train -i t.txt --vocab-size 5000 -o x",
            "",
            &["no pair of tokens left", "at most vocab size"],
        ),
        ("bpe train -i t.txt --vocab-size 300 -o nowhere/x", "", &["nowhere", "does not exist"]),
        ("bpe encode --tokenizer missing.model -i t.txt", "", &["missing.model", "cl100k_base"]),
        ("bpe encode --tokenizer tok.vocab -i t.txt", "", &["tok.vocab", ".model"]),
        ("bpe encode --tokenizer other.model -i t.txt", "", &["other.model", "line 1"]),
        ("bpe encode --tokenizer cl100k_base -i bin.txt", "", &["bin.txt", "UTF-8"]),
        (
            "bpe encode --tokenizer cl100k_base",
            "a <|endoftext|>",
            &["<|endoftext|>", "--allowed-special all"],
        ),
        ("bpe decode --tokenizer tok.model", "97 9999", &["invalid token id 9999", "0..258"]),
        ("bpe decode --tokenizer tok.model", "97 x", &["\"x\" is not a token id"]),
    ];
    let before = listing(dir);
    for (line, input, pieces) in cases {
        let args: Vec<&str> = line.split_whitespace().collect();
        let (code, out, err) = run_piped(&args, dir, input.as_bytes());
        assert_eq!(code, Some(1), "{args:?} should fail: {err}");
        assert!(out.is_empty(), "{args:?} printed {}", String::from_utf8_lossy(&out));
        assert_eq!(err.lines().count(), 1, "{args:?}: one line, got {err}");
        assert!(err.starts_with("error: ") && err.contains("(hint: "), "{args:?}: {err}");
        for piece in *pieces {
            assert!(err.contains(piece), "{args:?}: no {piece:?} in {err}");
        }
    }
    assert_eq!(listing(dir), before, "a failed command left something behind");
}

/// `makemore bpe` runs in a process without libtorch: the `makemore` program does not link it
/// (its ELF file names no libtorch library), the `makemore-torch` it becomes for the rest does.
#[cfg(target_os = "linux")]
#[test]
fn bpe_runs_without_libtorch_and_the_rest_with_it() {
    let names_torch = |path: &str| {
        let bytes = std::fs::read(path).unwrap();
        bytes.windows(b"libtorch_cpu".len()).any(|w| w == b"libtorch_cpu")
    };
    assert!(!names_torch(BIN), "{BIN} links libtorch");
    assert!(
        names_torch(env!("CARGO_BIN_EXE_makemore-torch")),
        "makemore-torch does not link libtorch"
    );
    // and the front passes the rest on: arguments, output and exit status
    let dir = tempfile::tempdir().unwrap();
    let r = run(&["--version"], dir.path());
    assert_eq!((r.code, r.stdout.trim()), (Some(0), "makemore 0.1.0"));
    let r = run(&["sample", "--no-such-flag"], dir.path());
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("Usage: makemore sample"), "{}", r.stderr);
}
