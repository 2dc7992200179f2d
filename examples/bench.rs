//! Times the crate on the lecture's operations, for `make bench` (scripts/bench.sh puts these
//! lines beside the Python ones from tests/reference/bench.py and prints the table).
//!
//! ```text
//! cargo run --release --example bench -- data/names.txt [REPS]    # timings, medians of REPS
//! cargo run --release --example bench -- data/names.txt REPS --one-thread  # one-hot, 1 thread
//! cargo run --release --example bench -- data/names.txt --rss onehot    # one training: peak RSS
//! cargo run --release --example bench -- data/names.txt REPS --mlp  # part 2's loop alone
//! ```
//!
//! Each line is `rs<TAB>operation<TAB>median seconds<TAB>result`; the result is the final loss, or
//! a digest of the sampled names, that must equal the Python one.

use std::time::Instant;

use makemore::tch::{Device, Kind, Tensor};
use makemore::{
    contexts, count_bigrams, cross_entropy, lookup, manual_seed, nll, no_grad, read_words, sample,
    CountModel, Dataset, Method, NeuralModel, Split, TrainConfig, Vocab, SEED,
};

/// Names sampled from the count model.
const SAMPLES: usize = 1000;

/// Runs `f` `reps` times (after `setup`, which is not timed); the median seconds and the last
/// result.
fn timed<S, T>(
    reps: usize,
    mut setup: impl FnMut() -> makemore::Result<S>,
    mut f: impl FnMut(S) -> makemore::Result<T>,
) -> makemore::Result<(f64, T)> {
    let mut times = Vec::with_capacity(reps);
    let mut out = None;
    for _ in 0..reps.max(1) {
        let s = setup()?;
        let t = Instant::now();
        out = Some(f(s)?);
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    let median =
        if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2.0 };
    Ok((median, out.expect("at least one repetition")))
}

fn line(op: &str, seconds: f64, result: impl std::fmt::Display) {
    println!("rs\t{op}\t{seconds:.9}\t{result}");
}

/// FNV-1a (64-bit) of the names joined by newlines, as tests/reference/bench.py computes it.
fn digest(names: &[String]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in names.join("\n").bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// Peak resident set size of this process (VmHWM), in KiB.
fn peak_rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(-1)
}

fn method(name: &str) -> Option<Method> {
    match name {
        "onehot" => Some(Method::OneHot),
        "index" => Some(Method::Index),
        "cross_entropy" => Some(Method::CrossEntropy),
        "counts" => Some(Method::Counts),
        _ => None,
    }
}

/// 100 lecture steps from the lecture's `W` with `method`: the median seconds and final loss.
fn train(
    words: &[String],
    vocab: &Vocab,
    reps: usize,
    method: Method,
    suffix: &str,
) -> makemore::Result<()> {
    let data = Dataset::new(words, vocab, 1)?;
    let cfg = TrainConfig { method, ..TrainConfig::default() };
    let threads = makemore::tch::get_num_threads();
    makemore::tch::set_num_threads(method.threads().unwrap_or(threads));
    let timing = timed(reps, || NeuralModel::new(vocab, 1, SEED), |mut net| net.train(&data, &cfg));
    makemore::tch::set_num_threads(threads);
    let (s, losses) = timing?;
    let name = format!("train_{method:?}{suffix}").to_lowercase();
    line(&name, s, format!("{:.9}", losses[losses.len() - 1]));
    Ok(())
}

