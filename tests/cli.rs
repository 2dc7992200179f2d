//! The `makemore` binary: the lecture's results by default, and bad input that gives one
//! `error: ...` line and a non-zero exit, never a panic and never a half-written file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_makemore");

fn names_txt() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/names.txt")
}

fn reference() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reference.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (hint: run `make reference`, which runs the lecture's Python code)",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("reference.json is valid JSON")
}

/// The reference's names, without their trailing '.'.
fn reference_names(key: &str) -> Vec<String> {
    reference()[key]
        .as_array()
        .unwrap_or_else(|| panic!("reference.json has no {key} (hint: run `make reference`)"))
        .iter()
        .map(|s| s.as_str().unwrap().trim_end_matches('.').to_string())
        .collect()
}

/// What a run printed.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], dir: &Path) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the makemore binary");
    let run = Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    // Never a panic, never a signal (abort, segfault).
    assert!(
        !run.stderr.contains("panicked"),
        "{args:?} panicked: {}",
        run.stderr
    );
    assert!(run.code.is_some(), "{args:?} was killed by a signal");
    run
}

/// Runs and expects success.
fn ok(args: &[&str], dir: &Path) -> Run {
    let r = run(args, dir);
    assert_eq!(r.code, Some(0), "{args:?} failed: {}", r.stderr);
    r
}

/// Runs and expects one `error: ...` line holding every piece of `expected`.
fn fails(args: &[&str], dir: &Path, expected: &[&str]) -> Run {
    let r = run(args, dir);
    assert_eq!(r.code, Some(1), "{args:?} should fail: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{args:?} printed {}", r.stdout);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: one line, got {}", r.stderr);
    assert!(lines[0].starts_with("error: "), "{}", r.stderr);
    assert!(lines[0].contains("(hint: "), "no hint: {}", r.stderr);
    for piece in expected {
        assert!(
            r.stderr.contains(piece),
            "{args:?}: no {piece:?} in {}",
            r.stderr
        );
    }
    r
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    std::fs::write(dir.join(name), bytes).unwrap();
    name.to_string()
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(String::from).collect()
}

