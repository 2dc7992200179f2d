"""The lecture "Building makemore Part 3: Activations & Gradients, BatchNorm" (nn-zero-to-hero,
makemore_part3_bn.ipynb), run as notebooks/part3_batchnorm/01_batchnorm.ipynb runs it, on the
venv's torch: every value the notebook prints, for tests/notebooks.py to compare against.

    python tests/reference/part3.py data/names.txt target/part3_reference.json [--steps N]

The lecture seeds every draw (`g = torch.Generator().manual_seed(2147483647)`), so its code runs
unchanged here. The notebook tells the lecture's story of run A in steps, each at initialization
(the first minibatch's loss and hidden layer) before the final net trains: the init of each step
is the lecture's code at that point of the video, drawn from a fresh `g` in the lecture's order.
Run B (the 6-layer net) stops after step 1,000 as the lecture's notebook does (its `break`), once
with BatchNorm and once without.

`--steps N` trains run A N steps instead of the lecture's 200,000 (the learning rate decays at
100,000 in both; run B's break at step 1,000 is the same while N > 1,000): what `make test` runs
against the notebook run with the same N. The full run's values are committed in
tests/reference/part3_full.json (`make reference-full`), and the committed notebook's outputs,
made by the full run, are checked against them. The exercises (E01, E02) train 10,000 steps in both.
"""
import json
import random
import time

import torch
import torch.nn.functional as F

from part2 import SEED, build_dataset, command_line, first_prints  # the same split and contexts as part 2's


# ---- run A: the MLP of part 2, fixed step by step, at initialization ---------------------------

def init_a(stage, n_embd=10, n_hidden=200, vocab_size=27, block_size=3):
    """C, W1, b1, W2, b2 as the lecture draws them at each stage of the video (b1 is drawn from
    stage 'original' to 'kaiming' and not in the BatchNorm net)."""
    g = torch.Generator().manual_seed(SEED)
    fan_in = n_embd * block_size
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((fan_in, n_hidden), generator=g)
    b1 = torch.randn(n_hidden, generator=g)
    W2 = torch.randn((n_hidden, vocab_size), generator=g)
    b2 = torch.randn(vocab_size, generator=g)
    if stage in ('output', 'tanh', 'kaiming'):
        W2, b2 = W2 * 0.01, b2 * 0
    if stage == 'tanh':
        W1, b1 = W1 * 0.2, b1 * 0.01
    if stage == 'kaiming':
        W1, b1 = W1 * (5 / 3) / fan_in**0.5, b1 * 0.01
    return g, (C, W1, b1, W2, b2)


def first_step(stage, Xtr, Ytr):
    g, (C, W1, b1, W2, b2) = init_a(stage)
    ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]
    hpreact = C[Xb].view(32, -1) @ W1 + b1
    h = torch.tanh(hpreact)
    loss = F.cross_entropy(h @ W2 + b2, Yb)
    return {'loss': loss.item(), 'hpreact_std': hpreact.std().item(),
            'saturated': (h.abs() > 0.99).float().mean().item(),
            'dead': int((h.abs() > 0.99).all(0).sum().item())}


def train_a(Xtr, Ytr, max_steps):
    """The lecture's cells 6 and 7: the MLP with a BatchNorm layer, trained. Returns its tensors
    (C, W1, W2, b2, bngain, bnbias), its running statistics, the printed losses and the log10
    losses."""
    n_embd, n_hidden, vocab_size, block_size = 10, 200, 27, 3
    g = torch.Generator().manual_seed(SEED)
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5 / 3) / ((n_embd * block_size)**0.5)
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
    b2 = torch.randn(vocab_size, generator=g) * 0
    bngain = torch.ones((1, n_hidden))
    bnbias = torch.zeros((1, n_hidden))
    bnmean_running = torch.zeros((1, n_hidden))
    bnstd_running = torch.ones((1, n_hidden))
    parameters = [C, W1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    printed, lossi = [], []
    for i in range(max_steps):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        emb = C[Xb]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = embcat @ W1
        bnmeani = hpreact.mean(0, keepdim=True)
        bnstdi = hpreact.std(0, keepdim=True)
        hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
        with torch.no_grad():
            bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
            bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
        h = torch.tanh(hpreact)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Yb)
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 100000 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        if i % 10000 == 0:
            printed.append([i, loss.item()])
        lossi.append(loss.log10().item())
    return parameters, (bnmean_running, bnstd_running), printed, lossi, loss.item()