fn main() -> makemore::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map_or("data/names.txt", String::as_str);
    let words = read_words(path)?;
    let vocab = Vocab::from_words(&words)?;

    if args.get(2).map(String::as_str) == Some("--rss") {
        // One training and nothing else, in its own process: its peak RSS.
        let m = args.get(3).and_then(|m| method(m)).unwrap_or(Method::OneHot);
        let data = Dataset::new(&words, &vocab, 1)?;
        let mut net = NeuralModel::new(&vocab, 1, SEED)?;
        let cfg = TrainConfig { method: m, ..TrainConfig::default() };
        let losses = net.train(&data, &cfg)?;
        line("rss_train_kib", 0.0, peak_rss_kib());
        line("rss_train_loss", 0.0, format!("{:.9}", losses[losses.len() - 1]));
        return Ok(());
    }
    let reps = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    if args.iter().any(|a| a == "--mlp") {
        // part 2's loop alone, as bench.py --mlp
        let (s, loss) = timed(reps, || Ok(()), |()| mlp(&words, &vocab))?;
        line("mlp", s, format!("{loss:.9}"));
        return Ok(());
    }
    if args.iter().any(|a| a == "--one-thread") {
        // The lecture's one-hot loop with torch on one thread, as bench.py --one-thread.
        makemore::tch::set_num_threads(1);
        return train(&words, &vocab, reps, Method::OneHot, "_1t");
    }
    line("threads", 0.0, makemore::tch::get_num_threads());

    // (1) counting bigrams
    let (s, n) = timed(reps, || Ok(()), |()| count_bigrams(&words, &vocab))?;
    line("count", s, n.sum(Kind::Int64).int64_value(&[]));

    // (2) mean NLL of the add-1 model over the whole dataset
    let model = CountModel::fit(&words, &vocab, 1, 1.0)?;
    let (s, loss) = timed(reps, || Ok(()), |()| nll(&model, &words))?;
    line("nll", s, format!("{loss:.9}"));

    // (3) sampling 1,000 names from the count model
    let (s, names) = timed(reps, || Ok(()), |()| sample(&model, SAMPLES, SEED))?;
    line("sample", s, digest(&names));
    // What torch's `exponential_()` alone takes for the V exponentials per character that
    // torch.multinomial draws (`sample` draws them from its own copy of the generator).
    let chars: usize = names.iter().map(|w| w.chars().count()).sum();
    let v = vocab.len() as i64;
    let (s, _) = timed(
        reps,
        || Ok(()),
        |()| {
            let mut q = Tensor::f_empty([chars as i64, v], (Kind::Float, Device::Cpu))?;
            Ok(q.f_exponential_(1.0)?)
        },
    )?;
    line("sample_rng", s, chars);

    // (4)-(6) 100 steps of gradient descent with each way of computing the loss
    for m in [Method::OneHot, Method::Index, Method::CrossEntropy, Method::Counts] {
        train(&words, &vocab, reps, m, "")?;
    }

    // (8) part 2: the MLP's minibatch loop, as notebooks/part2_mlp/01_mlp writes it
    let (s, loss) = timed(reps, || Ok(()), |()| mlp(&words, &vocab))?;
    line("mlp", s, format!("{loss:.9}"));
    Ok(())
}

/// Steps of part 2's final net.
const MLP_STEPS: usize = 10_000;

/// Part 2's loop: the final net (embeddings of 10, 200 hidden) drawn from torch's generator,
/// MLP_STEPS minibatch steps at lr 0.1 on the lecture's training split; the last loss.
fn mlp(words: &[String], vocab: &Vocab) -> makemore::Result<f64> {
    let (xtr, ytr) = contexts(&Split::python(words, 42).train, vocab, 3)?;
    let n = ytr.size()[0];
    manual_seed(SEED);
    let randn =
        |shape: &[i64]| Tensor::randn(shape, (Kind::Float, Device::Cpu)).set_requires_grad(true);
    let params =
        [randn(&[27, 10]), randn(&[30, 200]), randn(&[200]), randn(&[200, 27]), randn(&[27])];
    let mut last = 0.0;
    for _ in 0..MLP_STEPS {
        let ix = Tensor::randint(n, [32], (Kind::Int64, Device::Cpu));
        let (xb, yb) = (xtr.index_select(0, &ix), ytr.index_select(0, &ix));
        let emb = lookup(&params[0], &xb)?; // (32, 3, 10)
        let h = (emb.view([-1, 30]).matmul(&params[1]) + &params[2]).tanh();
        let loss = cross_entropy(&(h.matmul(&params[3]) + &params[4]), &yb)?;
        for p in &params {
            p.shallow_clone().zero_grad();
        }
        loss.backward();
        no_grad(|| {
            for p in &params {
                let mut p = p.shallow_clone();
                p += -0.1 * p.grad();
            }
        });
        last = loss.double_value(&[]);
    }
    Ok(last)
}
