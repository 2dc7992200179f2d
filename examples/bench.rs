//! Times the crate on the lecture's operations, for `make bench` (scripts/bench.sh puts these
//! lines beside the Python ones from tests/reference/bench.py and prints the table).
//!
//! ```text
//! cargo run --release --example bench -- data/names.txt [REPS]    # timings, medians of REPS
//! cargo run --release --example bench -- data/names.txt REPS --one-thread  # one-hot, 1 thread
//! cargo run --release --example bench -- data/names.txt --rss onehot    # one training: peak RSS
//! cargo run --release --example bench -- data/names.txt REPS --mlp  # part 2's loop alone
//! cargo run --release --example bench -- data/names.txt REPS --part3  # part 3's loops alone
//! cargo run --release --example bench -- data/names.txt REPS --part4  # part 4's, and autograd's
//! cargo run --release --example bench -- data/names.txt REPS --part5  # part 5's loop alone
//! cargo run --release --example bench -- data/tinyshakespeare.txt REPS --gpt  # the GPT lecture's
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
    if args.iter().any(|a| a == "--gpt") {
        return gpt(path, args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5));
    }
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
    if args.iter().any(|a| a == "--part3") {
        return part3(&words, &vocab, reps);
    }
    if args.iter().any(|a| a == "--part4") {
        return part4(&words, &vocab, reps);
    }
    if args.iter().any(|a| a == "--part5") {
        return part5(&words, &vocab, reps);
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

    // (9), (10) part 3: run A's loop and run B's, as notebooks/part3_batchnorm/01 writes them
    part3(&words, &vocab, reps)?;
    part4(&words, &vocab, reps)?;
    part5(&words, &vocab, reps)
}

fn part3(words: &[String], vocab: &Vocab, reps: usize) -> makemore::Result<()> {
    let (xtr, ytr) = contexts(&Split::python(words, 42).train, vocab, 3)?;
    let (s, loss) = timed(reps, || Ok(()), |()| bn_mlp(&xtr, &ytr))?;
    line("bn_mlp", s, format!("{loss:.9}"));
    let (s, loss) = timed(reps, || Ok(()), |()| deep(&xtr, &ytr))?;
    line("deep", s, format!("{loss:.9}"));
    Ok(())
}

/// (11) part 4: exercise 4's loop with the manual backward pass, and the same with autograd's.
fn part4(words: &[String], vocab: &Vocab, reps: usize) -> makemore::Result<()> {
    let (xtr, ytr) = contexts(&Split::python(words, 42).train, vocab, 3)?;
    for (name, manual) in [("manual", true), ("autograd", false)] {
        let (s, loss) = timed(reps, || Ok(()), |()| backprop(&xtr, &ytr, manual))?;
        line(name, s, format!("{loss:.9}"));
    }
    Ok(())
}

/// (12) part 5: the scaled-up WaveNet's loop, as notebooks/part5_wavenet/01 writes it.
fn part5(words: &[String], vocab: &Vocab, reps: usize) -> makemore::Result<()> {
    let (xtr, ytr) = contexts(&Split::python(words, 42).train, vocab, 8)?;
    let (s, loss) = timed(reps, || Ok(()), |()| wavenet(&xtr, &ytr))?;
    line("wavenet", s, format!("{loss:.9}"));
    Ok(())
}

