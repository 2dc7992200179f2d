"""The lecture "Building makemore Part 5: Building a WaveNet" (nn-zero-to-hero,
makemore_part5_cnn1.ipynb), run as notebooks/part5_wavenet/01_wavenet.ipynb runs it, on the
venv's torch: every value the notebook prints, for tests/notebooks.py to compare against.

    python tests/reference/part5.py data/names.txt target/part5_reference.json [--steps N]

The lecture's notebook holds the code of its last step only; its performance log lists five
runs, each the code at that point of the video: (1) part 3's MLP as layers (context 3, 200
hidden), (2) context 8, (3) the hierarchical net (FlattenConsecutive(2) three times, 68 hidden)
with BatchNorm1d's statistics over the batch only (the bug), (4) the bug fixed, (5) n_embd 24,
n_hidden 128. Each starts from `torch.manual_seed(42)` and draws everything from torch's global
generator in the lecture's order: the weights, each step's batch, then the 20 samples.

`--steps N` trains each run N steps instead of the lecture's 200,000 (the learning rate decays
at 150,000 in both): what `make test` runs against the notebook run with the same N. The full
run's values are committed in tests/reference/part5_full.json (`make reference-full`), and the
committed notebook's outputs, made by the full runs, are checked against them.
"""
import argparse
import json
import random
import time

import torch
import torch.nn.functional as F

from part2 import build_dataset, first_prints  # the same contexts as parts 2-3 (block_size characters)


# ---- the lecture's layers (its cell 7), with the bug of run 3 as a switch ----------------------

class Linear:
    def __init__(self, fan_in, fan_out, bias=True):
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5  # note: kaiming init
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1, fixed=True):
        self.eps, self.momentum, self.training, self.fixed = eps, momentum, True, fixed
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if self.training:
            # the bug of run 3: a 3-D input's statistics over dim 0 only (one per position)
            dim = (0, 1) if x.ndim == 3 and self.fixed else 0
            xmean = x.mean(dim, keepdim=True)
            xvar = x.var(dim, keepdim=True)
        else:
            xmean = self.running_mean
            xvar = self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


class Embedding:
    def __init__(self, num_embeddings, embedding_dim):
        self.weight = torch.randn((num_embeddings, embedding_dim))

    def __call__(self, IX):
        self.out = self.weight[IX]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive:
    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        if x.shape[1] == 1:
            x = x.squeeze(1)
        self.out = x
        return self.out

    def parameters(self):
        return []


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return self.out

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


# ---- the five runs of the performance log -------------------------------------------------------

RUNS = [  # name, block_size, n_embd, n_hidden, hierarchical, BatchNorm fixed
    ('original', 3, 10, 200, False, True),
    ('context 8', 8, 10, 200, False, True),
    ('hierarchical', 8, 10, 68, True, False),
    ('batchnorm fixed', 8, 10, 68, True, True),
    ('scaled up', 8, 24, 128, True, True),
]


def make_model(block_size, n_embd, n_hidden, hierarchical, fixed, vocab_size=27):
    if hierarchical:
        layers = [Embedding(vocab_size, n_embd)]
        fan_in = n_embd
        for _ in range(3):  # block 8 = 2 * 2 * 2
            layers += [FlattenConsecutive(2), Linear(fan_in * 2, n_hidden, bias=False),
                       BatchNorm1d(n_hidden, fixed=fixed), Tanh()]
            fan_in = n_hidden
    else:
        layers = [Embedding(vocab_size, n_embd), FlattenConsecutive(block_size),
                  Linear(n_embd * block_size, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh()]
    model = Sequential(layers + [Linear(n_hidden, vocab_size)])
    with torch.no_grad():
        model.layers[-1].weight *= 0.1  # last layer make less confident
    parameters = model.parameters()
    for p in parameters:
        p.requires_grad = True
    return model, parameters


def train(model, parameters, Xtr, Ytr, max_steps, batch_size=32):
    """The lecture's loop; the losses it prints (every 10,000 steps) and the last step's."""
    printed = []
    for i in range(max_steps):
        ix = torch.randint(0, Xtr.shape[0], (batch_size,))
        Xb, Yb = Xtr[ix], Ytr[ix]
        logits = model(Xb)
        loss = F.cross_entropy(logits, Yb)
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 150000 else 0.01  # step learning rate decay
        for p in parameters:
            p.data += -lr * p.grad
        if i % 10000 == 0:
            printed.append([i, loss.item()])
    return printed, loss.item()


@torch.no_grad()
def split_loss(model, x, y):
    return F.cross_entropy(model(x), y).item()


@torch.no_grad()
def samples(model, itos, block_size, n=20):
    out_words = []
    for _ in range(n):
        out, context = [], [0] * block_size
        while True:
            logits = model(torch.tensor([context]))
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        out_words.append(''.join(itos[i] for i in out))
    return out_words


def run(spec, words, stoi, itos, max_steps):
    name, block_size, n_embd, n_hidden, hierarchical, fixed = spec
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    Xtr, Ytr = build_dataset(words[:n1], stoi, block_size)
    Xdev, Ydev = build_dataset(words[n1:n2], stoi, block_size)
    torch.manual_seed(42)
    model, parameters = make_model(block_size, n_embd, n_hidden, hierarchical, fixed)
    r = {'name': name, 'params': sum(p.nelement() for p in parameters)}
    t = time.time()
    r['printed'], _ = train(model, parameters, Xtr, Ytr, max_steps)
    seconds = time.time() - t
    bns = [l for l in model.layers if isinstance(l, BatchNorm1d)]
    r['running_mean_shapes'] = [list(l.running_mean.shape) for l in bns]
    for layer in model.layers:
        layer.training = False
    r['train'] = split_loss(model, Xtr, Ytr)
    r['val'] = split_loss(model, Xdev, Ydev)
    r['samples'] = samples(model, itos, block_size)
    with torch.no_grad():
        r['one_example_shape'] = list(model(Xtr[[7]]).shape)  # the lecture's "forward a single example"
    return r, seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('names')
    ap.add_argument('out')
    ap.add_argument('--steps', type=int, default=200000)
    args = ap.parse_args()
    torch.set_num_threads(2)
    words = open(args.names, 'r').read().splitlines()
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}
    random.seed(42)
    random.shuffle(words)
    ref = {'steps': args.steps, 'torch': torch.__version__, 'runs': [], 'top': first_prints(args.names)}
    Xtr, Ytr = build_dataset(words[:int(0.8 * len(words))], stoi, 8)
    ref['first_examples'] = [''.join(itos[i] for i in x.tolist()) + ' --> ' + itos[y.item()]
                             for x, y in zip(Xtr[:20], Ytr[:20])]
    for spec in RUNS:
        r, seconds = run(spec, words, stoi, itos, args.steps)
        print(f"{r['name']}: {r['params']} parameters, train {r['train']:.4f} val {r['val']:.4f} "
              f"({seconds:.0f} s)", flush=True)
        ref['runs'].append(r)
    with open(args.out, 'w') as f:
        json.dump(ref, f, indent=1)


if __name__ == '__main__':
    main()
