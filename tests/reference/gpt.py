"""The lecture "Let's build GPT: from scratch, in code, spelled out" (the GPT lecture of
nn-zero-to-hero), run as notebooks/part6_gpt/ runs it, on the venv's torch: every value the
notebooks print, for tests/notebooks.py to compare against.

    python tests/reference/gpt.py data/tinyshakespeare.txt target/gpt_reference.json [--steps N]

No notebook of this lecture is in a licensed repository: this is our own code of what the video
types, in its order, with its seeds (torch.manual_seed(1337) before the batches, the bigram and
each model; 42 for the 3x3 example), all draws from torch's global generator:
  1. the data: characters, encode/decode, data[:1000], the 90/10 split, get_batch (batch 4, block 8);
  2. the bigram model: the loss at init, 100 characters from an untrained model, AdamW (lr 1e-3,
     batch 32) for 10,000 steps, the last loss, 500 characters after;
  3. the trick of self-attention: the 3x3 example, averaging the past three ways, one head
     (B,T,C = 4,8,32, head size 16), the variances with and without head_size**-0.5 (of k and q
     drawn after the head's weights, unseeded as in the video), softmax of
     large values, the lecture's LayerNorm1d against torch's, dropout on ones;
  4. the Transformer piece by piece, each trained with the video's hyperparameters (batch 32,
     block 8, n_embd 32, 4 heads, 3 layers, lr 1e-3, 5,000 steps, losses every 500 steps over
     200 batches): one head, multi-head, + feed-forward, blocks with residual connections (the
     projections and the 4x feed-forward), + LayerNorm; then the small model of the lecture's
     final cell (batch 16, block 32, n_embd 64, 4 heads, 4 layers, dropout 0, lr 1e-3, 5,000
     steps, losses every 100 steps over 200 batches) and 2,000 characters from it;
  5. gpt.py's model's parameter count (batch 64, block 256, n_embd 384, 6 heads, 6 layers).
Attention is scaled by head_size**-0.5 (gpt.py's `k.shape[-1]**-0.5`) in the pieces; the final
model is the lecture's final code, which multiplies by C**-0.5 (n_embd), a slip the video's
scaled-attention note is about, fixed later in gpt.py: that fix is trained after it, the same
model with head_size**-0.5, for FIX_STEPS steps.

`--steps N` trains chapter 4's models N steps instead of 5,000 (the bigram's 10,000 stay): what
`make test` runs against the notebooks run with the same N. The full run's values are committed
in tests/reference/gpt_full.json (`make reference-full`).
"""
import argparse
import json
import time

import torch
import torch.nn as nn
from torch.nn import functional as F

# ---- the model of chapter 4, each stage a switch -----------------------------------------------

STAGES = ['one head', 'multi-head', 'feed-forward', 'residual', 'layernorm']
FIX_STEPS = 500  # the later fix of the final model's attention scale, trained this long (or --steps)


class Head(nn.Module):
    """one head of self-attention"""

    def __init__(self, n_embd, head_size, block_size, dropout, scale_by_c=False):
        super().__init__()
        self.scale_by_c = scale_by_c  # the lecture's final code: C**-0.5 (n_embd); else head_size**-0.5
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer('tril', torch.tril(torch.ones(block_size, block_size)))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        k = self.key(x)  # (B,T,hs)
        q = self.query(x)  # (B,T,hs)
        scale = C**-0.5 if self.scale_by_c else k.shape[-1]**-0.5
        wei = q @ k.transpose(-2, -1) * scale  # (B,T,hs) @ (B,hs,T) -> (B,T,T)
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float('-inf'))
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)  # (B,T,hs)
        return wei @ v  # (B,T,T) @ (B,T,hs) -> (B,T,hs)


class MultiHeadAttention(nn.Module):
    """heads side by side, then (with residual connections) a projection back"""

    def __init__(self, n_embd, num_heads, head_size, block_size, dropout, proj, scale_by_c=False):
        super().__init__()
        self.heads = nn.ModuleList([Head(n_embd, head_size, block_size, dropout, scale_by_c) for _ in range(num_heads)])
        self.proj = nn.Linear(head_size * num_heads, n_embd) if proj else None
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)
        return out if self.proj is None else self.dropout(self.proj(out))