def train_stage(stage, Xtr, Ytr, Xdev, Ydev, max_steps):
    """A line of the lecture's loss log (its notebook's markdown): the net of `init_a(stage)`
    trained by the lecture's loop as it stood before BatchNorm (`hpreact = embcat @ W1 + b1`), the
    same steps and learning rates as run A; its train and val losses (the lecture's `split_loss`)."""
    g, parameters = init_a(stage)
    C, W1, b1, W2, b2 = parameters
    for p in parameters:
        p.requires_grad = True
    for i in range(max_steps):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        emb = C[Xb]
        embcat = emb.view(emb.shape[0], -1)
        hpreact = embcat @ W1 + b1
        h = torch.tanh(hpreact)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Yb)
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 100000 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
    with torch.no_grad():
        def split_loss(x, y):
            h = torch.tanh(C[x].view(x.shape[0], -1) @ W1 + b1)
            return F.cross_entropy(h @ W2 + b2, y).item()
        return {'train': split_loss(Xtr, Ytr), 'val': split_loss(Xdev, Ydev)}


def run_a(Xtr, Ytr, Xdev, Ydev, max_steps):
    """Run A trained (train_a), then the lecture's cells 9 and 10: the statistics of the whole
    training set against the running ones, and the losses with each."""
    t = time.time()
    parameters, (bnmean_running, bnstd_running), printed, _, _ = train_a(Xtr, Ytr, max_steps)
    C, W1, W2, b2, bngain, bnbias = parameters
    out = {'params': sum(p.nelement() for p in parameters)}
    out['seconds'] = time.time() - t
    out['printed'] = printed
    with torch.no_grad():
        hpreact = C[Xtr].view(Xtr.shape[0], -1) @ W1
        bnmean = hpreact.mean(0, keepdim=True)
        bnstd = hpreact.std(0, keepdim=True)
        out['calibrated_vs_running'] = [(bnmean - bnmean_running).abs().max().item(),
                                        (bnstd - bnstd_running).abs().max().item()]

        def split_loss(x, y, mean, std):
            hpreact = C[x].view(x.shape[0], -1) @ W1
            hpreact = bngain * (hpreact - mean) / std + bnbias
            return F.cross_entropy(torch.tanh(hpreact) @ W2 + b2, y).item()
        out['train'] = split_loss(Xtr, Ytr, bnmean_running, bnstd_running)
        out['val'] = split_loss(Xdev, Ydev, bnmean_running, bnstd_running)
        out['train_calibrated'] = split_loss(Xtr, Ytr, bnmean, bnstd)
        out['val_calibrated'] = split_loss(Xdev, Ydev, bnmean, bnstd)
    return out


def bonus():
    """The lecture's cells 23 and 24: the statistics of a Linear layer, and of Linear +
    BatchNorm, forward and backward."""
    g = torch.Generator().manual_seed(SEED)
    a = torch.randn((1000, 1), requires_grad=True, generator=g)
    b = torch.randn((1000, 1000), requires_grad=True, generator=g)
    c = b @ a
    loss = torch.randn(1000, generator=g) @ c
    c.retain_grad()
    loss.backward()
    linear = [a.std().item(), b.std().item(), c.std().item(),
              c.grad.std().item(), a.grad.std().item(), b.grad.std().item()]
    g = torch.Generator().manual_seed(SEED)
    n = 1000
    inp = torch.randn(n, requires_grad=True, generator=g)
    w = torch.randn((n, n), requires_grad=True, generator=g)
    x = w @ inp
    xmean = x.mean()
    xvar = x.var()
    out = (x - xmean) / torch.sqrt(xvar + 1e-5)
    loss = out @ torch.randn(n, generator=g)
    x.retain_grad()
    out.retain_grad()
    loss.backward()
    bn = [inp.std().item(), w.std().item(), x.std().item(), out.std().item(),
          out.grad.std().item(), x.grad.std().item(), w.grad.std().item(), inp.grad.std().item()]
    return {'linear': linear, 'batchnorm': bn}


# ---- run B: the lecture's classes, a 6-layer net ------------------------------------------------

class Linear:
    def __init__(self, fan_in, fan_out, g, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=g) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        if self.training:
            xmean = x.mean(0, keepdim=True)
            xvar = x.var(0, keepdim=True)
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


