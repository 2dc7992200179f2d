"""Runs makemore.py (Karpathy's, unmodified: ../shared/reference/makemore.py) the way its main
block does, for the first steps of training, and writes what the Rust tests compare against.

    python tests/reference/makemore_ref.py MAKEMORE_PY data/names.txt target/makemore_reference.json

For the bigram and the MLP at makemore.py's defaults (seed 3407): the train/test split and the
loss of each of the first 100 steps. The statements below are those of makemore.py's `__main__`,
in its order (every draw from torch's generator happens in the same place), with --num-workers 0.

And makemore.py's work dirs: for each of its six models, small (n_layer 2, n_head 2, n_embd 16,
n_embd2 24), trained 20 steps, the `model.pt` its `__main__` saves (`torch.save` of the
`state_dict`, in target/makemore_pt/TYPE.pt) and the loss it gives the first 8 training words,
which a model read from that file must give too.

And a list of 12 words (the first of names.txt), smaller than a batch of 32: the first 20 losses
of the bigram and the MLP (makemore.py's loader draws with replacement, so it trains).
"""
import importlib.util
import json
import os
import sys

import torch

STEPS = 100


def load(path):
    spec = importlib.util.spec_from_file_location('makemore', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def first_losses(M, names, kind, steps=STEPS):
    torch.manual_seed(3407)
    train, test = M.create_datasets(names)
    config = M.ModelConfig(vocab_size=train.get_vocab_size(), block_size=train.get_output_length(),
                           n_layer=4, n_head=4, n_embd=64, n_embd2=64)
    model = {'bigram': M.Bigram, 'mlp': M.MLP}[kind](config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01, betas=(0.9, 0.99), eps=1e-8)
    loader = M.InfiniteDataLoader(train, batch_size=32, pin_memory=True, num_workers=0)
    losses = []
    for _ in range(steps):
        X, Y = loader.next()
        logits, loss = model(X, Y)
        model.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    params = sum(p.numel() for p in model.parameters())
    return losses, train.words, test.words, params


PT_CONFIG = dict(n_layer=2, n_head=2, n_embd=16, n_embd2=24)


def work_dir_model(M, names, kind, out_dir):
    """makemore.py's model of `kind`, trained 20 steps and saved as its `__main__` saves it."""
    torch.manual_seed(3407)
    train, test = M.create_datasets(names)
    config = M.ModelConfig(vocab_size=train.get_vocab_size(), block_size=train.get_output_length(),
                           **PT_CONFIG)
    model = {'bigram': M.Bigram, 'mlp': M.MLP, 'rnn': lambda c: M.RNN(c, cell_type='rnn'),
             'gru': lambda c: M.RNN(c, cell_type='gru'), 'bow': M.BoW,
             'transformer': M.Transformer}[kind](config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01, betas=(0.9, 0.99), eps=1e-8)
    loader = M.InfiniteDataLoader(train, batch_size=32, pin_memory=True, num_workers=0)
    for _ in range(20):
        X, Y = loader.next()
        logits, loss = model(X, Y)
        model.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    os.makedirs(out_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(out_dir, f'{kind}.pt'))
    X = torch.stack([train[i][0] for i in range(8)])
    Y = torch.stack([train[i][1] for i in range(8)])
    model.eval()
    with torch.no_grad():
        _, loss = model(X, Y)
    return {'loss': loss.item(), 'words': [train.words[i] for i in range(8)]}


def main(makemore_py, names, out):
    import warnings
    warnings.filterwarnings('ignore')  # pin_memory without an accelerator
    M = load(makemore_py)
    ref = {'steps': STEPS}
    for kind in ['bigram', 'mlp']:
        losses, train, test, params = first_losses(M, names, kind)
        ref[kind] = {'losses': losses, 'params': params}
    ref['n_train'], ref['n_test'] = len(train), len(test)
    # a word list smaller than a batch: makemore.py's loader draws with replacement and trains
    tiny = os.path.join(os.path.dirname(out), 'makemore_tiny.txt')
    with open(names) as f, open(tiny, 'w') as t:
        t.write(''.join(f.readlines()[:12]))
    ref['tiny'] = {'words': 12}
    for kind in ['bigram', 'mlp']:
        losses, tiny_train, _, _ = first_losses(M, tiny, kind, steps=20)
        ref['tiny'][kind] = losses
    ref['tiny']['n_train'] = len(tiny_train)
    ref['test_words'] = test[:20]
    ref['train_words'] = train[:20]
    pt_dir = os.path.join(os.path.dirname(out), 'makemore_pt')
    ref['pt'] = {'config': PT_CONFIG, 'dir': pt_dir}
    for kind in ['bigram', 'mlp', 'rnn', 'gru', 'bow', 'transformer']:
        ref['pt'][kind] = work_dir_model(M, names, kind, pt_dir)
    with open(out, 'w') as f:
        json.dump(ref, f, indent=1)
    print(f'wrote {out}: bigram step {STEPS - 1} loss {ref["bigram"]["losses"][-1]:.6f}, '
          f'mlp {ref["mlp"]["losses"][-1]:.6f}')


if __name__ == '__main__':
    main(*sys.argv[1:4])
