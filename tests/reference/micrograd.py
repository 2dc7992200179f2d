"""The lecture "The spelled-out intro to neural networks and backpropagation: building micrograd"
(nn-zero-to-hero, micrograd_lecture_first_half_roughly.ipynb and ..._second_half_roughly.ipynb),
its exercises, and micrograd's test/test_engine.py, run as notebooks/part0_micrograd/ runs them,
on the venv's Python and torch: every value the notebooks print, for tests/notebooks.py to compare
against.

    python tests/reference/micrograd.py target/micrograd_reference.json

The lecture's `Value` is its code, with one change: `_prev` keeps the children in the order they
were given (a tuple) where the lecture's `set(_children)` orders them by memory address, so the
order of the gradient sums, and with it the last digits of a gradient, varies from run to run
in the lecture and not here. Its cells run top to bottom, in the video's order (the committed
outputs of the lecture's notebooks came from cells run out of order): the gradients of `L` set by
hand as the video sets them, then the nudge; the neuron's gradients by hand, then one
`_backward` at a time, then `backward()`. The MLP draws `random.uniform` without a seed in the
lecture: here from `random.seed(SEED)`, and trained twice from that same draw: first with the
video's forgotten `zero_grad`, then with it.

Graphs are compared by their labels: `draw_dot` writes a record `{ label | data %.4f | grad %.4f }`
for each node; `labels(root)` lists them, sorted.
"""
import json
import math
import random
import sys

import torch

SEED = 42  # random.seed(SEED) before the MLP's weights: the lecture draws them unseeded


# ---- the lecture's Value (second half: + - * / ** exp tanh, numbers on either side) ------------

class Value:

    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)  # the lecture: set(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), '+')

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), '*')

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, other):
        assert isinstance(other, (int, float)), "only supporting int/float powers for now"
        out = Value(self.data**other, (self,), f'**{other}')

        def _backward():
            self.grad += other * (self.data ** (other - 1)) * out.grad
        out._backward = _backward
        return out

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):  # self / other
        return self * other**-1

    def __rtruediv__(self, other):  # other / self (micrograd's engine)
        return other * self**-1

    def __neg__(self):  # -self
        return self * -1

    def __sub__(self, other):  # self - other
        return self + (-other)

    def __radd__(self, other):  # other + self
        return self + other

    def tanh(self):
        x = self.data
        t = (math.exp(2*x) - 1)/(math.exp(2*x) + 1)
        out = Value(t, (self, ), 'tanh')

        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        x = self.data
        out = Value(math.exp(x), (self, ), 'exp')

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):  # the exercise's
        out = Value(math.log(self.data), (self, ), 'log')

        def _backward():
            self.grad += (1 / self.data) * out.grad
        out._backward = _backward
        return out

    def relu(self):  # micrograd's engine
        out = Value(0 if self.data < 0 else self.data, (self,), 'ReLU')

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo = topological(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


def topological(root):
    """The lecture's build_topo: every node after its children."""
    topo = []
    visited = set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)
    build_topo(root)
    return topo