def deep_net(batchnorm, n_embd=10, n_hidden=100, vocab_size=27, block_size=3):
    """The lecture's cell 13: the 6-layer net with BatchNorm, or its commented-out version
    without (the last layer made less confident through its weight, the others with gain 5/3)."""
    g = torch.Generator().manual_seed(SEED)
    C = torch.randn((vocab_size, n_embd), generator=g)
    sizes = [n_embd * block_size] + [n_hidden] * 5 + [vocab_size]
    layers = []
    for k in range(6):
        layers.append(Linear(sizes[k], sizes[k + 1], g, bias=not batchnorm))
        if batchnorm:
            layers.append(BatchNorm1d(sizes[k + 1]))
        if k < 5:
            layers.append(Tanh())
    with torch.no_grad():
        if batchnorm:
            layers[-1].gamma *= 0.1
        else:
            layers[-1].weight *= 0.1
        for layer in layers[:-1]:
            if isinstance(layer, Linear):
                layer.weight *= 1.0 if batchnorm else 5 / 3
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True
    return g, C, layers, parameters


def train_deep(g, C, layers, parameters, Xtr, Ytr, max_steps, stop_after=None, lr_at=None, every=10000):
    """The lecture's cell 14; `stop_after` is its `break` (step 1,000)."""
    lr_at = lr_at or (lambda i: 0.1 if i < 150000 else 0.01)
    printed, lossi, ud = [], [], []
    for i in range(max_steps):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        emb = C[Xb]
        x = emb.view(emb.shape[0], -1)
        for layer in layers:
            x = layer(x)
        loss = F.cross_entropy(x, Yb)
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = lr_at(i)
        for p in parameters:
            p.data += -lr * p.grad
        if i % every == 0:
            printed.append([i, loss.item()])
        lossi.append(loss.log10().item())
        with torch.no_grad():
            ud.append([((lr * p.grad).std() / p.data.std()).log10().item() for p in parameters])
        if stop_after is not None and i >= stop_after:
            break
    return printed, lossi, ud, loss.item()


def diagnostics(layers, parameters, ud):
    forward, backward, weights = [], [], []
    for i, layer in enumerate(layers[:-1]):
        if isinstance(layer, Tanh):
            t = layer.out
            forward.append([i, t.mean().item(), t.std().item(), ((t.abs() > 0.97).float().mean() * 100).item()])
            t = layer.out.grad
            backward.append([i, t.mean().item(), t.std().item()])
    for i, p in enumerate(parameters):
        if p.ndim == 2:
            t = p.grad
            weights.append([list(p.shape), t.mean().item(), t.std().item(), (t.std() / p.std()).item()])
    last_ud = [ud[-1][i] for i, p in enumerate(parameters) if p.ndim == 2]
    return {'forward': forward, 'backward': backward, 'weights': weights, 'last_ud': last_ud}


@torch.no_grad()
def deep_loss(C, layers, x, y):
    x = C[x].view(x.shape[0], -1)
    for layer in layers:
        x = layer(x)
    return F.cross_entropy(x, y).item()


