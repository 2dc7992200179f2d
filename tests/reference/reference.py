"""Runs the lecture's Python code (lecture.py) on names.txt with the venv's torch and writes every
value the Rust tests and notebook checks compare against.

    python tests/reference/reference.py data/names.txt target/reference.json
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

import lecture as L


def main(names_path, out_path):
    words = L.read_words(names_path)
    stoi, itos = L.build_vocab(words)
    ref = {'torch_version': torch.__version__.split('+')[0], 'seed': L.SEED}

    # 01: the dataset and the dictionary of bigrams
    ref['n_words'] = len(words)
    ref['first_words'] = words[:10]
    ref['min_len'] = min(len(w) for w in words)
    ref['max_len'] = max(len(w) for w in words)
    ref['vocab'] = ''.join(itos[i] for i in range(len(itos)))
    ref['top_bigrams'] = [[a, b, c] for (a, b), c in L.count_dict(words)[:5]]

    # 01/02: the count matrix
    N = L.count_bigrams(words, stoi)
    ref['counts'] = N.tolist()

    # 03: one row, the generator, sampling
    g = torch.Generator().manual_seed(L.SEED)
    p = torch.rand(3, generator=g)
    p = p / p.sum()
    ref['rand3'] = p.tolist()
    ref['multinomial20'] = torch.multinomial(p, num_samples=20, replacement=True, generator=g).tolist()
    p = N[0].float()
    p = p / p.sum()
    ref['p0'] = p.tolist()
    g = torch.Generator().manual_seed(L.SEED)
    ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
    ref['first_char'] = itos[ix]
    P0 = L.probs(N, 0)
    ref['samples_unsmoothed'] = L.sample_counts(P0, itos, 5)

    # 04: the loss, smoothing
    P = L.probs(N, 1)
    ref['P_row0'] = P[0].tolist()
    ref['samples_add1'] = L.sample_counts(P, itos, 5)
    ll, n = L.nll(P, words, stoi)
    ref['log_likelihood_add1'] = ll.item()
    ref['n_bigrams'] = n
    ref['nll_add1'] = (-ll / n).item()  # float32 sum of 228,146 terms, as the lecture prints it
    ll64, _ = L.nll(P.double(), words, stoi)
    ref['nll_add1_f64'] = (-ll64 / n).item()  # the same loop in float64: the accurate value
    ll0, _ = L.nll(P0, words, stoi)
    ref['nll_unsmoothed'] = (-ll0 / n).item()
    ll, n = L.nll(P, ['andrejq'], stoi)
    ref['nll_andrejq_add1'] = (-ll / n).item()
    ll, n = L.nll(P0, ['andrejq'], stoi)
    ref['nll_andrejq_unsmoothed'] = str((-ll / n).item())  # 'inf': JSON has no infinity
    ll, n = L.nll(P, words[:3], stoi)
    ref['nll_first3_add1'] = (-ll / n).item()

    # 05: the (xs, ys) of 'emma' and the NLL of each of its bigrams under a random W
    xs, ys = L.dataset(words[:1], stoi)
    ref['emma_xs'] = xs.tolist()
    ref['emma_ys'] = ys.tolist()
    g = torch.Generator().manual_seed(L.SEED)
    W = torch.randn((27, 27), generator=g)
    xenc = F.one_hot(xs, num_classes=27).float()
    probs = (xenc @ W).exp()
    probs = probs / probs.sum(1, keepdims=True)
    nlls = [-torch.log(probs[i, ys[i].item()]).item() for i in range(5)]
    ref['emma_nlls'] = nlls
    ref['emma_loss'] = sum(nlls) / 5
    ref['W0_row0'] = W[0].tolist()

    # 06: gradient descent on 'emma' (lr 0.1, no regularization), then on the whole data
    W = L.init_weights()
    ref['emma_losses'] = L.train(xs, ys, W, steps=5, lr=0.1, reg=0.0)
    xs, ys = L.dataset(words, stoi)
    ref['n_examples'] = xs.nelement()
    W = L.init_weights()
    ref['losses'] = L.train(xs, ys, W, steps=100, lr=50.0, reg=0.01)
    ref['samples_net'] = L.sample_net(W, itos, 5)

    # E01: the trigram count model with add-1 smoothing
    ll, n = L.trigram_nll(words, stoi, 1)
    ref['trigram_nll_add1'] = (-ll / n).item()  # float32 loop sum, as the lecture would print it
    ll64, _ = L.trigram_nll(words, stoi, 1, dtype=torch.float64)
    ref['trigram_nll_add1_f64'] = (-ll64 / n).item()  # the same loop in float64: the accurate value

    # parts 2-5 split the words with Python's own generator: random.seed(s); random.shuffle(x)
    import random
    shuffles = []
    for seed, items in [(42, words), (0, list(range(10))), (1, list(range(1000))),
                        (2**32 + 5, list(range(300))), (123456789, words[:77])]:
        items = list(items)
        random.seed(seed)
        random.shuffle(items)
        shuffles.append({'seed': seed, 'n': len(items), 'first': items[:30], 'last': items[-5:]})
    ref['python_shuffles'] = shuffles
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))  # the lecture's split of part 2 on
    ref['python_split_sizes'] = [n1, n2 - n1, len(words) - n2]

    with open(out_path, 'w') as f:
        json.dump(ref, f, indent=1, allow_nan=False)
    print(f'wrote {out_path}: nll_add1 {ref["nll_add1"]:.6f}, final loss {ref["losses"][-1]:.6f}, '
          f'samples {ref["samples_add1"]}')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