def trace(root):
    nodes, edges = [], set()

    def build(v):
        if v not in nodes:
            nodes.append(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges


def labels(root):
    """What draw_dot(root) writes in its records, sorted; and its op nodes, sorted."""
    nodes, _ = trace(root)
    return (sorted("{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad) for n in nodes),
            sorted(n._op for n in nodes if n._op))


def neuron_pieces():
    """The lecture's neuron up to n = x1*w1 + x2*w2 + b, each value labelled, by name."""
    x1 = Value(2.0, label='x1')
    x2 = Value(0.0, label='x2')
    w1 = Value(-3.0, label='w1')
    w2 = Value(1.0, label='w2')
    b = Value(6.8813735870195432, label='b')
    x1w1 = x1*w1; x1w1.label = 'x1*w1'
    x2w2 = x2*w2; x2w2.label = 'x2*w2'
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
    n = x1w1x2w2 + b; n.label = 'n'
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n)


def first_half():
    r = {}

    def f(x):
        return 3*x**2 - 4*x + 5
    r['f3'] = repr(f(3.0))
    h = 0.000001
    x = 2/3
    r['slope_at_2_3'] = repr((f(x + h) - f(x))/h)
    a, b, c = 2.0, -3.0, 10.0
    d = a*b + c
    r['d'] = repr(d)
    h = 0.0001
    d1 = a*b + c
    c += h
    d2 = a*b + c
    r['d1_d2_slope'] = [repr(d1), repr(d2), repr((d2 - d1)/h)]

    a = Value(2.0, label='a')
    b = Value(-3.0, label='b')
    c = Value(10.0, label='c')
    e = a*b; e.label = 'e'
    d = e + c; d.label = 'd'
    f = Value(-2.0, label='f')
    L = d * f; L.label = 'L'
    r['L'] = repr(L)
    r['L_graph'] = labels(L)
    # the video sets L's gradients by hand, from L back to the leaves
    L.grad = 1.0
    f.grad = d.data  # dL/df = d
    d.grad = f.data  # dL/dd = f
    c.grad = d.grad  # dd/dc = 1
    e.grad = d.grad  # dd/de = 1
    a.grad = b.data * e.grad
    b.grad = a.data * e.grad
    r['L_graph_by_hand'] = labels(L)
    # the lecture's cell: a step along the gradient, then the forward pass again
    a.data += 0.01 * a.grad
    b.data += 0.01 * b.grad
    c.data += 0.01 * c.grad
    f.data += 0.01 * f.grad
    e = a * b
    d = e + c
    L = d * f
    r['L_after_step'] = repr(L.data)

    def lol():
        h = 0.001
        a = Value(2.0, label='a')
        b = Value(-3.0, label='b')
        c = Value(10.0, label='c')
        e = a*b; e.label = 'e'
        d = e + c; d.label = 'd'
        f = Value(-2.0, label='f')
        L = d * f; L.label = 'L'
        L1 = L.data
        a = Value(2.0, label='a')
        b = Value(-3.0, label='b')
        b.data += h
        c = Value(10.0, label='c')
        e = a*b; e.label = 'e'
        d = e + c; d.label = 'd'
        f = Value(-2.0, label='f')
        L = d * f; L.label = 'L'
        L2 = L.data
        return (L2 - L1)/h
    r['lol'] = repr(lol())

    def neuron():
        v = neuron_pieces()
        o = v['n'].tanh(); o.label = 'o'
        return o, v

    o, v = neuron()
    r['o'] = repr(o.data)
    r['neuron_graph'] = labels(o)
    # by hand, as the video: o, then n, then the sums, then the products' inputs
    o.grad = 1.0
    r['one_minus_o2'] = repr(1 - o.data**2)
    v['n'].grad = 0.5
    v['x1w1x2w2'].grad = 0.5
    v['b'].grad = 0.5
    v['x1w1'].grad = 0.5
    v['x2w2'].grad = 0.5
    v['x2'].grad = v['w2'].data * v['x2w2'].grad
    v['w2'].grad = v['x2'].data * v['x2w2'].grad
    v['x1'].grad = v['w1'].data * v['x1w1'].grad
    v['w1'].grad = v['x1'].data * v['x1w1'].grad
    r['neuron_graph_by_hand'] = labels(o)
    # then each node's _backward, by hand, in the video's order
    o, v = neuron()
    o.grad = 1.0
    o._backward()
    v['n']._backward()
    v['b']._backward()
    v['x1w1x2w2']._backward()
    v['x2w2']._backward()
    v['x1w1']._backward()
    r['neuron_graph_backward_by_hand'] = labels(o)
    # the topological order, then backward()
    o, v = neuron()
    r['topo'] = [repr(t) for t in topological(o)]
    o.backward()
    r['neuron_graph_backward'] = labels(o)

    # the bug of a + a: `=` in _backward loses one of the two paths (1.0); `+=` gives 2.0
    a = Value(3.0, label='a')
    b = a + a; b.label = 'b'
    b.backward()
    r['a_plus_a'] = labels(b)
    a = Value(-2.0, label='a')
    b = Value(3.0, label='b')
    d = a * b; d.label = 'd'
    e = a + b; e.label = 'e'
    f = d * e; f.label = 'f'
    f.backward()
    r['a_used_twice'] = labels(f)
    return r


class Neuron:

    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))

    def __call__(self, x):
        act = sum((wi*xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        return self.w + [self.b]


class Layer:

    def __init__(self, nin, nout):
        self.neurons = [Neuron(nin) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:

    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i+1]) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def fit(n, xs, ys, zero_grad, steps=20):
    """The lecture's training loop: the losses printed at each step, as repr, and the last ypred."""
    losses = []
    for k in range(steps):
        # forward pass
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))
        # backward pass
        if zero_grad:
            for p in n.parameters():
                p.grad = 0.0
        loss.backward()
        # update
        for p in n.parameters():
            p.data += -0.1 * p.grad
        losses.append(repr(loss.data))
    return losses, ypred