class FeedForward(nn.Module):
    """a linear layer and a ReLU; with residual connections 4x wider, and a projection back"""

    def __init__(self, n_embd, dropout, proj):
        super().__init__()
        if proj:
            self.net = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.ReLU(), nn.Linear(4 * n_embd, n_embd),
                                     nn.Dropout(dropout))
        else:
            self.net = nn.Sequential(nn.Linear(n_embd, n_embd), nn.ReLU())

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    """communication (attention) then computation (feed-forward), each added back to x"""

    def __init__(self, n_embd, n_head, block_size, dropout, layer_norm, scale_by_c=False):
        super().__init__()
        head_size = n_embd // n_head
        self.sa = MultiHeadAttention(n_embd, n_head, head_size, block_size, dropout, proj=True, scale_by_c=scale_by_c)
        self.ffwd = FeedForward(n_embd, dropout, proj=True)
        self.ln1 = nn.LayerNorm(n_embd) if layer_norm else nn.Identity()
        self.ln2 = nn.LayerNorm(n_embd) if layer_norm else nn.Identity()

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        x = x + self.ffwd(self.ln2(x))
        return x


class GPTLanguageModel(nn.Module):

    def __init__(self, stage, vocab_size, n_embd, n_head, n_layer, block_size, dropout, scale_by_c=False):
        super().__init__()
        self.block_size = block_size
        self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        if stage == 'one head':
            body = [Head(n_embd, n_embd, block_size, dropout)]
        elif stage in ('multi-head', 'feed-forward'):
            body = [MultiHeadAttention(n_embd, n_head, n_embd // n_head, block_size, dropout, proj=False)]
            if stage == 'feed-forward':
                body.append(FeedForward(n_embd, dropout, proj=False))
        else:
            layer_norm = stage == 'layernorm'
            body = [Block(n_embd, n_head, block_size, dropout, layer_norm, scale_by_c) for _ in range(n_layer)]
            if layer_norm:
                body.append(nn.LayerNorm(n_embd))  # ln_f
        self.blocks = nn.Sequential(*body)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        tok_emb = self.token_embedding_table(idx)  # (B,T,C)
        pos_emb = self.position_embedding_table(torch.arange(T))  # (T,C)
        x = tok_emb + pos_emb  # (B,T,C)
        x = self.blocks(x)
        logits = self.lm_head(x)  # (B,T,vocab_size)
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        return logits, F.cross_entropy(logits.view(B * T, C), targets.view(B * T))

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.block_size:])
            probs = F.softmax(logits[:, -1, :], dim=-1)  # (B, C)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
        return idx


class BigramLanguageModel(nn.Module):

    def __init__(self, vocab_size):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def forward(self, idx, targets=None):
        logits = self.token_embedding_table(idx)  # (B,T,C)
        if targets is None:
            return logits, None
        B, T, C = logits.shape
        logits = logits.view(B * T, C)
        return logits, F.cross_entropy(logits, targets.view(B * T))

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            logits, _ = self(idx)
            probs = F.softmax(logits[:, -1, :], dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
        return idx


class LayerNorm1d:  # the lecture's, by hand (part 3's BatchNorm1d over the other dimension)

    def __init__(self, dim, eps=1e-5):
        self.eps = eps
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)

    def __call__(self, x):
        xmean = x.mean(1, keepdim=True)  # the mean of each row
        xvar = x.var(1, keepdim=True)  # its variance
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        return self.gamma * xhat + self.beta


