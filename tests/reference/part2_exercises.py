"""The exercises of "Building makemore Part 2: MLP" (from the video's description), solved in
Python the way notebooks/part2_mlp/e01_..e03_ solve them in Rust, on the venv's torch: every
value the notebooks print, for tests/notebooks.py to compare against.

    python tests/reference/part2_exercises.py data/names.txt target/part2_exercises_reference.json \
        [--steps N] [--search-steps M]

Every draw comes from `g = torch.Generator().manual_seed(2147483647)`, made anew before each
training run (as part2.py, and the notebooks, do).
E01: tune the hyperparameters to beat the lecture's dev loss of 2.2: a search of four sizes,
     30,000 steps each, then the best trained 200,000 steps; its test loss, once.
E02: the loss of perfectly uniform predictions, -ln(1/27), and an initialization that starts
     near it (the output layer scaled down), then the usual 200,000 steps.
E03: Bengio et al. 2003's direct connections from the embeddings to the output, trained 200,000
     steps beside the lecture's net.

`--steps N` trains the three 200,000-step nets N steps, `--search-steps M` E01's four sizes M steps
instead of 30,000 (the learning rates decay at 100,000 and 20,000 in both): what `make test` runs
against the notebooks run with the same N and M. The full runs' values are committed in
tests/reference/part2_exercises_full.json (`make reference-full`), and the committed notebooks'
outputs, made by the full runs, are checked against them.
"""
import argparse
import json
import math
import random

import torch
import torch.nn.functional as F

import part2 as P2

SEARCH = [(10, 200), (10, 300), (16, 200), (16, 300)]  # (n_embd, n_hidden)


def schedule(i):
    return 0.1 if i < 100000 else 0.01


def main(names_path, out_path, steps=200000, search_steps=30000):
    words = open(names_path, 'r').read().splitlines()
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    random.seed(42)
    random.shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    Xtr, Ytr = P2.build_dataset(words[:n1], stoi)
    Xdev, Ydev = P2.build_dataset(words[n1:n2], stoi)
    Xte, Yte = P2.build_dataset(words[n2:], stoi)
    ref = {'steps': steps, 'search_steps': search_steps, 'torch': torch.__version__}

    # E01: the search, then the best at full length
    rows = []
    for n_embd, n_hidden in SEARCH:
        g = torch.Generator().manual_seed(P2.SEED)
        parameters = P2.init(g, n_embd, n_hidden)
        P2.train(parameters, Xtr, Ytr, search_steps, lambda i: 0.1 if i < 20000 else 0.01, g)
        rows.append({'n_embd': n_embd, 'n_hidden': n_hidden,
                     'params': sum(p.nelement() for p in parameters),
                     'dev': P2.split_loss(parameters, Xdev, Ydev)})
    best = min(rows, key=lambda r: r['dev'])
    g = torch.Generator().manual_seed(P2.SEED)
    parameters = P2.init(g, best['n_embd'], best['n_hidden'])
    P2.train(parameters, Xtr, Ytr, steps, schedule, g)
    ref['e01'] = {'search': rows, 'best': [best['n_embd'], best['n_hidden']],
                  'train': P2.split_loss(parameters, Xtr, Ytr), 'dev': P2.split_loss(parameters, Xdev, Ydev),
                  'test': P2.split_loss(parameters, Xte, Yte)}

    # E02: uniform predictions, and an initialization near them
    g = torch.Generator().manual_seed(P2.SEED)
    lecture_init = P2.split_loss(P2.init(g, 10, 200), Xtr, Ytr)
    g = torch.Generator().manual_seed(P2.SEED)
    parameters = P2.init(g, 10, 200)
    with torch.no_grad():
        parameters[3] *= 0.01  # W2: logits near 0, probabilities near 1/27
        parameters[4] *= 0  # b2
    init_loss = P2.split_loss(parameters, Xtr, Ytr)
    _, printed, _ = P2.train(parameters, Xtr, Ytr, steps, schedule, g, every=10000)
    ref['e02'] = {'uniform': -math.log(1 / 27), 'init': init_loss, 'lecture_init': lecture_init, 'first_step': printed[0][1],
                  'train': P2.split_loss(parameters, Xtr, Ytr), 'dev': P2.split_loss(parameters, Xdev, Ydev)}

    # E03: direct connections from the concatenated embeddings to the logits
    g = torch.Generator().manual_seed(P2.SEED)
    C, W1, b1, W2, b2 = P2.init(g, 10, 200)
    W3 = (torch.randn((30, 27), generator=g) * 0.01).requires_grad_()
    parameters = [C, W1, b1, W2, b2, W3]

    def forward(X):
        embcat = C[X].view(-1, 30)
        h = torch.tanh(embcat @ W1 + b1)
        return h @ W2 + b2 + embcat @ W3

    for i in range(steps):
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        loss = F.cross_entropy(forward(Xtr[ix]), Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -schedule(i) * p.grad
    with torch.no_grad():
        ref['e03'] = {'params': sum(p.nelement() for p in parameters),
                      'train': F.cross_entropy(forward(Xtr), Ytr).item(),
                      'dev': F.cross_entropy(forward(Xdev), Ydev).item()}

    with open(out_path, 'w') as f:
        json.dump(ref, f, indent=1)
    print(f'wrote {out_path}: e01 best {ref["e01"]["best"]} dev {ref["e01"]["dev"]:.4f}, '
          f'e02 init {ref["e02"]["init"]:.4f} dev {ref["e02"]["dev"]:.4f}, e03 dev {ref["e03"]["dev"]:.4f}')


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('names')
    ap.add_argument('out')
    ap.add_argument('--steps', type=int, default=200000)
    ap.add_argument('--search-steps', type=int, default=30000)
    args = ap.parse_args()
    main(args.names, args.out, args.steps, args.search_steps)
