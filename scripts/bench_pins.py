"""What the one kernel path (scripts/cpu_pins.py) costs: seconds of two workloads on the path this
process runs on. Run it alternately with and without the pins (BENCHMARKS.md, "One kernel path"):

    OMP_NUM_THREADS=2 .venv/bin/python scripts/bench_pins.py
    ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 OMP_NUM_THREADS=2 .venv/bin/python scripts/bench_pins.py
"""
import time, torch, torch.nn.functional as F
torch.manual_seed(0)
# part 3's loop: an MLP with BatchNorm on batches of 32, 3,000 steps
X = torch.randint(0, 27, (200000, 3)); Y = torch.randint(0, 27, (200000,))
C = torch.randn(27, 10); W1 = torch.randn(30, 200) * 0.2; W2 = torch.randn(200, 27) * 0.01
g, b = torch.ones(200), torch.zeros(200)
ps = [C, W1, W2, g, b]
for p in ps: p.requires_grad = True
t = time.time()
for i in range(3000):
    ix = torch.randint(0, X.shape[0], (32,))
    h = (C[X[ix]].view(32, -1) @ W1)
    h = g * (h - h.mean(0)) / (h.std(0) + 1e-5) + b
    loss = F.cross_entropy(torch.tanh(h) @ W2, Y[ix])
    for p in ps: p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in ps: p -= 0.1 * p.grad
mlp = time.time() - t
# a GPT block's forward and backward: B=16, T=64, C=256, 4 heads, 30 steps
B, T, Cn = 16, 64, 256
x = torch.randn(B, T, Cn, requires_grad=True)
Wq = torch.randn(Cn, 3 * Cn, requires_grad=True); Wf = torch.randn(Cn, 4 * Cn, requires_grad=True); Wp = torch.randn(4 * Cn, Cn, requires_grad=True)
mask = torch.tril(torch.ones(T, T)).bool()
t = time.time()
for i in range(30):
    q, k, v = (F.layer_norm(x, (Cn,)) @ Wq).split(Cn, 2)
    q, k, v = [z.view(B, T, 4, Cn // 4).transpose(1, 2) for z in (q, k, v)]
    att = (q @ k.transpose(-2, -1) / 8).masked_fill(~mask, float('-inf')).softmax(-1)
    y = x + (att @ v).transpose(1, 2).reshape(B, T, Cn)
    y = y + F.gelu(F.layer_norm(y, (Cn,)) @ Wf) @ Wp
    y.pow(2).mean().backward()
gpt = time.time() - t
print(f"{torch.backends.cpu.get_cpu_capability()} threads {torch.get_num_threads()} mlp {mlp:.2f} gpt {gpt:.2f}")