def rows(t, digits=4):
    return [[round(float(v), digits) for v in r] for r in t.tolist()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('text')
    ap.add_argument('out')
    ap.add_argument('--steps', type=int, default=5000, help="chapter 4's training steps (the lecture's: 5,000)")
    args = ap.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    out = {'steps': args.steps}

    # ---- 1. data ----
    text = open(args.text, encoding='utf-8').read()
    chars = sorted(list(set(text)))
    vocab_size = len(chars)
    stoi = {ch: i for i, ch in enumerate(chars)}
    itos = {i: ch for i, ch in enumerate(chars)}
    encode = lambda s: [stoi[c] for c in s]
    decode = lambda l: ''.join([itos[i] for i in l])
    data = torch.tensor(encode(text), dtype=torch.long)
    n = int(0.9 * len(data))
    train_data, val_data = data[:n], data[n:]
    out.update(length=len(text), chars=''.join(chars), vocab_size=vocab_size, hii=encode('hii there'),
               first_tokens=data[:1000].tolist(), n_train=len(train_data), n_val=len(val_data))

    batch_size, block_size = 4, 8

    def get_batch(split):
        d = train_data if split == 'train' else val_data
        ix = torch.randint(len(d) - block_size, (batch_size,))
        x = torch.stack([d[i:i + block_size] for i in ix])
        y = torch.stack([d[i + 1:i + block_size + 1] for i in ix])
        return x, y

    torch.manual_seed(1337)
    xb, yb = get_batch('train')
    out.update(xb=xb.tolist(), yb=yb.tolist())

    # ---- 2. the bigram model ----
    torch.manual_seed(1337)
    m = BigramLanguageModel(vocab_size)
    logits, loss = m(xb, yb)
    out['bigram'] = {'logits_shape': list(logits.shape), 'loss_init': loss.item()}
    out['bigram']['before'] = decode(m.generate(torch.zeros((1, 1), dtype=torch.long), 100)[0].tolist())
    optimizer = torch.optim.AdamW(m.parameters(), lr=1e-3)
    batch_size = 32
    t0 = time.time()
    for _ in range(10000):
        xb, yb = get_batch('train')
        logits, loss = m(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    out['bigram'].update(seconds=time.time() - t0, loss=loss.item())
    out['bigram']['after'] = decode(m.generate(torch.zeros((1, 1), dtype=torch.long), 500)[0].tolist())

    # ---- 3. the mathematical trick in self-attention ----
    torch.manual_seed(42)
    a = torch.tril(torch.ones(3, 3))
    a = a / torch.sum(a, 1, keepdim=True)
    b = torch.randint(0, 10, (3, 2)).float()
    c = a @ b
    out['toy'] = {'a': rows(a), 'b': rows(b), 'c': rows(c)}
    torch.manual_seed(1337)
    B, T, C = 4, 8, 2
    x = torch.randn(B, T, C)
    xbow = torch.zeros((B, T, C))
    for bi in range(B):
        for t in range(T):
            xbow[bi, t] = torch.mean(x[bi, :t + 1], 0)
    wei = torch.tril(torch.ones(T, T))
    wei = wei / wei.sum(1, keepdim=True)
    xbow2 = wei @ x
    tril = torch.tril(torch.ones(T, T))
    wei3 = torch.zeros((T, T)).masked_fill(tril == 0, float('-inf'))
    wei3 = F.softmax(wei3, dim=-1)
    xbow3 = wei3 @ x
    out['average'] = {'x0': rows(x[0]), 'xbow0': rows(xbow[0]), 'wei': rows(wei),
                      'allclose2': torch.allclose(xbow, xbow2), 'allclose3': torch.allclose(xbow, xbow3),
                      'max_diff2': (xbow - xbow2).abs().max().item(), 'max_diff3': (xbow - xbow3).abs().max().item()}
    torch.manual_seed(1337)
    B, T, C = 4, 8, 32
    x = torch.randn(B, T, C)
    head_size = 16
    key = nn.Linear(C, head_size, bias=False)
    query = nn.Linear(C, head_size, bias=False)
    value = nn.Linear(C, head_size, bias=False)
    k, q = key(x), query(x)
    wei = q @ k.transpose(-2, -1)
    wei = wei.masked_fill(torch.tril(torch.ones(T, T)) == 0, float('-inf'))
    wei = F.softmax(wei, dim=-1)
    v = value(x)
    o = wei @ v
    out['head'] = {'out_shape': list(o.shape), 'wei0': rows(wei[0])}
    # the lecture does not seed again here: k and q continue the generator after the head
    k = torch.randn(B, T, head_size)
    q = torch.randn(B, T, head_size)
    raw = q @ k.transpose(-2, -1)
    scaled = raw * head_size**-0.5
    s = torch.tensor([0.1, -0.2, 0.3, -0.2, 0.5])
    out['scaled'] = {'k_var': k.var().item(), 'q_var': q.var().item(), 'raw_var': raw.var().item(),
                     'scaled_var': scaled.var().item(), 'softmax': rows(F.softmax(s, dim=-1)[None])[0],
                     'softmax8': rows(F.softmax(s * 8, dim=-1)[None])[0]}
    torch.manual_seed(1337)
    module = LayerNorm1d(100)
    x = torch.randn(32, 100)
    y = module(x)
    lib = F.layer_norm(x, (100,))
    out['layernorm'] = {'col_mean': y[:, 0].mean().item(), 'col_std': y[:, 0].std().item(),
                        'row_mean': y[0, :].mean().item(), 'row_std': y[0, :].std().item(),
                        'max_diff_library': (y - lib).abs().max().item(), 'x_shape': list(x.shape)}
    torch.manual_seed(1337)
    out['dropout'] = rows(F.dropout(torch.ones(2, 8), 0.2, training=True))

    # ---- 4. the Transformer, piece by piece ----
    def train(stage, batch, block, n_embd, n_head, n_layer, dropout, lr, max_iters, eval_interval, eval_iters,
              scale_by_c=False):
        nonlocal batch_size, block_size
        batch_size, block_size = batch, block
        torch.manual_seed(1337)
        model = GPTLanguageModel(stage, vocab_size, n_embd, n_head, n_layer, block, dropout, scale_by_c)
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)

        @torch.no_grad()
        def estimate_loss():
            losses_of = {}
            model.eval()
            for split in ['train', 'val']:
                losses = torch.zeros(eval_iters)
                for k in range(eval_iters):
                    X, Y = get_batch(split)
                    _, loss = model(X, Y)
                    losses[k] = loss.item()
                losses_of[split] = losses.mean().item()
            model.train()
            return losses_of

        log, t0 = [], time.time()
        for it in range(max_iters):
            if it % eval_interval == 0 or it == max_iters - 1:
                losses = estimate_loss()
                log.append([it, losses['train'], losses['val']])
            xb, yb = get_batch('train')
            _, loss = model(xb, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return model, {'stage': stage, 'params': sum(p.numel() for p in model.parameters()), 'losses': log,
                       'seconds': time.time() - t0}

    out['stages'] = []
    for stage in STAGES:
        _, r = train(stage, 32, 8, 32, 4, 3, 0.0, 1e-3, args.steps, 500, 200)
        out['stages'].append(r)
    # the lecture's final code, which scales attention by C**-0.5 (n_embd)
    model, r = train('layernorm', 16, 32, 64, 4, 4, 0.0, 1e-3, args.steps, 100, 200, scale_by_c=True)
    r['generated'] = decode(model.generate(torch.zeros((1, 1), dtype=torch.long), 2000)[0].tolist())
    out['final'] = r
    # the later fix (ng-video-lecture's gpt.py): head_size**-0.5, the same model otherwise, a short run
    _, out['final_fix'] = train('layernorm', 16, 32, 64, 4, 4, 0.0, 1e-3, min(FIX_STEPS, args.steps), 100, 200)

    # ---- 5. gpt.py's scale-up ----
    big = GPTLanguageModel('layernorm', vocab_size, 384, 6, 6, 256, 0.2)
    out['big_params'] = sum(p.numel() for p in big.parameters())

    json.dump(out, open(args.out, 'w'), indent=1)
    print(f"{args.out}: bigram {out['bigram']['loss']:.4f}, stages "
          + ', '.join(f"{s['stage']} {s['losses'][-1][2]:.4f}" for s in out['stages'])
          + f", final {r['losses'][-1][1]:.4f}/{r['losses'][-1][2]:.4f} ({r['params']} parameters, {r['seconds']:.0f} s)")


if __name__ == '__main__':
    main()
