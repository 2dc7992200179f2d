"""`make bench-bpe` (and the last table of `make bench`): byte-pair encoding, side by side in one
run, every measurement a whole process (start, read the file, work, write the result), REPS runs
each, medians. Nothing checks the times; the ids must be tiktoken's.

    .venv/bin/python scripts/bench_bpe.py MAKEMORE [REPS]

1. Training with GPT-4's split pattern: tiny Shakespeare to 2,048 tokens, and ~20 MB of Rust
   source (the .rs files of cargo's registry on this machine, in sorted order) to 4,096:
   `makemore bpe train` against Karpathy's `rustbpe` (pip), Hugging Face `tokenizers` (its BPE
   trainer with the same split and byte-level alphabet) and minbpe's Python (a merge's time,
   from its trainings of 1 and 4 merges timed inside the process: the whole training would take
   hours; the estimate is that times the merges, its split of the text not counted). Whether our merges equal
   rustbpe's is shown; that they equal minbpe's is the tests' (tests/bpe_reference.rs).
2. Encoding both texts with GPT-4's tokenizer (cl100k_base), ids written space-separated:
   `makemore bpe encode` against tiktoken (one thread); the ids must be the same.
"""
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'reference'))
from offline import MINBPE, tiktoken_offline  # noqa: E402

PY = sys.executable
GPT4 = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""

# Each Python side is a program of its own, run as a whole process like ours: argv = file,
# vocab size (or output path).
RUSTBPE = """
import sys, rustbpe
text = open(sys.argv[1], encoding='utf-8').read()
tok = rustbpe.Tokenizer()
tok.train_from_iterator([text], int(sys.argv[2]), pattern=sys.argv[3])
ranks = tok.get_mergeable_ranks()
with open(sys.argv[4], 'wb') as f:
    for token, rank in sorted(ranks, key=lambda tr: tr[1]):
        f.write(bytes(token).hex().encode() + b'\\n')
"""
HF = """
import sys
from tokenizers import Tokenizer, Regex, models, pre_tokenizers, trainers
text = open(sys.argv[1], encoding='utf-8').read()
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Split(Regex(sys.argv[3]), behavior='isolated'),
    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
trainer = trainers.BpeTrainer(vocab_size=int(sys.argv[2]), show_progress=False,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
tok.train_from_iterator([text], trainer)
"""
MINBPE_MERGES = """
import sys, time
sys.path.insert(0, sys.argv[3])
from minbpe import RegexTokenizer
text = open(sys.argv[1], encoding='utf-8').read()
t = time.perf_counter()
RegexTokenizer().train(text, 256 + int(sys.argv[2]))
print(time.perf_counter() - t)
"""
TIKTOKEN = """
import sys, tiktoken
text = open(sys.argv[1], encoding='utf-8').read()
ids = tiktoken.get_encoding('cl100k_base').encode_ordinary(text)
with open(sys.argv[2], 'w') as f:
    f.write(' '.join(map(str, ids)) + '\\n')
"""


def timed(argv, reps, **kw):
    """Median wall time of `argv` as a whole process, and the last run's stdout."""
    times, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        run = subprocess.run(argv, capture_output=True, check=True, **kw)
        times.append(time.perf_counter() - t)
        out = run.stdout
    return statistics.median(times), out


def rust_corpus(path, limit=20_000_000):
    """The .rs files of cargo's registry, sorted, concatenated up to `limit` bytes (UTF-8 only)."""
    files = sorted(glob.glob(os.path.expanduser('~/.cargo/registry/src/*/*/**/*.rs'), recursive=True))
    size, n = 0, 0
    with open(path, 'w', encoding='utf-8') as out:
        for f in files:
            try:
                text = open(f, encoding='utf-8').read()
            except (UnicodeDecodeError, OSError):
                continue
            out.write(text)
            size, n = size + len(text.encode()), n + 1
            if size >= limit:
                break
    return size, n