/// The number after `label` on stdout.
fn number_after(stdout: &str, label: &str) -> f64 {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {stdout}"));
    line.trim().parse().unwrap()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

// ---- The lecture, by default ----

#[test]
fn default_samples_are_the_lectures() {
    let dir = tmp();
    let names = names_txt();
    let r = ok(
        &["sample", "--input", names.to_str().unwrap(), "-n", "5"],
        dir.path(),
    );
    assert_eq!(lines(&r.stdout), reference_names("samples_add1"));
    assert_eq!(
        lines(&r.stdout),
        ["cexze", "momasurailezitynn", "konimittain", "llayn", "ka"]
    );
}

#[test]
fn counts_train_save_load_eval_round_trip() -> makemore::Result<()> {
    let dir = tmp();
    let names = names_txt();
    let r = ok(
        &[
            "train",
            "--input",
            names.to_str().unwrap(),
            "--model",
            "counts",
            "--out",
            "c.mm",
        ],
        dir.path(),
    );
    let train_loss = number_after(&r.stdout, "final loss: ");
    let r = ok(
        &[
            "eval",
            "--model",
            "c.mm",
            "--input",
            names.to_str().unwrap(),
        ],
        dir.path(),
    );
    let eval_loss = number_after(&r.stdout, "mean nll: ");
    // The same as in memory, in this process.
    let words = makemore::read_words(&names)?;
    let model = makemore::CountModel::fit(&words, &makemore::Vocab::from_words(&words)?, 1, 1.0)?;
    let in_memory = makemore::nll(&model, &words)?;
    assert_eq!(eval_loss, in_memory);
    assert_eq!(train_loss, in_memory);
    assert!((in_memory - reference()["nll_add1_f64"].as_f64().unwrap()).abs() < 1e-6);
    // And the saved model samples the lecture's names.
    let r = ok(&["sample", "--model", "c.mm", "-n", "5"], dir.path());
    assert_eq!(lines(&r.stdout), reference_names("samples_add1"));
    Ok(())
}

#[test]
fn neural_train_matches_the_lecture_and_round_trips() {
    let dir = tmp();
    let names = names_txt();
    let r = ok(
        &[
            "train",
            "--input",
            names.to_str().unwrap(),
            "--model",
            "neural",
            "--method",
            "counts",
            "--out",
            "n.mm",
        ],
        dir.path(),
    );
    // `--method counts` takes the lecture's 100 steps in a second; the default (one-hot) gives
    // the same loss to float rounding (tests/golden.rs checks it) and runs in
    // `neural_few_steps_round_trip`.
    // stdout ends with the final loss: the lecture's, after 100 steps.
    assert!(r
        .stdout
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .starts_with("final loss: "));
    let final_loss = number_after(&r.stdout, "final loss: ");
    let losses = reference()["losses"].as_array().unwrap().clone();
    let expected = losses.last().unwrap().as_f64().unwrap();
    assert!(
        (final_loss - expected).abs() < 1e-4,
        "{final_loss} vs {expected}"
    );
    // Not a terminal: plain progress lines, one every 100/20 = 5 steps.
    let steps = r.stderr.lines().filter(|l| l.starts_with("step ")).count();
    assert_eq!(steps, 20, "{}", r.stderr);
    // The saved net samples the lecture's names.
    let r = ok(&["sample", "--model", "n.mm", "-n", "5"], dir.path());
    assert_eq!(lines(&r.stdout), reference_names("samples_net"));
    // eval prints the loss the loaded model has in memory.
    let r = ok(
        &[
            "eval",
            "--model",
            "n.mm",
            "--input",
            names.to_str().unwrap(),
        ],
        dir.path(),
    );
    let eval_loss = number_after(&r.stdout, "mean nll: ");
    let model = makemore::Model::load(dir.path().join("n.mm")).unwrap();
    let words = makemore::read_words(&names).unwrap();
    assert_eq!(eval_loss, makemore::nll(&model, &words).unwrap());
}

#[test]
fn neural_few_steps_round_trip() {
    let dir = tmp();
    let file = write(
        dir.path(),
        "w.txt",
        "emma\nolivia\nava\nÉmile\n北京\n".as_bytes(),
    );
    let r = ok(
        &[
            "train",
            "--input",
            &file,
            "--model",
            "neural",
            "--steps",
            "3",
            "--context",
            "2",
            "--out",
            "n.mm",
        ],
        dir.path(),
    );
    assert_eq!(
        r.stderr.lines().filter(|l| l.starts_with("step ")).count(),
        3
    );
    let r = ok(&["eval", "--model", "n.mm", "--input", &file], dir.path());
    let eval_loss = number_after(&r.stdout, "mean nll: ");
    let model = makemore::Model::load(dir.path().join("n.mm")).unwrap();
    let words = makemore::read_words(dir.path().join(&file)).unwrap();
    assert_eq!(eval_loss, makemore::nll(&model, &words).unwrap());
    // No steps at all: the loss of the initial weights.
    let r = ok(
        &[
            "train", "--input", &file, "--model", "neural", "--steps", "0", "--out", "z.mm",
        ],
        dir.path(),
    );
    assert!(number_after(&r.stdout, "final loss: ").is_finite());
}

#[test]
fn every_subcommand_and_flag_has_help() {
    let dir = tmp();
    let r = ok(&["--help"], dir.path());
    assert!(r.stdout.contains("it makes more like them"), "{}", r.stdout);
    let flags: [(&str, &[&str]); 3] = [
        (
            "train",
            &[
                "--input",
                "--model",
                "--context",
                "--smoothing",
                "--steps",
                "--lr",
                "--reg",
                "--method",
                "--seed",
                "--out",
            ],
        ),
        (
            "sample",
            &[
                "--model",
                "--input",
                "--count",
                "--seed",
                "--smoothing",
                "--context",
            ],
        ),
        ("eval", &["--model", "--input"]),
    ];
    for (command, flags) in flags {
        // `-h` gives one line per flag: the flag, then its help text.
        let r = ok(&[command, "-h"], dir.path());
        for flag in flags {
            let line = r
                .stdout
                .lines()
                .find(|l| l.trim_start().starts_with(flag) || l.contains(&format!(", {flag}")))
                .unwrap_or_else(|| panic!("{command}: no {flag} in {}", r.stdout));
            let text = line.split_once('>').map_or("", |(_, t)| t).trim();
            assert!(text.len() > 10, "{command} {flag} has no help: {line:?}");
        }
        ok(&[command, "--help"], dir.path());
    }
}

// ---- Bad input files ----

#[test]
fn missing_file() {
    let dir = tmp();
    for args in [
        &["sample", "--input", "nope.txt"][..],
        &["train", "--input", "nope.txt", "--model", "counts"],
        &["eval", "--model", "nope.mm", "--input", "nope.txt"],
    ] {
        fails(
            args,
            dir.path(),
            &["nope.", "No such file", "check the path"],
        );
    }
    assert!(!dir.path().join("model.mm").exists());
}

#[test]
fn a_directory() {
    let dir = tmp();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    fails(
        &["sample", "--input", "folder"],
        dir.path(),
        &["folder", "directory"],
    );
    fails(
        &["train", "--input", "folder", "--model", "neural"],
        dir.path(),
        &["directory"],
    );
}

#[test]
fn unreadable_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp();
    let file = write(dir.path(), "secret.txt", b"emma\nolivia\n");
    let path = dir.path().join(&file);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        println!("skipping the permission error: this process can read a mode-000 file (root)");
        let r = ok(&["sample", "--input", &file, "-n", "3"], dir.path());
        assert_eq!(r.stdout.lines().count(), 3);
        return;
    }
    fails(
        &["sample", "--input", &file],
        dir.path(),
        &["Permission denied", "permissions"],
    );
}

