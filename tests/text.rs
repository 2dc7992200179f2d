//! Training on a text as one stream, the GPT lecture's way: the zoo's `gpt` against the lecture's
//! model run in Python on the same torch (`tests/reference/gpt.py`, target/gpt_reference.json),
//! and `makemore --text` from the command line: training, resuming, generating, scoring, and one
//! `error: ... (hint: ...)` line, with nothing written, for bad input.

use std::path::Path;
use std::process::Command;

use makemore::prelude::*;
use makemore::Result;

const BIN: &str = env!("CARGO_BIN_EXE_makemore");
const SHAKESPEARE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/tinyshakespeare.txt");

fn gpt_reference() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/gpt_reference.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e} (hint: run `make reference`)", path.display())
    });
    serde_json::from_str(&text).expect("gpt_reference.json is valid JSON")
}

/// The lecture's `get_batch`: `batch` windows of `block` at `torch.randint` places.
fn get_batch(data: &Tensor, batch: i64, block: i64) -> (Tensor, Tensor) {
    let ix = Vec::<i64>::try_from(Tensor::randint(
        data.size()[0] - block,
        [batch],
        (Kind::Int64, Device::Cpu),
    ))
    .unwrap();
    let rows = |off: i64| {
        let rows: Vec<Tensor> = ix.iter().map(|&i| data.narrow(0, i + off, block)).collect();
        Tensor::stack(&rows, 0)
    };
    (rows(0), rows(1))
}

#[test]
fn the_zoos_gpt_is_the_lectures_final_model_with_gpt_py_s_scale() -> Result<()> {
    // the lecture's final cell with gpt.py's attention scale (head_size**-0.5, the later fix; the
    // lecture's own code scales by C**-0.5): seed 1337, the model, then estimate_loss's 200
    // batches of each split, before any training step
    let r = &gpt_reference()["final_fix"];
    let text = read_text(SHAKESPEARE)?;
    let vocab = Vocab::from_text(&text)?;
    let data = Tensor::from_slice(&vocab.encode_text(&text)?);
    let n = (0.9 * data.size()[0] as f64) as i64;
    let (train, val) = (data.narrow(0, 0, n), data.narrow(0, n, data.size()[0] - n));
    let cfg = ModelConfig::default().with("n_embd", 64).with("n_head", 4).with("n_layer", 4);
    manual_seed(1337);
    let model = Model::new(ModelType::Gpt, &vocab, 32, &cfg, Device::Cpu)?;
    assert_eq!(model.n_params() as u64, r["params"].as_u64().unwrap());
    let mut means = Vec::new();
    for split in [&train, &val] {
        let mut losses = Vec::new();
        for _ in 0..200 {
            let (x, y) = get_batch(split, 16, 32);
            let loss = no_grad(|| cross_entropy(&model.forward(&x)?, &y))?;
            losses.push(loss.double_value(&[]) as f32);
        }
        means.push(Tensor::from_slice(&losses).mean(Kind::Float).double_value(&[]));
    }
    let want = &r["losses"][0]; // [0, train, val]
    for (got, want) in means.iter().zip([&want[1], &want[2]]) {
        // the fused attention rounds a little differently from the lecture's explicit softmax
        assert!((got - want.as_f64().unwrap()).abs() < 1e-5, "{means:?} vs {want}");
    }
    Ok(())
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], dir: &Path) -> Run {
    let out = Command::new(BIN).args(args).current_dir(dir).output().unwrap();
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{args:?} panicked: {}", run.stderr);
    run
}

fn ok(args: &[&str], dir: &Path) -> Run {
    let r = run(args, dir);
    assert_eq!(r.code, Some(0), "{args:?} failed: {}", r.stderr);
    r
}

/// Fails with one `error: ... (hint: ...)` line that holds `want`.
fn fails(args: &[&str], dir: &Path, want: &str) {
    let r = run(args, dir);
    assert_eq!(r.code, Some(1), "{args:?}: {} {}", r.stdout, r.stderr);
    let line = r.stderr.trim();
    assert!(
        line.starts_with("error: ") && line.contains("(hint: ") && !line.contains('\n'),
        "{line}"
    );
    assert!(line.contains(want), "{args:?}: {line}");
}