def main():
    makemore, reps = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    tiktoken_offline()
    work = tempfile.mkdtemp()
    shakespeare = os.path.join(ROOT, 'data', 'tinyshakespeare.txt')
    corpus = os.path.join(work, 'rust.txt')
    size, nfiles = rust_corpus(corpus)
    texts = [('tiny Shakespeare', shakespeare, 2048), (f'Rust source ({nfiles} files)', corpus, 4096)]
    print(f'bench-bpe: {reps} runs each, medians; {os.cpu_count()} cores')
    rows = []
    for name, path, vocab in texts:
        mb = os.path.getsize(path) / 1e6
        prefix = os.path.join(work, 'ours')
        ours, _ = timed([makemore, 'bpe', 'train', '-i', path, '--vocab-size', str(vocab), '--pattern', 'gpt4',
                         '-o', prefix], reps)
        rb_out = os.path.join(work, 'rustbpe.hex')
        rb, _ = timed([PY, '-c', RUSTBPE, path, str(vocab), GPT4, rb_out], reps)
        hf, _ = timed([PY, '-c', HF, path, str(vocab), GPT4], reps)
        # minbpe's training of 1 merge and of 4, inside the process: the difference is 3 merges
        # (the rest is its split of the text, done once)
        one = float(timed([PY, '-c', MINBPE_MERGES, path, '1', MINBPE], 1)[1])
        four = float(timed([PY, '-c', MINBPE_MERGES, path, '4', MINBPE], 1)[1])
        per_merge = (four - one) / 3
        # our merges against rustbpe's: the bytes of each token, in id order
        ours_tokens = [bytes(t).hex() for t in vocab_bytes(prefix + '.model')]
        rb_tokens = open(rb_out).read().split()
        first = next((i for i, (a, b) in enumerate(zip(ours_tokens, rb_tokens)) if a != b), None)
        same = 'all equal to rustbpe\'s' if first is None and len(ours_tokens) == len(rb_tokens) else \
            f'equal to rustbpe\'s up to merge {first - 256 if first is not None else min(len(ours_tokens), len(rb_tokens)) - 256}'
        rows.append((f'train {name}, {mb:.1f} MB, vocab {vocab}', ours, rb, hf, per_merge, vocab - 256, same))
    print('\n1. Training, GPT-4 pattern (whole processes)\n')
    print('| text | makemore | rustbpe | rustbpe / makemore | HF tokenizers | HF / makemore | '
          'minbpe (Python), per merge | minbpe, all merges (estimated) | merges |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
    for label, ours, rb, hf, pm, n, same in rows:
        print(f'| {label} | {ours:.3f} s | {rb:.3f} s | {rb / ours:.1f}x | {hf:.3f} s | {hf / ours:.1f}x | '
              f'{pm:.2f} s | {pm * n / 60:.0f} min | {same} |')

    print('\n2. Encoding with GPT-4\'s tokenizer (cl100k_base), ids written out (whole processes)\n')
    print('| text | makemore | MB/s | tiktoken (1 thread) | MB/s | tiktoken / makemore | same ids |')
    print('| --- | --- | --- | --- | --- | --- | --- |')
    failed = False
    for name, path, _ in texts:
        mb = os.path.getsize(path) / 1e6
        ours, ids = timed([makemore, 'bpe', 'encode', '--tokenizer', 'cl100k_base', '-i', path], reps)
        tk_out = os.path.join(work, 'tiktoken.ids')
        tk, _ = timed([PY, '-c', TIKTOKEN, path, tk_out], reps)  # encode_ordinary: one thread
        same = ids.split() == open(tk_out, 'rb').read().split()
        failed |= not same
        print(f'| {name}, {mb:.1f} MB | {ours:.3f} s | {mb / ours:.1f} | {tk:.3f} s | {mb / tk:.1f} | '
              f'{tk / ours:.1f}x | {"yes" if same else "NO"} |')
    sys.exit(1 if failed else 0)


def vocab_bytes(model_path):
    """The bytes of each token of a minbpe .model file, in id order (256 bytes, then merges)."""
    lines = open(model_path, encoding='utf-8').read().split('\n')
    nspecial = int(lines[2])
    vocab = [bytes([i]) for i in range(256)]
    for line in lines[3 + nspecial:]:
        if line.strip():
            a, b = map(int, line.split())
            vocab.append(vocab[a] + vocab[b])
    return vocab


if __name__ == '__main__':
    main()