/// Part 5's last run: the hierarchical net of the crate's layers (n_embd 24, n_hidden 128; 76,579
/// parameters) from `manual_seed(42)`, MLP_STEPS steps at lr 0.1; the last loss.
fn wavenet(xtr: &Tensor, ytr: &Tensor) -> makemore::Result<f64> {
    use makemore::handmade::layers::{
        BatchNorm1d, Embedding, FlattenConsecutive, Layer, Linear, Sequential, Tanh,
    };
    manual_seed(42);
    let mut layers: Vec<Box<dyn Layer>> = vec![Box::new(Embedding::new(27, 24))];
    let mut fan_in = 24;
    for _ in 0..3 {
        layers.push(Box::new(FlattenConsecutive::new(2)));
        layers.push(Box::new(Linear::new(fan_in * 2, 128, false)));
        layers.push(Box::new(BatchNorm1d::new(128)));
        layers.push(Box::new(Tanh::default()));
        fan_in = 128;
    }
    let mut head = Linear::new(128, 27, true);
    head.weight *= 0.1; // the last layer less confident
    layers.push(Box::new(head));
    let mut net = Sequential::new(layers);
    let params: Vec<Tensor> = net.parameters().iter().map(|p| p.set_requires_grad(true)).collect();
    let mut last = 0.0;
    for _ in 0..MLP_STEPS {
        let ix = Tensor::randint(ytr.size()[0], [32], (Kind::Int64, Device::Cpu));
        let (xb, yb) = (xtr.index_select(0, &ix), ytr.index_select(0, &ix));
        let loss = cross_entropy(&net.forward(&xb)?, &yb)?;
        sgd(&params, &loss, 0.1);
        last = loss.double_value(&[]);
    }
    Ok(last)
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
        sgd(&params, &loss, 0.1);
        last = loss.double_value(&[]);
    }
    Ok(last)
}

/// The lecture's update: zero the gradients, `loss.backward()`, `p.data += -lr * p.grad`.
fn sgd(params: &[Tensor], loss: &Tensor, lr: f64) {
    for p in params {
        p.shallow_clone().zero_grad();
    }
    loss.backward();
    no_grad(|| {
        for p in params {
            let mut p = p.shallow_clone();
            p += -lr * p.grad();
        }
    });
}

fn randn(shape: &[i64]) -> Tensor {
    Tensor::randn(shape, (Kind::Float, Device::Cpu))
}

/// Part 3's run A: the MLP with BatchNorm written by hand (no `b1`), MLP_STEPS steps at lr 0.1,
/// the running statistics updated every step; the last loss.
fn bn_mlp(xtr: &Tensor, ytr: &Tensor) -> makemore::Result<f64> {
    let opts = (Kind::Float, Device::Cpu);
    manual_seed(SEED);
    let c = randn(&[27, 10]);
    let w1 = randn(&[30, 200]) * (5.0 / 3.0) / 30f64.sqrt();
    let w2 = randn(&[200, 27]) * 0.01;
    let b2 = randn(&[27]) * 0.0;
    let (bngain, bnbias) = (Tensor::ones([1, 200], opts), Tensor::zeros([1, 200], opts));
    let (mut mean_running, mut std_running) =
        (Tensor::zeros([1, 200], opts), Tensor::ones([1, 200], opts));
    let params: Vec<Tensor> =
        [&c, &w1, &w2, &b2, &bngain, &bnbias].iter().map(|p| p.set_requires_grad(true)).collect();
    let mut last = 0.0;
    for _ in 0..MLP_STEPS {
        let ix = Tensor::randint(ytr.size()[0], [32], (Kind::Int64, Device::Cpu));
        let (xb, yb) = (xtr.index_select(0, &ix), ytr.index_select(0, &ix));
        let hpreact = lookup(&c, &xb)?.view([32, -1]).matmul(&w1);
        let (meani, stdi) =
            (hpreact.mean_dim(0, true, Kind::Float), hpreact.std_dim(0, true, true));
        let hpreact = &bngain * (hpreact - &meani) / &stdi + &bnbias;
        no_grad(|| {
            mean_running = 0.999 * &mean_running + 0.001 * &meani;
            std_running = 0.999 * &std_running + 0.001 * &stdi;
        });
        let loss = cross_entropy(&(hpreact.tanh().matmul(&w2) + &b2), &yb)?;
        sgd(&params, &loss, 0.1);
        last = loss.double_value(&[]);
    }
    Ok(last)
}