#[test]
fn makemore_text_trains_resumes_generates_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let small = ["--n-embd", "16", "--n-head", "2", "--n-layer", "1", "--block-size", "16"];
    let mut args =
        vec!["--text", SHAKESPEARE, "-o", "sh", "--max-steps", "21", "--eval-every", "10"];
    args.extend(["--eval-batches", "2", "--dropout", "0.1"]);
    args.extend(small);
    let r = ok(&args, d);
    assert!(
        r.stderr.contains("1115394 characters of text (1003854 train, 111540 val), 65 characters"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("gpt with"), "{}", r.stderr);
    // losses at steps 10, 20 (the last), text generated at step 10 and 20
    let measured: Vec<&str> = r.stdout.lines().filter(|l| l.contains("train loss")).collect();
    assert_eq!(measured.len(), 2, "{}", r.stdout);
    assert!(r.stdout.contains("step 10, generated:\n\n"), "{}", r.stdout);
    assert!(d.join("sh/model.mm").is_file() && d.join("sh/losses.csv").is_file());
    // the first character (a newline) and 50 after it, the same again with the same seed
    let a = ok(&["--text", SHAKESPEARE, "-o", "sh", "--sample-only", "-n", "50"], d).stdout;
    assert_eq!(a.strip_suffix('\n').unwrap().chars().count(), 1 + 50, "{a:?}");
    assert_eq!(a, ok(&["sample", "-o", "sh", "-n", "50", "--seed", "1337"], d).stdout);
    let b = ok(&["sample", "-o", "sh", "-n", "30", "--prefix", "ROMEO:", "--top-k", "5"], d).stdout;
    assert!(
        b.starts_with("ROMEO:") && b.strip_suffix('\n').unwrap().chars().count() == 36,
        "{b:?}"
    );
    let nll = ok(&["eval", "-o", "sh", "-i", SHAKESPEARE], d).stdout;
    let nll: f64 = nll.trim().strip_prefix("mean nll: ").unwrap().parse().unwrap();
    assert!(nll > 2.0 && nll < 4.2, "{nll}"); // below a uniform guess, -ln(1/65) = 4.17
                                              // resumed: from the saved step on
    let r = ok(
        &["--text", SHAKESPEARE, "-o", "sh", "--resume", "--max-steps", "5", "--eval-batches", "2"],
        d,
    );
    assert!(r.stderr.contains("at step 2"), "{}", r.stderr); // saved at step 20: 21 taken
}