#[test]
fn empty_file_and_blank_lines() {
    let dir = tmp();
    let empty = write(dir.path(), "empty.txt", b"");
    let blank = write(dir.path(), "blank.txt", b"\n  \r\n\t\n\n");
    for file in [&empty, &blank] {
        fails(
            &["sample", "--input", file],
            dir.path(),
            &[file, "holds no words"],
        );
        fails(
            &["train", "--input", file, "--model", "counts"],
            dir.path(),
            &["holds no words"],
        );
    }
    assert!(!dir.path().join("model.mm").exists());
}

#[test]
fn invalid_utf8() {
    let dir = tmp();
    let file = write(dir.path(), "latin1.txt", b"emma\nzo\xe9\n");
    fails(
        &["sample", "--input", &file],
        dir.path(),
        &["line 2", "UTF-8"],
    );
}

#[test]
fn crlf_line_ends_work() {
    let dir = tmp();
    let text = std::fs::read_to_string(names_txt()).unwrap();
    let crlf = write(
        dir.path(),
        "crlf.txt",
        text.replace('\n', "\r\n").as_bytes(),
    );
    let r = ok(&["sample", "--input", &crlf, "-n", "5"], dir.path());
    assert_eq!(lines(&r.stdout), reference_names("samples_add1"));
    assert!(!r.stdout.contains('\r'));
}

#[test]
fn any_alphabet_trains_samples_and_evaluates() {
    let dir = tmp();
    let file = write(
        dir.path(),
        "world.txt",
        "Émile\nZOË\nÅngström\n北京\n東京都\n😀🎉\na😀b\nmañana\n".as_bytes(),
    );
    ok(
        &[
            "train", "--input", &file, "--model", "counts", "--out", "m.mm",
        ],
        dir.path(),
    );
    let r = ok(&["sample", "--model", "m.mm", "-n", "20"], dir.path());
    assert_eq!(r.stdout.lines().count(), 20);
    let r = ok(&["eval", "--model", "m.mm", "--input", &file], dir.path());
    assert!(number_after(&r.stdout, "mean nll: ").is_finite());
    ok(
        &[
            "train", "--input", &file, "--model", "neural", "--steps", "2", "--out", "n.mm",
        ],
        dir.path(),
    );
    let r = ok(&["sample", "--model", "n.mm", "-n", "3"], dir.path());
    assert_eq!(r.stdout.lines().count(), 3);
}

#[test]
fn a_dot_in_a_word() {
    let dir = tmp();
    let file = write(dir.path(), "dots.txt", b"emma\nmr.smith\n");
    fails(
        &["sample", "--input", &file],
        dir.path(),
        &["line 2", "mr.smith", "'.'"],
    );
}

#[test]
fn a_huge_line() {
    let dir = tmp();
    let line: String = (0..1_000_000)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let file = write(dir.path(), "huge.txt", format!("{line}\nemma\n").as_bytes());
    let r = ok(&["sample", "--input", &file, "-n", "2"], dir.path());
    assert_eq!(r.stdout.lines().count(), 2);
    ok(
        &[
            "train", "--input", &file, "--model", "counts", "--out", "c.mm",
        ],
        dir.path(),
    );
    let r = ok(&["eval", "--model", "c.mm", "--input", &file], dir.path());
    assert!(number_after(&r.stdout, "mean nll: ").is_finite());
    ok(
        &[
            "train", "--input", &file, "--model", "neural", "--steps", "1", "--out", "n.mm",
        ],
        dir.path(),
    );
}

// ---- Bad settings ----

#[test]
fn a_row_with_no_counts_and_no_smoothing() -> makemore::Result<()> {
    let dir = tmp();
    // `.` -> a, and nothing ever follows `a`: a model only the library can make.
    let vocab = makemore::Vocab::from_chars(".ab")?;
    let counts = makemore::tch::Tensor::from_slice(&[0i32, 5, 0, 0, 0, 0, 3, 0, 0]).view([3, 3]);
    let model = makemore::CountModel::from_counts(counts, &vocab, 0.0)?;
    makemore::save_counts(&model, dir.path().join("zero.mm"))?;
    fails(
        &["sample", "--model", "zero.mm"],
        dir.path(),
        &["row 1", "cannot be sampled", "smoothing > 0"],
    );
    // Smoothing 0 on real data samples fine: every row the walk reaches has counts.
    let names = names_txt();
    let r = ok(
        &[
            "sample",
            "--input",
            names.to_str().unwrap(),
            "--smoothing",
            "0",
            "-n",
            "5",
        ],
        dir.path(),
    );
    assert_eq!(r.stdout.lines().count(), 5);
    Ok(())
}

