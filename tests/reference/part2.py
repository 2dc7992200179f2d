"""The lecture "Building makemore Part 2: MLP" (nn-zero-to-hero, makemore_part2_mlp.ipynb), run
as our notebook notebooks/08_mlp.ipynb runs it, on the venv's torch: every value the notebook
prints, for tests/notebooks.py to compare against.

    python tests/reference/part2.py data/names.txt target/part2_reference.json [--steps N]

The lecture's code, in its order, with one change that the notebook says too: the lecture draws
its scratch tensors and its minibatches (`torch.randn((27, 2))`, `torch.randint(0, n, (32,))`)
from torch's global generator without a seed, so its printed losses cannot be reproduced even in
Python. Here every draw comes from `g = torch.Generator().manual_seed(2147483647)`, made anew
before each experiment, as the lecture does for its final net.

`--steps N` trains the final net N steps instead of the lecture's 200,000 (the learning rate decays
at 100,000 in both): what `make test` runs against the notebook run with the same N. The full
run's values are committed in tests/reference/part2_full.json (`make reference-full`), and the
committed notebook's outputs, made by the full run, are checked against them.
"""
import argparse
import json
import random
import time

import torch
import torch.nn.functional as F

SEED = 2147483647


def first_prints(names_path):
    """What parts 3-5 print first, before the shuffle: len(words), the longest name, words[:8],
    itos (the lecture's dict, in its order) and vocab_size."""
    words = open(names_path, 'r').read().splitlines()
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}
    return {'len': len(words), 'longest': max(len(w) for w in words), 'first8': words[:8],
            'itos': list(itos.items()), 'vocab_size': len(itos)}


def build_dataset(words, stoi, block_size=3):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    return torch.tensor(X), torch.tensor(Y)


def init(g, n_embd, n_hidden, block_size=3):
    C = torch.randn((27, n_embd), generator=g)
    W1 = torch.randn((block_size * n_embd, n_hidden), generator=g)
    b1 = torch.randn(n_hidden, generator=g)
    W2 = torch.randn((n_hidden, 27), generator=g)
    b2 = torch.randn(27, generator=g)
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    return parameters


def forward(parameters, X):
    C, W1, b1, W2, b2 = parameters
    emb = C[X]  # (n, 3, n_embd)
    h = torch.tanh(emb.view(-1, W1.shape[0]) @ W1 + b1)  # (n, n_hidden)
    return h @ W2 + b2  # (n, 27)


def train(parameters, X, Y, steps, lr_at, g, batch=32, every=None):
    """The lecture's loop: a minibatch from g, forward, backward, update. Returns the log10 loss
    of every step and the loss printed every `every` steps."""
    lossi, printed = [], []
    for i in range(steps):
        ix = torch.randint(0, X.shape[0], (batch,), generator=g) if batch else None
        Xb, Yb = (X[ix], Y[ix]) if batch else (X, Y)
        loss = F.cross_entropy(forward(parameters, Xb), Yb)
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = lr_at(i)
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
        if every and i % every == 0:
            printed.append([i, loss.item()])
    return lossi, printed, loss.item()


@torch.no_grad()
def split_loss(parameters, X, Y):
    return F.cross_entropy(forward(parameters, X), Y).item()


