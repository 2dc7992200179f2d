"""Times the lecture's own Python code (lecture.py) on names.txt, for `make bench`
(scripts/bench.sh joins these lines with the Rust ones from examples/bench.rs).

    python tests/reference/bench.py data/names.txt [REPS]               # one line per operation
    python tests/reference/bench.py data/names.txt [REPS] --one-thread  # training on 1 thread
    python tests/reference/bench.py data/names.txt --rss                # one training: peak RSS
    python tests/reference/bench.py data/names.txt REPS --part3         # part 3's loops alone
    python tests/reference/bench.py data/names.txt REPS --part4         # part 4's loop alone
    python tests/reference/bench.py data/names.txt REPS --part5         # part 5's loop alone
    python tests/reference/bench.py data/tinyshakespeare.txt REPS --gpt # the GPT lecture's loops

Each line is `py<TAB>operation<TAB>median seconds<TAB>result`, where the result is the final loss
(or a digest of the sampled names) that the Rust side must reproduce.
"""
import statistics
import sys
import time

import torch

import lecture as L

STEPS = 100  # the lecture's 100 steps of gradient descent
SAMPLES = 1000  # names sampled from the count model


def timed(reps, fn):
    """Runs `fn` `reps` times; returns the median seconds and the last result."""
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def line(op, seconds, result):
    print(f'py\t{op}\t{seconds:.9f}\t{result}', flush=True)


def peak_rss_kib():
    """Peak resident set size of this process (VmHWM), in KiB."""
    with open('/proc/self/status') as f:
        for row in f:
            if row.startswith('VmHWM:'):
                return int(row.split()[1])
    return -1


def digest(names):
    """FNV-1a (64-bit) of the names joined by newlines: examples/bench.rs computes the same."""
    h = 0xcbf29ce484222325
    for b in '\n'.join(names).encode():
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return f'{h:016x}'


def main(path, reps):
    words = L.read_words(path)
    stoi, itos = L.build_vocab(words)
    line('threads', 0.0, torch.get_num_threads())

    # (1) counting bigrams into a torch tensor, one `N[ix1, ix2] += 1` at a time
    s, N = timed(reps, lambda: L.count_bigrams(words, stoi))
    line('count', s, int(N.sum()))

    # (2) mean NLL of the add-1 model, the lecture's loop (a float32 running sum)
    P = L.probs(N, 1)

    def nll():
        ll, n = L.nll(P, words, stoi)
        return (-ll / n).item()
    s, loss = timed(reps, nll)
    line('nll', s, f'{loss:.9f}')
    ll, n = L.nll(P.double(), words, stoi)  # the same loop in float64: what the Rust must match
    line('nll_f64', 0.0, f'{(-ll / n).item():.9f}')

    # (3) sampling 1,000 names from the count model
    s, names = timed(reps, lambda: L.sample_counts(P, itos, SAMPLES))
    line('sample', s, digest(names))

    # (4)-(6) 100 steps of gradient descent, the lecture's one-hot loop from the same W
    train(words, stoi, reps, 'train')

    # (8) part 2: the MLP's minibatch loop
    mlp(path, reps)

    # (9), (10) part 3: run A's loop (BatchNorm by hand), run B's (the 6-layer net, its trackers)
    part3(path, reps)

    # (11) part 4: exercise 4's loop, the manual backward pass
    part4(path, reps)
    part5(path, reps)


def train(words, stoi, reps, op):
    xs, ys = L.dataset(words, stoi)
    times, losses = [], None
    for _ in range(reps):
        W = L.init_weights()
        t = time.perf_counter()
        losses = L.train(xs, ys, W, steps=STEPS)
        times.append(time.perf_counter() - t)
    line(op, statistics.median(times), f'{losses[-1]:.9f}')


MLP_STEPS = 10000  # steps of part 2's final net


def mlp(path, reps):
    """Part 2's training loop (tests/reference/part2.py, the lecture's code with seeded batches):
    MLP_STEPS steps of the final net at lr 0.1 on the training split."""
    import random
    import part2 as P2
    words = L.read_words(path)
    stoi, _ = L.build_vocab(words)
    random.seed(42)
    random.shuffle(words)
    Xtr, Ytr = P2.build_dataset(words[:int(0.8 * len(words))], stoi)

    def run():
        g = torch.Generator().manual_seed(P2.SEED)
        parameters = P2.init(g, 10, 200)
        return P2.train(parameters, Xtr, Ytr, MLP_STEPS, lambda i: 0.1, g)[2]
    s, loss = timed(reps, run)
    line('mlp', s, f'{loss:.9f}')


def part3(path, reps):
    """Part 3's training loops (tests/reference/part3.py, the lecture's code): run A's first
    MLP_STEPS steps, and run B with BatchNorm to the lecture's break after step 1,000."""
    import part3 as P3
    _, _, _, [(Xtr, Ytr), _, _] = P3.data(path)
    s, loss = timed(reps, lambda: P3.train_a(Xtr, Ytr, MLP_STEPS)[4])
    line('bn_mlp', s, f'{loss:.9f}')

    def deep():
        g, C, layers, parameters = P3.deep_net(True)
        return P3.train_deep(g, C, layers, parameters, Xtr, Ytr, 200000, stop_after=1000)[3]
    s, loss = timed(reps, deep)
    line('deep', s, f'{loss:.9f}')