#[test]
fn negative_or_nan_hyperparameters() {
    let dir = tmp();
    let file = write(dir.path(), "w.txt", b"emma\nolivia\nava\n");
    for bad in ["-1", "NaN", "inf", "-0.5"] {
        fails(
            &["sample", "--input", &file, "--smoothing", bad],
            dir.path(),
            &["smoothing", "invalid"],
        );
        fails(
            &[
                "train",
                "--input",
                &file,
                "--model",
                "counts",
                "--smoothing",
                bad,
            ],
            dir.path(),
            &["smoothing"],
        );
        fails(
            &["train", "--input", &file, "--model", "neural", "--lr", bad],
            dir.path(),
            &["learning rate", "invalid"],
        );
        fails(
            &["train", "--input", &file, "--model", "neural", "--reg", bad],
            dir.path(),
            &["regularization", "invalid"],
        );
    }
    assert!(!dir.path().join("model.mm").exists());
}

#[test]
fn context_zero_or_too_long() {
    let dir = tmp();
    let file = write(dir.path(), "w.txt", b"emma\nolivia\nava\n");
    for context in ["0", "40", "18446744073709551615"] {
        fails(
            &["sample", "--input", &file, "--context", context],
            dir.path(),
            &["context"],
        );
        fails(
            &[
                "train",
                "--input",
                &file,
                "--model",
                "neural",
                "--context",
                context,
            ],
            dir.path(),
            &["context"],
        );
    }
}

#[test]
fn zero_names_prints_nothing() {
    let dir = tmp();
    let file = write(dir.path(), "w.txt", b"emma\nolivia\nava\n");
    let r = ok(&["sample", "--input", &file, "-n", "0"], dir.path());
    assert!(r.stdout.is_empty() && r.stderr.is_empty());
}

#[test]
fn usage_errors_are_claps() {
    let dir = tmp();
    // Not a number, or both sources, or neither: clap's usage error, status 2.
    for args in [
        &["sample", "--input", "w.txt", "-n", "-1"][..],
        &["sample", "--input", "w.txt", "--model", "m.mm"],
        &["sample"],
        &["train", "--input", "w.txt", "--model", "transformer"],
        &["sample", "--model", "m.mm", "--smoothing", "2"],
    ] {
        let r = run(args, dir.path());
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    }
}

// ---- Bad model files ----

/// A small count model saved as `model.mm` in `dir`; returns its bytes.
fn small_model(dir: &Path) -> Vec<u8> {
    let file = write(dir, "w.txt", b"emma\nolivia\nava\n");
    ok(
        &[
            "train", "--input", &file, "--model", "counts", "--out", "model.mm",
        ],
        dir,
    );
    std::fs::read(dir.join("model.mm")).unwrap()
}

#[test]
fn truncated_corrupted_or_wrong_model_files() {
    let dir = tmp();
    let bytes = small_model(dir.path());
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("one byte short", bytes[..bytes.len() - 1].to_vec()),
        ("flipped", {
            let mut b = bytes.clone();
            let at = b.len() - 3;
            b[at] ^= 0x40;
            b
        }),
        ("text", b"emma\nolivia\n".to_vec()),
    ];
    for (what, content) in damaged {
        std::fs::write(dir.path().join("bad.mm"), content).unwrap();
        let r = fails(
            &["sample", "--model", "bad.mm"],
            dir.path(),
            &["cannot load the model bad.mm"],
        );
        println!("{what}: {}", r.stderr.trim());
        fails(
            &["eval", "--model", "bad.mm", "--input", "w.txt"],
            dir.path(),
            &["cannot load the model"],
        );
    }
    fails(&["sample", "--model", "."], dir.path(), &["directory"]);
}

#[test]
fn a_model_from_another_vocabulary() {
    let dir = tmp();
    small_model(dir.path()); // emma, olivia, ava
    let other = write(dir.path(), "other.txt", "zoë\n".as_bytes());
    fails(
        &["eval", "--model", "model.mm", "--input", &other],
        dir.path(),
        &["cannot score other.txt", "'z'", "not in the vocabulary"],
    );
}

#[test]
fn an_output_path_in_a_missing_folder_leaves_nothing() {
    let dir = tmp();
    let file = write(dir.path(), "w.txt", b"emma\nolivia\nava\n");
    for kind in ["counts", "neural"] {
        fails(
            &[
                "train",
                "--input",
                &file,
                "--model",
                kind,
                "--steps",
                "1",
                "--out",
                "missing/m.mm",
            ],
            dir.path(),
            &["cannot write missing/m.mm", "does not exist"],
        );
    }
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["w.txt"]);
}