def main(names_path, out_path, steps=200000):
    ref = {'steps': steps, 'torch': torch.__version__}
    words = open(names_path, 'r').read().splitlines()
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}

    # the dataset of the first 5 words, as the video builds it first: 32 examples
    X, Y = build_dataset(words[:5], stoi)
    ref['first5'] = {'X': X.tolist(), 'Y': Y.tolist()}
    g = torch.Generator().manual_seed(SEED)
    C = torch.randn((27, 2), generator=g)
    W1 = torch.randn((6, 100), generator=g)
    b1 = torch.randn(100, generator=g)
    W2 = torch.randn((100, 27), generator=g)
    b2 = torch.randn(27, generator=g)
    emb = C[X]
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)
    logits = h @ W2 + b2
    counts = logits.exp()
    prob = counts / counts.sum(1, keepdims=True)
    ref['scratch'] = {'loss_by_hand': (-prob[torch.arange(32), Y].log().mean()).item(),
                      'cross_entropy': F.cross_entropy(logits, Y).item()}

    # overfitting one batch: the 32 examples, full batch, 1,000 steps at lr 0.1
    g = torch.Generator().manual_seed(SEED)
    parameters = init(g, 2, 100)
    ref['small_params'] = sum(p.nelement() for p in parameters)
    _, printed, last = train(parameters, X, Y, 1000, lambda i: 0.1, g, batch=None, every=100)
    ref['overfit'] = {'printed': printed, 'last': last}

    # the split: random.seed(42), random.shuffle(words), 80/10/10
    random.seed(42)
    random.shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    Xtr, Ytr = build_dataset(words[:n1], stoi)
    Xdev, Ydev = build_dataset(words[n1:n2], stoi)
    Xte, Yte = build_dataset(words[n2:], stoi)
    ref['shuffled_first'] = words[:8]
    ref['split_examples'] = [Xtr.shape[0], Xdev.shape[0], Xte.shape[0]]
    # the lecture notebook shows 182441/22902/22803: its split cell run four times, each run
    # seeding 42 again and shuffling the words as the run before left them (three more here)
    again = list(words)
    for _ in range(3):
        random.seed(42)
        random.shuffle(again)
    m1, m2 = int(0.8 * len(again)), int(0.9 * len(again))
    ref['split_examples_cell_run_4_times'] = [build_dataset(part, stoi)[0].shape[0]
                                              for part in (again[:m1], again[m1:m2], again[m2:])]

    # finding a learning rate: 1,000 steps, the rate going from 10^-3 to 10^0
    g = torch.Generator().manual_seed(SEED)
    parameters = init(g, 2, 100)
    lre = torch.linspace(-3, 0, 1000)
    lrs = 10**lre
    lossi, _, _ = train(parameters, Xtr, Ytr, 1000, lambda i: lrs[i].item(), g)
    ref['lr_sweep'] = {'lre': lre.tolist(), 'log10_loss': lossi}

    # a bigger hidden layer (300), 2-D embeddings: 30,000 steps at 0.1, 10,000 at 0.01
    g = torch.Generator().manual_seed(SEED)
    parameters = init(g, 2, 300)
    ref['wide_params'] = sum(p.nelement() for p in parameters)
    _, printed, _ = train(parameters, Xtr, Ytr, 40000, lambda i: 0.1 if i < 30000 else 0.01, g,
                          every=10000)
    ref['wide'] = {'printed': printed, 'train': split_loss(parameters, Xtr, Ytr),
                   'dev': split_loss(parameters, Xdev, Ydev), 'C': parameters[0].tolist()}

    # the lecture's final net: embeddings of 10, 200 hidden, 200,000 steps (`steps`), 0.1 then 0.01
    g = torch.Generator().manual_seed(SEED)
    parameters = init(g, 10, 200)
    ref['params'] = sum(p.nelement() for p in parameters)
    t = time.time()
    lossi, printed, _ = train(parameters, Xtr, Ytr, steps, lambda i: 0.1 if i < 100000 else 0.01, g,
                              every=10000)
    ref['final'] = {'printed': printed, 'seconds': time.time() - t,
                    'train': split_loss(parameters, Xtr, Ytr), 'dev': split_loss(parameters, Xdev, Ydev),
                    'test': split_loss(parameters, Xte, Yte)}

    # sampling: 20 names from g seeded 2147483647 + 10
    C, W1, b1, W2, b2 = parameters
    # (before it, the lecture prints the shape of one context's embeddings)
    context = [0] * 3
    ref['context_emb_shape'] = list(C[torch.tensor([context])].shape)
    g = torch.Generator().manual_seed(SEED + 10)
    names = []
    for _ in range(20):
        out = []
        context = [0] * 3
        while True:
            emb = C[torch.tensor([context])]  # (1, 3, 10)
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            logits = h @ W2 + b2
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        names.append(''.join(itos[i] for i in out))
    ref['samples'] = names

    with open(out_path, 'w') as f:
        json.dump(ref, f, indent=1)
    print(f'wrote {out_path}: {ref["params"]} parameters, train {ref["final"]["train"]:.4f}, '
          f'dev {ref["final"]["dev"]:.4f} in {ref["final"]["seconds"]:.0f} s; {names[:3]}')


def command_line(main):
    """Parts 2-4's command line: `NAMES OUT [--steps N]`, then main(names, out, steps), the
    lecture's 200,000 steps unless told."""
    ap = argparse.ArgumentParser()
    ap.add_argument('names')
    ap.add_argument('out')
    ap.add_argument('--steps', type=int, default=200000)
    args = ap.parse_args()
    main(args.names, args.out, args.steps)


if __name__ == '__main__':
    command_line(main)