/// Part 3's run B: the 6-layer net with BatchNorm (the crate's layers), to the lecture's break
/// after step 1,000, with its trackers: the layers' output gradients and the update:data ratios.
fn deep(xtr: &Tensor, ytr: &Tensor) -> makemore::Result<f64> {
    use makemore::handmade::layers::{gradients, BatchNorm1d, Layer, Linear, Tanh};
    manual_seed(SEED);
    let c = randn(&[27, 10]);
    let sizes = [30, 100, 100, 100, 100, 100, 27];
    let mut layers: Vec<Box<dyn Layer>> = Vec::new();
    for k in 0..6 {
        layers.push(Box::new(Linear::new(sizes[k], sizes[k + 1], false)));
        let mut bn = BatchNorm1d::new(sizes[k + 1]);
        if k == 5 {
            bn.gamma *= 0.1;
        }
        layers.push(Box::new(bn));
        if k < 5 {
            layers.push(Box::new(Tanh::default()));
        }
    }
    let params: Vec<Tensor> = std::iter::once(c.shallow_clone())
        .chain(layers.iter().flat_map(|l| l.parameters()))
        .map(|p| p.set_requires_grad(true))
        .collect();
    let (mut last, mut ud) = (0.0, Vec::new());
    for _ in 0..=1000 {
        let ix = Tensor::randint(ytr.size()[0], [32], (Kind::Int64, Device::Cpu));
        let (xb, yb) = (xtr.index_select(0, &ix), ytr.index_select(0, &ix));
        let mut x = lookup(&c, &xb)?.view([32, -1]);
        for layer in layers.iter_mut() {
            x = layer.forward(&x)?;
        }
        let loss = cross_entropy(&x, &yb)?;
        let outs: Vec<Tensor> =
            layers.iter().filter_map(|l| l.out().map(Tensor::shallow_clone)).collect();
        let grads = gradients(&loss, &params.iter().chain(&outs).collect::<Vec<_>>())?;
        no_grad(|| {
            for (p, g) in params.iter().zip(&grads) {
                let mut p = p.shallow_clone();
                p += -0.1 * g;
            }
        });
        last = loss.double_value(&[]);
        ud.push(no_grad(|| {
            params
                .iter()
                .zip(&grads)
                .map(|(p, g)| ((g * 0.1).std(true) / p.std(true)).log10().double_value(&[]))
                .collect::<Vec<f64>>()
        }));
    }
    Ok(last)
}

/// Part 4's exercise 4: the 12,297-parameter net, MLP_STEPS steps at lr 0.1, with the manual
/// backward pass of notebooks/part4_backprop/01 under `no_grad`, or with `backward()`; the last
/// loss.
fn backprop(xtr: &Tensor, ytr: &Tensor, manual: bool) -> makemore::Result<f64> {
    manual_seed(SEED);
    let p: Vec<Tensor> = vec![
        randn(&[27, 10]),
        randn(&[30, 200]) * (5.0 / 3.0) / 30f64.sqrt(),
        randn(&[200]) * 0.1,
        randn(&[200, 27]) * 0.1,
        randn(&[27]) * 0.1,
        randn(&[1, 200]) * 0.1 + 1.0,
        randn(&[1, 200]) * 0.1,
    ];
    let p: Vec<Tensor> = p.into_iter().map(|t| t.set_requires_grad(true)).collect();
    let n = 32i64;
    let mut last = 0.0;
    for _ in 0..MLP_STEPS {
        let _guard = manual.then(makemore::tch::no_grad_guard);
        let ix = Tensor::randint(ytr.size()[0], [n], (Kind::Int64, Device::Cpu));
        let (xb, yb) = (xtr.index_select(0, &ix), ytr.index_select(0, &ix));
        let emb = lookup(&p[0], &xb)?;
        let embcat = emb.view([n, -1]);
        let hprebn = embcat.matmul(&p[1]) + &p[2];
        let bnmean = hprebn.mean_dim(0, true, Kind::Float);
        let bnvar_inv = (hprebn.var_dim(0, true, true) + 1e-5).pow_tensor_scalar(-0.5);
        let bnraw = (&hprebn - &bnmean) * &bnvar_inv;
        let h = (&p[5] * &bnraw + &p[6]).tanh();
        let logits = h.matmul(&p[3]) + &p[4];
        let loss = cross_entropy(&logits, &yb)?;
        let grads = if manual {
            let mut dlogits = logits.softmax(1, Kind::Float);
            let picked = makemore::pick(&dlogits, &yb)? - 1.0;
            let rows = Tensor::arange(n, (Kind::Int64, Device::Cpu));
            let _ = dlogits.index_put_(&[Some(rows), Some(yb.shallow_clone())], &picked, false);
            let dlogits = dlogits / n;
            let dh = dlogits.matmul(&p[3].tr());
            let dhpreact = (1.0 - h.pow_tensor_scalar(2)) * dh;
            let nf = n as f64;
            let sum0 = |t: &Tensor| t.sum_dim_intlist(0, false, Kind::Float);
            let dhprebn = &p[5] * &bnvar_inv / nf
                * (nf * &dhpreact
                    - sum0(&dhpreact)
                    - (nf / (nf - 1.0)) * &bnraw * sum0(&(&dhpreact * &bnraw)));
            let demb = dhprebn.matmul(&p[1].tr()).view([-1, 10]);
            vec![
                p[0].zeros_like().index_add(0, &xb.view([-1]), &demb),
                embcat.tr().matmul(&dhprebn),
                sum0(&dhprebn),
                h.tr().matmul(&dlogits),
                sum0(&dlogits),
                (&bnraw * &dhpreact).sum_dim_intlist(0, true, Kind::Float),
                dhpreact.sum_dim_intlist(0, true, Kind::Float),
            ]
        } else {
            for t in &p {
                t.shallow_clone().zero_grad();
            }
            loss.backward();
            p.iter().map(Tensor::grad).collect()
        };
        no_grad(|| {
            for (t, g) in p.iter().zip(&grads) {
                let mut t = t.shallow_clone();
                t += -0.1 * g;
            }
        });
        last = loss.double_value(&[]);
    }
    Ok(last)
}

