"""The lecture "Building makemore Part 4: Becoming a Backprop Ninja" (nn-zero-to-hero,
makemore_part4_backprop.ipynb), run as notebooks/part4_backprop/01_backprop_ninja.ipynb runs it,
on the venv's torch: every value the notebook prints, for tests/notebooks.py to compare against.

    python tests/reference/part4.py data/names.txt target/part4_reference.json [--steps N]

The lecture's code, in its order, with one change that the notebook says too: the lecture draws
`bngain` and `bnbias` from torch's global generator without a seed (`torch.randn((1, n_hidden))`),
so its numbers cannot be repeated even in Python; here they come from its seeded `g`, right
where the lecture draws them (after `b2`), in both the small net and exercise 4's.

`--steps N` trains exercise 4's net N steps instead of the lecture's 200,000 (the learning rate
decays at 100,000 in both): what `make test` runs against the notebook run with the same N. The
full run's values are committed in tests/reference/part4_full.json (`make reference-full`), and
the committed notebook's outputs, made by the full run, are checked against them.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit('/', 1)[0])
from part2 import command_line, first_prints  # noqa: E402
from part3 import SEED, data  # noqa: E402  the same split and contexts as parts 2 and 3


def init(n_embd, n_hidden, g, vocab_size=27, block_size=3):
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5 / 3) / ((n_embd * block_size)**0.5)
    b1 = torch.randn(n_hidden, generator=g) * 0.1
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
    b2 = torch.randn(vocab_size, generator=g) * 0.1
    bngain = torch.randn((1, n_hidden), generator=g) * 0.1 + 1.0  # the lecture: no generator
    bnbias = torch.randn((1, n_hidden), generator=g) * 0.1  # the lecture: no generator
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    return parameters


def dC_by_loops(C, Xb, demb):
    """The lecture's two loops: each row of `demb` added into the row of `C` it was read from."""
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    return dC


def cmp(dt, t):
    return [bool(torch.all(dt == t.grad).item()), bool(torch.allclose(dt, t.grad)), (dt - t.grad).abs().max().item()]


def exercises_1_to_3(Xtr, Ytr):
    g = torch.Generator().manual_seed(SEED)
    parameters = init(10, 64, g)
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    out = {'params': sum(p.nelement() for p in parameters)}
    n = 32
    ix = torch.randint(0, Xtr.shape[0], (n,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)
    bnvar_inv = (bnvar + 1e-5)**-0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes, logits, h, hpreact,
              bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani, embcat, emb]:
        t.retain_grad()
    loss.backward()
    out['loss'] = loss.item()

    # exercise 1, the lecture's solution
    with torch.no_grad():
        dlogprobs = torch.zeros_like(logprobs)
        dlogprobs[range(n), Yb] = -1.0 / n
        dprobs = (1.0 / probs) * dlogprobs
        dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
        dcounts = counts_sum_inv * dprobs
        dcounts_sum = (-counts_sum**-2) * dcounts_sum_inv
        dcounts += torch.ones_like(counts) * dcounts_sum
        dnorm_logits = counts * dcounts
        dlogits = dnorm_logits.clone()
        dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
        dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
        dh = dlogits @ W2.T
        dW2 = h.T @ dlogits
        db2 = dlogits.sum(0)
        dhpreact = (1.0 - h**2) * dh
        dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
        dbnraw = bngain * dhpreact
        dbnbias = dhpreact.sum(0, keepdim=True)
        dbndiff = bnvar_inv * dbnraw
        dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
        dbnvar = (-0.5 * (bnvar + 1e-5)**-1.5) * dbnvar_inv
        dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
        dbndiff += (2 * bndiff) * dbndiff2
        dhprebn = dbndiff.clone()
        dbnmeani = (-dbndiff).sum(0)
        dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
        dembcat = dhprebn @ W1.T
        dW1 = embcat.T @ dhprebn
        db1 = dhprebn.sum(0)
        demb = dembcat.view(emb.shape)
        dC = dC_by_loops(C, Xb, demb)
    pairs = [('logprobs', dlogprobs, logprobs), ('probs', dprobs, probs),
             ('counts_sum_inv', dcounts_sum_inv, counts_sum_inv), ('counts_sum', dcounts_sum, counts_sum),
             ('counts', dcounts, counts), ('norm_logits', dnorm_logits, norm_logits),
             ('logit_maxes', dlogit_maxes, logit_maxes), ('logits', dlogits, logits), ('h', dh, h),
             ('W2', dW2, W2), ('b2', db2, b2), ('hpreact', dhpreact, hpreact), ('bngain', dbngain, bngain),
             ('bnbias', dbnbias, bnbias), ('bnraw', dbnraw, bnraw), ('bnvar_inv', dbnvar_inv, bnvar_inv),
             ('bnvar', dbnvar, bnvar), ('bndiff2', dbndiff2, bndiff2), ('bndiff', dbndiff, bndiff),
             ('bnmeani', dbnmeani, bnmeani), ('hprebn', dhprebn, hprebn), ('embcat', dembcat, embcat),
             ('W1', dW1, W1), ('b1', db1, b1), ('emb', demb, emb), ('C', dC, C)]
    out['ex1'] = {name: cmp(d, t) for name, d, t in pairs}
    # not the lecture's: how many entries of its dhpreact differ from autograd's, and of
    # 1 - h**2 computed exactly (float64), rounded once, times dh (see tanh_rounding); of how many
    out['ex1_hpreact'] = [int((dhpreact != hpreact.grad).sum()),
                          int(((1.0 - h.double() * h.double()).float() * dh != hpreact.grad).sum()), dhpreact.nelement()]

    # exercise 2: cross-entropy in one go
    loss_fast = F.cross_entropy(logits, Yb)
    out['ex2_loss'] = [loss_fast.item(), (loss_fast - loss).item()]
    with torch.no_grad():
        dlogits = F.softmax(logits, 1)
        dlogits[range(n), Yb] -= 1
        dlogits /= n
    out['ex2'] = cmp(dlogits, logits)

    # exercise 3: batchnorm in one go
    hpreact_fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(
        hprebn.var(0, keepdim=True, unbiased=True) + 1e-5) + bnbias
    out['ex3_max_diff'] = (hpreact_fast - hpreact).abs().max().item()
    with torch.no_grad():
        dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
    out['ex3'] = cmp(dhprebn, hprebn)
    out['ex3_shapes'] = [list(t.shape) for t in (dhprebn, bngain, bnvar_inv, dbnraw, dbnraw.sum(0))]
    return out


