"""The lecture's own Python code (makemore part 1, bigrams), kept as close to the notebook as a
module allows, so the Rust crate can be checked against it and benchmarked beside it.

Each function is one step of the lecture; `reference.py` runs them and writes the golden values,
`bench.py` times them.
"""
import torch
import torch.nn.functional as F

SEED = 2147483647


def read_words(path):
    return open(path, 'r').read().splitlines()


def build_vocab(words):
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}
    return stoi, itos


def count_dict(words):
    b = {}
    for w in words:
        chs = ['<S>'] + list(w) + ['<E>']
        for ch1, ch2 in zip(chs, chs[1:]):
            bigram = (ch1, ch2)
            b[bigram] = b.get(bigram, 0) + 1
    return sorted(b.items(), key=lambda kv: -kv[1])


def count_bigrams(words, stoi):
    V = len(stoi)
    N = torch.zeros((V, V), dtype=torch.int32)
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            N[ix1, ix2] += 1
    return N


def probs(N, smoothing):
    P = (N + smoothing).float()
    P /= P.sum(1, keepdims=True)
    return P


def sample_counts(P, itos, n, seed=SEED):
    g = torch.Generator().manual_seed(seed)
    names = []
    for i in range(n):
        out = []
        ix = 0
        while True:
            p = P[ix]
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0:
                break
        names.append(''.join(out))
    return names


def nll(P, words, stoi):
    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            prob = P[ix1, ix2]
            logprob = torch.log(prob)
            log_likelihood += logprob
            n += 1
    return log_likelihood, n


def dataset(words, stoi):
    xs, ys = [], []
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            xs.append(ix1)
            ys.append(ix2)
    return torch.tensor(xs), torch.tensor(ys)


def init_weights(V=27, seed=SEED):
    g = torch.Generator().manual_seed(seed)
    return torch.randn((V, V), generator=g, requires_grad=True)


def train(xs, ys, W, steps=100, lr=50.0, reg=0.01, log=None):
    num = xs.nelement()
    V = W.shape[0]
    losses = []
    for k in range(steps):
        # forward pass
        xenc = F.one_hot(xs, num_classes=V).float()  # input to the network: one-hot encoding
        logits = xenc @ W  # predict log-counts
        counts = logits.exp()  # counts, equivalent to N
        probs = counts / counts.sum(1, keepdims=True)  # probabilities for next character
        loss = -probs[torch.arange(num), ys].log().mean() + reg * (W**2).mean()
        losses.append(loss.item())
        # backward pass
        W.grad = None  # set to zero the gradient
        loss.backward()
        # update
        W.data += -lr * W.grad
    return losses


def sample_net(W, itos, n, seed=SEED):
    g = torch.Generator().manual_seed(seed)
    V = W.shape[0]
    names = []
    for i in range(n):
        out = []
        ix = 0
        while True:
            xenc = F.one_hot(torch.tensor([ix]), num_classes=V).float()
            logits = xenc @ W  # predict log-counts
            counts = logits.exp()  # counts, equivalent to N
            p = counts / counts.sum(1, keepdims=True)  # probabilities for next character
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0:
                break
        names.append(''.join(out))
    return names


def trigram_nll(words, stoi, smoothing=1, dtype=torch.float32):
    """Exercise E01 by counting, written in the lecture's style: two characters of context.
    `dtype` is P's: float32 as the lecture (the sum loses digits), float64 for the accurate loss."""
    V = len(stoi)
    N = torch.zeros((V, V, V), dtype=torch.int32)
    for w in words:
        chs = ['.', '.'] + list(w) + ['.']
        for ch1, ch2, ch3 in zip(chs, chs[1:], chs[2:]):
            N[stoi[ch1], stoi[ch2], stoi[ch3]] += 1
    P = (N + smoothing).to(dtype)
    P /= P.sum(2, keepdims=True)
    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ['.', '.'] + list(w) + ['.']
        for ch1, ch2, ch3 in zip(chs, chs[1:], chs[2:]):
            log_likelihood += torch.log(P[stoi[ch1], stoi[ch2], stoi[ch3]])
            n += 1
    return log_likelihood, n