/// (14), (15) the GPT lecture: its final small model (batch 16, block 32, 209,729 parameters)
/// GPT_STEPS steps, and gpt.py's (batch 64, block 256, dropout 0.2, 10,788,929 parameters)
/// GPT_BIG_STEPS steps: the zoo's `gpt` (the same weights from `manual_seed(1337)`, fused
/// attention), the lecture's batches and AdamW, no evaluation; the last loss.
fn gpt(path: &str, reps: usize) -> makemore::Result<()> {
    use makemore::{AdamW, LanguageModel, Model, ModelConfig, ModelType};
    let text = makemore::read_text(path)?;
    let vocab = Vocab::from_text(&text)?;
    let data = Tensor::from_slice(&vocab.encode_text(&text)?);
    let train = data.narrow(0, 0, (0.9 * data.size()[0] as f64) as i64);
    for (op, batch, block, n_embd, n_head, n_layer, dropout, lr, steps) in [
        ("gpt_small", 16, 32, 64, 4, 4, 0.0, 1e-3, GPT_STEPS),
        ("gpt_big", 64, 256, 384, 6, 6, 0.2, 3e-4, GPT_BIG_STEPS),
    ] {
        let cfg = ModelConfig::default().with("n_embd", n_embd).with("n_head", n_head);
        let cfg = cfg.with("n_layer", n_layer).with("dropout", dropout);
        let setup = || {
            manual_seed(1337);
            let model = Model::new(ModelType::Gpt, &vocab, block as usize, &cfg, Device::Cpu)?;
            let optimizer = AdamW::new(&model.parameters(), lr)?;
            Ok((model, optimizer))
        };
        let (s, loss) = timed(reps, setup, |(model, mut optimizer)| {
            let mut last = 0.0;
            for _ in 0..steps {
                let ix =
                    Tensor::randint(train.size()[0] - block, [batch], (Kind::Int64, Device::Cpu));
                let ix = ix.unsqueeze(1) + Tensor::arange(block, (Kind::Int64, Device::Cpu));
                let (x, y) = (train.take(&ix), train.take(&(ix + 1)));
                let loss = model.loss(&x, &y)?;
                optimizer.zero_grad();
                loss.backward();
                optimizer.step()?;
                last = loss.double_value(&[]);
            }
            Ok(last)
        })?;
        line(op, s, format!("{loss:.9}"));
    }
    Ok(())
}

/// Steps of the GPT lecture's small model, and of gpt.py's 10.8 M model (bench.py's).
const GPT_STEPS: usize = 500;
const GPT_BIG_STEPS: usize = 20;