def second_half():
    r = {}
    a = Value(2.0)
    r['number_ops'] = [repr(a + 1), repr(1 + a), repr(a * 2), repr(2 * a), repr(a.exp()), repr(a / 4.0),
                       repr(a - 1), repr(-a), repr(a**3)]
    o = neuron_pieces()['n'].tanh(); o.label = 'o'
    o.backward()
    r['tanh_graph'] = labels(o)
    v = neuron_pieces()
    e = (2*v['n']).exp()
    o = (e - 1) / (e + 1)
    o.label = 'o'
    o.backward()
    r['pieces_graph'] = labels(o)
    r['pieces_grads'] = [repr(v[k].grad) for k in ('x1', 'x2', 'w1', 'w2', 'b')]

    x1 = torch.Tensor([2.0]).double(); x1.requires_grad = True
    x2 = torch.Tensor([0.0]).double(); x2.requires_grad = True
    w1 = torch.Tensor([-3.0]).double(); w1.requires_grad = True
    w2 = torch.Tensor([1.0]).double(); w2.requires_grad = True
    b = torch.Tensor([6.8813735870195432]).double(); b.requires_grad = True
    n = x1*w1 + x2*w2 + b
    o = torch.tanh(n)
    o.backward()
    r['torch'] = {'o': repr(o.data.item()), 'x2': repr(x2.grad.item()), 'w2': repr(w2.grad.item()),
                  'x1': repr(x1.grad.item()), 'w1': repr(w1.grad.item())}

    random.seed(SEED)
    x = [2.0, 3.0, -1.0]
    n = MLP(3, [4, 4, 1])
    r['mlp_out'] = repr(n(x))
    r['mlp_params'] = len(n.parameters())
    r['first_weights'] = [repr(p.data) for p in n.parameters()[:4]]
    xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ]
    ys = [1.0, -1.0, -1.0, 1.0]
    ypred = [n(x) for x in xs]
    loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))
    r['first_loss'] = repr(loss.data)
    r['first_ypred'] = [repr(y) for y in ypred]
    loss.backward()
    r['first_weight_grad'] = repr(n.layers[0].neurons[0].w[0].grad)
    # the video's loop first: without zero_grad (the gradients of every step pile up) ...
    n0 = [p.data for p in n.parameters()]
    for p in n.parameters():
        p.grad = 0.0
    r['loop_without_zero_grad'], _ = fit(n, xs, ys, zero_grad=False)
    # ... then the fix, from the same weights
    for p, d in zip(n.parameters(), n0):
        p.data, p.grad = d, 0.0
    r['loop'], ypred = fit(n, xs, ys, zero_grad=True)
    r['ypred'] = [repr(y) for y in ypred]
    return r


def test_engine():
    """micrograd's test/test_engine.py: the torch side of each test (what ours must equal)."""
    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    sanity = {'y': y.data.item(), 'x.grad': x.grad.item()}
    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    more = {'g': g.data.item(), 'a.grad': a.grad.item(), 'b.grad': b.grad.item()}
    return {'sanity': sanity, 'more_ops': more}


def exercises():
    """The lecture's exercises (linked from its description): derivatives of f at (2, 3, 4), and
    softmax with the negative log likelihood on Values."""
    def f(a, b, c):
        return -a**3 + math.sin(3*b) - 1.0/c + b**2.5 - a**0.5
    a, b, c = 2, 3, 4
    analytic = [-3*a**2 - 0.5*a**-0.5, 3*math.cos(3*b) + 2.5*b**1.5, 1/c**2]
    h = 0.000001
    forward = [(f(a + h, b, c) - f(a, b, c))/h, (f(a, b + h, c) - f(a, b, c))/h, (f(a, b, c + h) - f(a, b, c))/h]
    symmetric = [(f(a + h, b, c) - f(a - h, b, c))/(2*h), (f(a, b + h, c) - f(a, b - h, c))/(2*h),
                 (f(a, b, c + h) - f(a, b, c - h))/(2*h)]
    e01 = {'f': repr(f(a, b, c)), 'analytic': [repr(x) for x in analytic],
           'forward': [repr(x) for x in forward], 'symmetric': [repr(x) for x in symmetric]}

    def softmax(logits):
        counts = [logit.exp() for logit in logits]
        denominator = sum(counts)
        return [c / denominator for c in counts]
    logits = [Value(0.0), Value(3.0), Value(-2.0), Value(1.0)]
    probs = softmax(logits)
    loss = -probs[3].log()
    loss.backward()
    t = torch.Tensor([0.0, 3.0, -2.0, 1.0]).double()
    t.requires_grad = True
    tloss = -torch.log_softmax(t, 0)[3]
    tloss.backward()
    e02 = {'loss': repr(loss.data), 'grads': [repr(v.grad) for v in logits],
           'torch_loss': repr(tloss.item()), 'torch_grads': [repr(g) for g in t.grad.tolist()]}
    return {'e01': e01, 'e02': e02}


def main(out):
    r = {'seed': SEED, 'first_half': first_half(), 'second_half': second_half(),
         'test_engine': test_engine(), **exercises()}
    with open(out, 'w') as fh:
        json.dump(r, fh, indent=1)


if __name__ == '__main__':
    main(sys.argv[1])