def exercise_4(Xtr, Ytr, Xdev, Ydev, itos, max_steps=200000):
    """Exercise 4: the lecture's loop with its manual backward pass; `seconds` times the loop."""
    g = torch.Generator().manual_seed(SEED)
    parameters = init(10, 200, g)
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    out = {'params': sum(p.nelement() for p in parameters)}
    batch_size = 32
    n = batch_size
    printed = []
    t = time.time()
    with torch.no_grad():
        for i in range(max_steps):
            ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
            Xb, Yb = Xtr[ix], Ytr[ix]
            emb = C[Xb]
            embcat = emb.view(emb.shape[0], -1)
            hprebn = embcat @ W1 + b1
            bnmean = hprebn.mean(0, keepdim=True)
            bnvar = hprebn.var(0, keepdim=True, unbiased=True)
            bnvar_inv = (bnvar + 1e-5)**-0.5
            bnraw = (hprebn - bnmean) * bnvar_inv
            hpreact = bngain * bnraw + bnbias
            h = torch.tanh(hpreact)
            logits = h @ W2 + b2
            loss = F.cross_entropy(logits, Yb)
            for p in parameters:
                p.grad = None
            dlogits = F.softmax(logits, 1)
            dlogits[range(n), Yb] -= 1
            dlogits /= n
            dh = dlogits @ W2.T
            dW2 = h.T @ dlogits
            db2 = dlogits.sum(0)
            dhpreact = (1.0 - h**2) * dh
            dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
            dbnbias = dhpreact.sum(0, keepdim=True)
            dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
            dembcat = dhprebn @ W1.T
            dW1 = embcat.T @ dhprebn
            db1 = dhprebn.sum(0)
            demb = dembcat.view(emb.shape)
            dC = dC_by_loops(C, Xb, demb)
            grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]
            lr = 0.1 if i < 100000 else 0.01
            for p, grad in zip(parameters, grads):
                p.data += -lr * grad
            if i % 10000 == 0:
                printed.append([i, loss.item()])
    out['seconds'] = time.time() - t
    out['printed'] = printed
    out['last'] = loss.item()
    with torch.no_grad():
        hpreact = C[Xtr].view(Xtr.shape[0], -1) @ W1 + b1
        bnmean = hpreact.mean(0, keepdim=True)
        bnvar = hpreact.var(0, keepdim=True, unbiased=True)

        def split_loss(x, y):
            hpreact = C[x].view(x.shape[0], -1) @ W1 + b1
            hpreact = bngain * (hpreact - bnmean) * (bnvar + 1e-5)**-0.5 + bnbias
            return F.cross_entropy(torch.tanh(hpreact) @ W2 + b2, y).item()
        out['train'] = split_loss(Xtr, Ytr)
        out['val'] = split_loss(Xdev, Ydev)
        g = torch.Generator().manual_seed(SEED + 10)
        names = []
        for _ in range(20):
            word, context = [], [0] * 3
            while True:
                emb = C[torch.tensor([context])]
                hpreact = emb.view(emb.shape[0], -1) @ W1 + b1
                hpreact = bngain * (hpreact - bnmean) * (bnvar + 1e-5)**-0.5 + bnbias
                logits = torch.tanh(hpreact) @ W2 + b2
                ix = torch.multinomial(F.softmax(logits, dim=1), num_samples=1, generator=g).item()
                context = context[1:] + [ix]
                word.append(ix)
                if ix == 0:
                    break
            names.append(''.join(itos[i] for i in word))
        out['samples'] = names
    return out