/// The GPT on byte-pair tokens: `makemore bpe train`, then `--text --tokenizer`; the model file
/// keeps the tokenizer, so sampling and resuming need neither the .model file nor the flag.
#[test]
fn makemore_text_on_tokens_keeps_its_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = std::fs::read_to_string(SHAKESPEARE).unwrap();
    std::fs::write(d.join("t.txt"), &text[..100_000]).unwrap();
    ok(&["bpe", "train", "-i", "t.txt", "--vocab-size", "400", "-o", "tok"], d);
    let mut args =
        vec!["--text", "t.txt", "--tokenizer", "tok.model", "-o", "sh", "--max-steps", "11"];
    args.extend(["--eval-every", "10", "--eval-batches", "2", "--n-embd", "16", "--n-head", "2"]);
    args.extend(["--n-layer", "1", "--block-size", "16"]);
    let r = ok(&args, d);
    // the text's tokens as minbpe's GPT-4-pattern tokenizer encodes them, and their vocabulary
    let tokenizer = makemore::bpe::Tokenizer::load(d.join("tok.model")).unwrap();
    let n = tokenizer.encode_ordinary(&text[..100_000]).unwrap().len();
    let header = format!(
        "{n} tokens of text ({} train, {} val), 400 byte-pair tokens",
        n * 9 / 10,
        n - n * 9 / 10
    );
    assert!(r.stderr.contains(&header), "{header:?} in {}", r.stderr);
    std::fs::remove_file(d.join("tok.model")).unwrap();
    // 40 tokens after the newline's, decoded with the kept tokenizer: their text, as it encodes
    let a = ok(&["sample", "-o", "sh", "-n", "40", "--seed", "7"], d).stdout;
    let ids = tokenizer.encode_ordinary(a.strip_suffix('\n').unwrap()).unwrap();
    assert!(a.starts_with('\n') && ids.len() > 10, "{a:?}");
    assert_eq!(
        a,
        ok(&["--text", "t.txt", "-o", "sh", "--sample-only", "-n", "40", "--seed", "7"], d).stdout
    );
    let nll = ok(&["eval", "-o", "sh", "-i", "t.txt"], d).stdout;
    let nll: f64 = nll.trim().strip_prefix("mean nll: ").unwrap().parse().unwrap();
    assert!(nll > 3.0 && nll < (400f64).ln() + 0.5, "{nll}"); // near a uniform guess after 11 steps
    let r = ok(
        &["--text", "t.txt", "-o", "sh", "--resume", "--max-steps", "2", "--eval-batches", "2"],
        d,
    );
    assert!(
        r.stderr.contains("byte-pair tokens") && r.stderr.contains("at step 1"),
        "{}",
        r.stderr
    );
    // a different tokenizer for the saved model, and one that is not a .model, are refused
    ok(&["bpe", "train", "-i", "t.txt", "--vocab-size", "300", "-o", "other"], d);
    let mut resume = vec!["--text", "t.txt", "-o", "sh", "--resume", "--tokenizer", "other.model"];
    resume.extend(["--max-steps", "2"]);
    fails(&resume, d, "trained with another tokenizer");
    std::fs::write(d.join("not.model"), "hello\n").unwrap();
    fails(
        &["--text", "t.txt", "--tokenizer", "not.model", "-o", "new", "--max-steps", "2"],
        d,
        "not.model",
    );
    assert!(!d.join("new").exists(), "a failed run left new/ behind");
    // a block size longer than the validation text is said in tokens
    let mut long = vec!["--text", "t.txt", "--tokenizer", "other.model", "-o", "long"];
    long.extend(["--block-size", "100000", "--max-steps", "2"]);
    fails(&long, d, "tokens: use a block size below that");
}

#[test]
fn bad_text_input_says_why_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty.txt"), "").unwrap();
    std::fs::write(d.join("bin.dat"), b"PK\x03\x04\x00\x00binary").unwrap();
    std::fs::write(d.join("short.txt"), "to be or not to be, that is the question\n").unwrap();
    std::fs::write(d.join("w.txt"), "emma\nolivia\nava\nisabella\nsophia\n").unwrap();
    fn text(file: &str) -> Vec<&str> {
        vec!["--text", file, "-o", "out", "--max-steps", "2"]
    }
    fails(&text("empty.txt"), d, "empty.txt: it is empty");
    fails(&text("bin.dat"), d, "it is binary");
    fails(&text("missing.txt"), d, "missing.txt");
    let mut long = text("short.txt");
    long.extend(["--block-size", "8"]);
    fails(&long, d, "block size = 8 is invalid");
    let mut counts = text("short.txt");
    counts.extend(["--type", "counts", "--block-size", "2"]);
    fails(&counts, d, "not a text");
    let mut dropout = text("short.txt");
    dropout.extend(["--dropout", "1.5", "--block-size", "2"]);
    fails(&dropout, d, "dropout = 1.5");
    assert!(!d.join("out").exists(), "a failed run left out/ behind");
    // a model of words is not one of a text, and the other way round
    ok(&["-i", "w.txt", "-o", "words", "--type", "bigram", "--max-steps", "2", "-b", "2"], d);
    fails(&["--text", "short.txt", "-o", "words", "--sample-only"], d, "holds a model of words");
    fails(
        &["--text", "short.txt", "-o", "words", "--resume", "--block-size", "2"],
        d,
        "trained on words",
    );
    ok(
        &[
            "--text",
            "short.txt",
            "-o",
            "txt",
            "--type",
            "bigram",
            "--block-size",
            "2",
            "--max-steps",
            "2",
            "--eval-batches",
            "1",
        ],
        d,
    );
    fails(&["-i", "w.txt", "-o", "txt", "--sample-only"], d, "holds a model of a text");
    fails(&["-i", "w.txt", "-o", "txt", "--resume"], d, "trained on a text");
}