@torch.no_grad()
def deep_samples(C, layers, itos, n=20, block_size=3):
    g = torch.Generator().manual_seed(SEED + 10)
    names = []
    for _ in range(n):
        out, context = [], [0] * block_size
        while True:
            x = C[torch.tensor([context])].view(1, -1)
            for layer in layers:
                x = layer(x)
            ix = torch.multinomial(F.softmax(x, dim=1), num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        names.append(''.join(itos[i] for i in out))
    return names


def run_b(batchnorm, Xtr, Ytr, Xdev, Ydev, itos, max_steps):
    g, C, layers, parameters = deep_net(batchnorm)
    out = {'params': sum(p.nelement() for p in parameters)}
    printed, lossi, ud, _ = train_deep(g, C, layers, parameters, Xtr, Ytr, max_steps, stop_after=1000)
    out.update(diagnostics(layers, parameters, ud))
    out['printed'] = printed
    out['steps'] = len(lossi)
    for layer in layers:
        layer.training = False
    out['train'] = deep_loss(C, layers, Xtr, Ytr)
    out['val'] = deep_loss(C, layers, Xdev, Ydev)
    out['samples'] = deep_samples(C, layers, itos)
    return out


# ---- the exercises ----------------------------------------------------------------------------

def e01(Xtr, Ytr, Xdev, Ydev, steps=10000):
    """E01: run B's net without BatchNorm, every weight and bias (and C) set to zero, trained at lr
    0.1: which parameters move, and the losses against the unigram model's (the frequencies)."""
    g, C, layers, parameters = deep_net(False)
    with torch.no_grad():
        for p in parameters:
            p.zero_()
    before = [p.detach().clone() for p in parameters]
    printed, _, _, _ = train_deep(g, C, layers, parameters, Xtr, Ytr, steps, lr_at=lambda i: 0.1, every=1000)
    moved = [i for i, (p, b) in enumerate(zip(parameters, before)) if not torch.equal(p.detach(), b)]
    freq = torch.bincount(Ytr, minlength=27).float() / Ytr.shape[0]
    unigram = {'train': -freq.log()[Ytr].mean().item(), 'val': -freq.log()[Ydev].mean().item()}
    return {'printed': printed, 'moved': moved, 'n_params': len(parameters),
            'train': deep_loss(C, layers, Xtr, Ytr), 'val': deep_loss(C, layers, Xdev, Ydev),
            'unigram': unigram}


class Affine:
    """`x @ weight + bias`: a Linear layer with given tensors."""
    def __init__(self, weight, bias):
        self.weight, self.bias = weight, bias

    def __call__(self, x):
        return x @ self.weight + self.bias


def e02(Xtr, Ytr, Xdev, Ydev, steps=10000):
    """E02: a 3-layer MLP with BatchNorm after each Linear, trained; each BatchNorm folded into
    the Linear before it; the dev loss both ways and the largest logit difference."""
    g = torch.Generator().manual_seed(SEED)
    C = torch.randn((27, 10), generator=g)
    layers = [Linear(30, 100, g, bias=False), BatchNorm1d(100), Tanh(),
              Linear(100, 100, g, bias=False), BatchNorm1d(100), Tanh(),
              Linear(100, 27, g, bias=False), BatchNorm1d(27)]
    with torch.no_grad():
        layers[-1].gamma *= 0.1
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True
    printed, _, _, _ = train_deep(g, C, layers, parameters, Xtr, Ytr, steps, lr_at=lambda i: 0.1, every=1000)
    for layer in layers:
        layer.training = False
    with torch.no_grad():
        folded = []
        for layer in layers:
            if isinstance(layer, BatchNorm1d):
                lin = folded[-1]
                scale = layer.gamma / torch.sqrt(layer.running_var + layer.eps)
                folded[-1] = Affine(lin.weight * scale, layer.beta - layer.running_mean * scale)
            else:
                folded.append(layer)
        x = C[Xdev].view(Xdev.shape[0], -1)
        a, b = x, x
        for layer in layers:
            a = layer(a)
        for layer in folded:
            b = layer(b)
    return {'printed': printed, 'val': F.cross_entropy(a, Ydev).item(), 'val_folded': F.cross_entropy(b, Ydev).item(),
            'max_diff': (a - b).abs().max().item(), 'layers': len(layers), 'folded_layers': len(folded)}


def data(names_path):
    words = open(names_path, 'r').read().splitlines()
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}
    random.seed(42)
    random.shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    splits = [build_dataset(words[:n1], stoi), build_dataset(words[n1:n2], stoi), build_dataset(words[n2:], stoi)]
    return words, stoi, itos, splits


def main(names_path, out_path, max_steps=200000):
    torch.set_num_threads(2)
    _, _, itos, [(Xtr, Ytr), (Xdev, Ydev), _] = data(names_path)
    ref = {'steps': max_steps, 'torch': torch.__version__, 'split_examples': [Xtr.shape[0], Xdev.shape[0]],
           'top': first_prints(names_path)}
    ref['init'] = {stage: first_step(stage, Xtr, Ytr) for stage in ('original', 'output', 'tanh', 'kaiming')}
    t = time.time()
    ref['bonus'] = bonus()
    ref['b_bn'] = run_b(True, Xtr, Ytr, Xdev, Ydev, itos, max_steps)
    ref['b_plain'] = run_b(False, Xtr, Ytr, Xdev, Ydev, itos, max_steps)
    ref['b_seconds'] = time.time() - t
    ref['e01'] = e01(Xtr, Ytr, Xdev, Ydev)
    ref['e02'] = e02(Xtr, Ytr, Xdev, Ydev)
    ref['a'] = run_a(Xtr, Ytr, Xdev, Ydev, max_steps)
    t = time.time()
    ref['stages'] = {stage: train_stage(stage, Xtr, Ytr, Xdev, Ydev, max_steps)
                     for stage in ('original', 'output', 'tanh', 'kaiming')}
    ref['stages_seconds'] = time.time() - t
    with open(out_path, 'w') as f:
        json.dump(ref, f, indent=1)
    a = ref['a']
    print(f'wrote {out_path}: run A train {a["train"]:.4f} val {a["val"]:.4f} ({a["seconds"]:.0f} s), '
          f'run B train {ref["b_bn"]["train"]:.4f} ({ref["b_seconds"]:.0f} s)')


if __name__ == '__main__':
    command_line(main)