def tanh_rounding(Xtr, Ytr, bn_seed=None):
    """Not the lecture's code: why exercise 1's `cmp` is exact up to `h` and not from `hpreact` on.
    torch's backward of tanh rounds 1 - h**2 once (a fused multiply-add); the lecture's
    `(1.0 - h**2) * dh` rounds h**2 first. The small net and batch of exercises 1-3, `bngain` and
    `bnbias` drawn from `g` as there, or from `manual_seed(bn_seed)`, the loss by F.cross_entropy:
    (entries, how many of the lecture's dhpreact differ from autograd's, how many of 1 - h*h
    computed exactly (float64) and rounded once do, and whether the lecture's formulas from there
    on give autograd's gradients of bngain, bnbias, bnraw, ..., W1 and b1 exactly)."""
    g = torch.Generator().manual_seed(SEED)
    C, W1, b1, W2, b2, bngain, bnbias = init(10, 64, g)
    if bn_seed is not None:
        g2 = torch.Generator().manual_seed(bn_seed)
        bngain = torch.randn((1, 64), generator=g2) * 0.1 + 1.0
        bnbias = torch.randn((1, 64), generator=g2) * 0.1
    for p in (C, W1, b1, W2, b2, bngain, bnbias):
        p.requires_grad = True
    n = 32
    ix = torch.randint(0, Xtr.shape[0], (n,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]
    embcat = C[Xb].view(n, -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)
    bnvar_inv = (bnvar + 1e-5)**-0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    loss = F.cross_entropy(h @ W2 + b2, Yb)
    inner = [h, hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, bnmeani, hprebn, embcat]
    for t in inner:
        t.retain_grad()
    loss.backward()
    with torch.no_grad():
        dh = h.grad
        lecture = (1.0 - h**2) * dh
        fused = (1.0 - h.double() * h.double()).float() * dh
        dhpreact = fused  # the lecture's exercise 1 from here on
        dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
        dbnraw = bngain * dhpreact
        dbnbias = dhpreact.sum(0, keepdim=True)
        dbndiff = bnvar_inv * dbnraw
        dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
        dbnvar = (-0.5 * (bnvar + 1e-5)**-1.5) * dbnvar_inv
        dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
        dbndiff += (2 * bndiff) * dbndiff2
        dhprebn = dbndiff.clone()
        dbnmeani = (-dbndiff).sum(0)
        dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
        pairs = [(dbngain, bngain), (dbnbias, bnbias), (dbnraw, bnraw), (dbnvar_inv, bnvar_inv), (dbnvar, bnvar),
                 (dbndiff2, bndiff2), (dbndiff, bndiff), (dbnmeani, bnmeani), (dhprebn, hprebn),
                 (dhprebn @ W1.T, embcat), (embcat.T @ dhprebn, W1), (dhprebn.sum(0), b1)]
        after = all(bool((d == t.grad).all()) for d, t in pairs)
    return [lecture.nelement(), int((lecture != hpreact.grad).sum()), int((fused != hpreact.grad).sum()), after]


def main(names_path, out_path, max_steps=200000):
    torch.set_num_threads(2)
    _, _, itos, [(Xtr, Ytr), (Xdev, Ydev), _] = data(names_path)
    ref = {'steps': max_steps, 'torch': torch.__version__, 'top': first_prints(names_path), **exercises_1_to_3(Xtr, Ytr)}
    ref['tanh_rounding'] = {'g': tanh_rounding(Xtr, Ytr), 'seeds 1-5': [tanh_rounding(Xtr, Ytr, s) for s in range(1, 6)]}
    ref['ex4'] = exercise_4(Xtr, Ytr, Xdev, Ydev, itos, max_steps)
    with open(out_path, 'w') as f:
        json.dump(ref, f, indent=1)
    x = ref['ex4']
    print(f'wrote {out_path}: loss {ref["loss"]:.4f}; exercise 4: train {x["train"]:.4f}, val {x["val"]:.4f} '
          f'({x["seconds"]:.0f} s)')


if __name__ == '__main__':
    command_line(main)