def part4(path, reps):
    """Part 4's exercise 4 (tests/reference/part4.py, the lecture's loop with its manual backward
    pass, `dC` by its two loops): MLP_STEPS steps, the loop alone timed."""
    import part4 as P4
    _, _, itos, [(Xtr, Ytr), (Xdev, Ydev), _] = P4.data(path)
    runs = [P4.exercise_4(Xtr, Ytr, Xdev, Ydev, itos, MLP_STEPS) for _ in range(reps)]
    line('manual', statistics.median(r['seconds'] for r in runs), f"{runs[-1]['last']:.9f}")


WAVENET_CLI_STEPS = 2000  # steps of the CLI's wavenet row, and of the lecture's loop beside it


def part5(path, reps):
    """Part 5's loop (tests/reference/part5.py, the lecture's code): the scaled-up hierarchical net
    (76,579 parameters) from torch.manual_seed(42), MLP_STEPS steps, and WAVENET_CLI_STEPS for
    the CLI's row; the loop alone timed."""
    import random
    import part5 as P5
    words = L.read_words(path)
    stoi, _ = L.build_vocab(words)
    random.seed(42)
    random.shuffle(words)
    Xtr, Ytr = P5.build_dataset(words[:int(0.8 * len(words))], stoi, 8)
    for op, steps in (('wavenet', MLP_STEPS), ('wavenet_cli', WAVENET_CLI_STEPS)):
        def run():
            torch.manual_seed(42)
            model, parameters = P5.make_model(*P5.RUNS[-1][1:])
            return P5.train(model, parameters, Xtr, Ytr, steps)[1]
        s, loss = timed(reps, run)
        line(op, s, f'{loss:.9f}')


GPT_STEPS = 500  # steps of the GPT lecture's small model (the lecture's final cell)
GPT_BIG_STEPS = 20  # steps of gpt.py's 10.8 M model


def gpt(path, reps):
    """The GPT lecture's loop (tests/reference/gpt.py, our code of the lecture): its final small
    model (209,729 parameters; batch 16, block 32) GPT_STEPS steps, and gpt.py's model (10,788,929;
    batch 64, block 256, dropout 0.2) GPT_BIG_STEPS steps, each from torch.manual_seed(1337),
    AdamW, no evaluation; the loop alone timed, the last loss."""
    import gpt as G
    text = open(path, encoding='utf-8').read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    train_data = data[:int(0.9 * len(data))]
    for op, (batch, block, n_embd, n_head, n_layer, dropout, lr, steps) in (
            ('gpt_small', (16, 32, 64, 4, 4, 0.0, 1e-3, GPT_STEPS)),
            ('gpt_big', (64, 256, 384, 6, 6, 0.2, 3e-4, GPT_BIG_STEPS))):
        def setup():
            torch.manual_seed(1337)
            model = G.GPTLanguageModel('layernorm', len(chars), n_embd, n_head, n_layer, block, dropout)
            return model, torch.optim.AdamW(model.parameters(), lr=lr)

        def run(model, optimizer):
            for _ in range(steps):
                ix = torch.randint(len(train_data) - block, (batch,))
                x = torch.stack([train_data[i:i + block] for i in ix])
                y = torch.stack([train_data[i + 1:i + block + 1] for i in ix])
                _, loss = model(x, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            return loss.item()
        times, loss = [], None
        for _ in range(reps):
            model, optimizer = setup()
            t = time.perf_counter()
            loss = run(model, optimizer)
            times.append(time.perf_counter() - t)
        line(op, statistics.median(times), f'{loss:.9f}')


def rss(path):
    """One 100-step training and nothing else, in its own process: its peak RSS."""
    words = L.read_words(path)
    stoi, _ = L.build_vocab(words)
    xs, ys = L.dataset(words, stoi)
    W = L.init_weights()
    losses = L.train(xs, ys, W, steps=STEPS)
    line('rss_train_kib', 0.0, peak_rss_kib())
    line('rss_train_loss', 0.0, f'{losses[-1]:.9f}')


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[2] == '--rss':
        rss(sys.argv[1])
    elif '--mlp' in sys.argv:  # part 2's loop alone: bench.py data/names.txt REPS --mlp
        mlp(sys.argv[1], int(sys.argv[2]))
    elif '--part3' in sys.argv:  # part 3's loops alone: bench.py data/names.txt REPS --part3
        part3(sys.argv[1], int(sys.argv[2]))
    elif '--part4' in sys.argv:  # part 4's loop alone
        part4(sys.argv[1], int(sys.argv[2]))
    elif '--part5' in sys.argv:  # part 5's loop alone
        part5(sys.argv[1], int(sys.argv[2]))
    elif '--gpt' in sys.argv:  # the GPT lecture's loops, on tiny Shakespeare
        gpt(sys.argv[1], int(sys.argv[2]))
    elif '--one-thread' in sys.argv:
        torch.set_num_threads(1)
        words = L.read_words(sys.argv[1])
        stoi, _ = L.build_vocab(words)
        train(words, stoi, int(sys.argv[2]) if sys.argv[2] != '--one-thread' else 5, 'train_1t')
    else:
        main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
