"""The tokenizer lecture's code, run on the venv: what notebooks/part7_tokenizer/ must print.

    .venv/bin/python tests/reference/tokenizer.py data/taylorswift.txt target/tokenizer_reference.json

The lecture's notebook is not published with its outputs; its code is minbpe's (get_stats, merge,
the training loop, decode, encode, recover_merges), run here step by step as the video types it,
with tiktoken for GPT-2's and GPT-4's ids (offline: the rank files tiktoken-rs ships, see
bpe.py's tiktoken_offline) and minbpe's classes for the exercise. Where the video's text is a
blog post we do not ship, the notebooks and this script read minbpe's test text,
taylorswift.txt.

Writes {notebook: [[label, line], ...]}: each line as the Rust notebook prints it (Rust's `{:?}`
of a list of numbers is Python's; of strings, JSON's quoting, see rs()).
"""
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from offline import MINBPE, tiktoken_offline  # noqa: E402  (and minbpe on sys.path)

tiktoken_offline()
import regex as re  # noqa: E402
import tiktoken  # noqa: E402
from minbpe import BasicTokenizer, RegexTokenizer  # noqa: E402
from minbpe.regex import GPT4_SPLIT_PATTERN  # noqa: E402
from minbpe.gpt4 import recover_merges  # noqa: E402
from sentencepiece_bpe import train as sentencepiece_train  # noqa: E402  (the lecture's options)


def rs_bool(x):
    """A bool as Rust prints it."""
    return "true" if x else "false"


def rs(strings):
    """A list of strings as Rust's `{:?}` prints it (double quotes; \\n, \\t, \\" escaped)."""
    return "[" + ", ".join(json.dumps(s, ensure_ascii=False) for s in strings) + "]"


# --- the lecture's code, as the video types it -------------------------------------------------
def get_stats(ids):
    counts = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def merge(ids, pair, idx):
    newids = []
    i = 0
    while i < len(ids):
        if i < len(ids) - 1 and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            newids.append(idx)
            i += 2
        else:
            newids.append(ids[i])
            i += 1
    return newids


def by_hand(text):
    out = []
    s = "안녕하세요 👋 (hello in Korean!)"
    out.append(("code points", str([ord(x) for x in s])))
    out.append(("utf-8 bytes", str(list(s.encode("utf-8")))))
    para = [line for line in text.splitlines() if line.startswith("Taylor Alison Swift (born")][0]
    tokens = list(map(int, para.encode("utf-8")))
    out.append(("paragraph length", f"length: {len(para)}"))
    out.append(("paragraph bytes", f"length: {len(tokens)}"))
    stats = get_stats(tokens)
    out.append(("top pairs", str(sorted(((v, k) for k, v in stats.items()), reverse=True)[:10])))
    top_pair = max(stats, key=stats.get)
    out.append(("top pair", f"{top_pair} {(chr(top_pair[0]), chr(top_pair[1]))}"))
    out.append(("merge example", str(merge([5, 6, 6, 7, 9, 1], (6, 7), 99))))
    tokens2 = merge(tokens, top_pair, 256)
    out.append(("merged length", f"length: {len(tokens2)}"))

    # training: 20 merges on the whole text
    vocab_size = 276
    num_merges = vocab_size - 256
    tokens = list(text.encode("utf-8"))
    ids = list(tokens)
    merges = {}
    for i in range(num_merges):
        stats = get_stats(ids)
        pair = max(stats, key=stats.get)
        idx = 256 + i
        out.append((f"merge {i}", f"merging {pair} into a new token {idx}"))
        ids = merge(ids, pair, idx)
        merges[pair] = idx
    out.append(("tokens length", f"tokens length: {len(tokens)}"))
    out.append(("ids length", f"ids length: {len(ids)}"))
    out.append(("compression", f"compression ratio: {len(tokens) / len(ids):.2f}X"))

    vocab = {idx: bytes([idx]) for idx in range(256)}
    for (p0, p1), idx in merges.items():
        vocab[idx] = vocab[p0] + vocab[p1]

    def decode(ids):
        return b"".join(vocab[idx] for idx in ids).decode("utf-8", errors="replace")

    def encode(text):
        tokens = list(text.encode("utf-8"))
        while len(tokens) >= 2:
            stats = get_stats(tokens)
            pair = min(stats, key=lambda p: merges.get(p, float("inf")))
            if pair not in merges:
                break
            tokens = merge(tokens, pair, merges[pair])
        return tokens

    out.append(("new tokens", rs([vocab[256 + i].decode("utf-8", errors="replace") for i in range(num_merges)])))
    out.append(("decode 128", decode([128])))
    out.append(("encode", str(encode("the singer-songwriter's records"))))
    out.append(("round trip", rs_bool(decode(encode(text)) == text)))
    valtext = "Many common characters, including numerals, punctuation, and other symbols, are unified within the standard"
    out.append(("round trip val", rs_bool(decode(encode(valtext)) == valtext)))
    basic = BasicTokenizer()
    basic.train(text, vocab_size)
    out.append(("minbpe's merges", f"the crate's Tokenizer (minbpe's BasicTokenizer) makes the same merges: {rs_bool(basic.merges == merges)}"))
    return out


_regex = {}


def trained_regex(text):
    """minbpe's RegexTokenizer (GPT-4 pattern) trained on the text to 512 tokens, once."""
    if "tok" not in _regex:
        _regex["tok"] = RegexTokenizer(GPT4_SPLIT_PATTERN)
        _regex["tok"].train(text, 512)
    return _regex["tok"]


EXAMPLE = """
for i in range(1, 101):
    if i % 3 == 0 and i % 5 == 0:
        print("FizzBuzz")
    elif i % 3 == 0:
        print("Fizz")
    elif i % 5 == 0:
        print("Buzz")
    else:
        print(i)
"""


def gpt_tokenizers(text):
    out = []
    gpt2pat = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
    out.append(("gpt2 split", rs(re.findall(gpt2pat, "Hello've world123 how's are you!!!?"))))
    out.append(("gpt2 split code", rs(re.findall(gpt2pat, EXAMPLE))))
    out.append(("gpt4 split code", rs(re.findall(GPT4_SPLIT_PATTERN, EXAMPLE))))
    gpt2 = tiktoken.get_encoding("r50k_base")  # tiktoken's "gpt2" has the same ranks, from files it would download
    cl100k = tiktoken.get_encoding("cl100k_base")
    out.append(("gpt2 ids", str(gpt2.encode("    hello world!!!"))))
    out.append(("gpt4 ids", str(cl100k.encode("    hello world!!!"))))
    out.append(("code tokens", f"GPT-2: {len(gpt2.encode(EXAMPLE))} tokens, GPT-4: {len(cl100k.encode(EXAMPLE))} tokens"))

    ranks = cl100k._mergeable_ranks
    merges = recover_merges(ranks)
    out.append(("byte shuffle", str([ranks[bytes([i])] for i in range(16)])))
    out.append(("merges", f"{len(merges)} merges"))
    out.append(("first merges", str([(pair, idx) for pair, idx in list(merges.items())[:5]])))
    s = "hello world!!!? (안녕하세요!) lol123 😉"
    out.append(("gpt4 example", str(cl100k.encode(s))))
    out.append(("gpt4 round trip", rs_bool(cl100k.decode(cl100k.encode(s)) == s)))

    out.append(("gpt2 eot", f"<|endoftext|> is {gpt2.eot_token} in GPT-2 ({gpt2.n_vocab} tokens)"))
    out.append(("gpt4 specials", str(cl100k.encode("<|endoftext|>hello world", allowed_special="all"))))

    def pieces(enc, s):
        return rs([enc.decode([i]) for i in enc.encode(s)])
    out.append(("arithmetic", pieces(gpt2, "127 + 677 = 804, 1275 + 6773 = 8048")))
    out.append(("magikarp", f"{gpt2.encode(' SolidGoldMagikarp')}"))
    out.append(("egg", pieces(gpt2, "Egg. I have an egg. EGG. An Egg")))
    out.append(("style", pieces(cl100k, ".DefaultCellStyle")))
    korean, english = "안녕하세요, 만나서 반갑습니다", "Hello, nice to meet you"
    out.append(("korean", f"GPT-2: {len(gpt2.encode(english))} tokens for English, {len(gpt2.encode(korean))} for Korean; "
                          f"GPT-4: {len(cl100k.encode(english))} and {len(cl100k.encode(korean))}"))

    tok = trained_regex(text)
    last = sorted(tok.merges.items(), key=lambda kv: kv[1])[-5:]
    out.append(("last merges", rs([tok.vocab[idx].decode("utf-8", errors="replace") for _, idx in last])))
    d = tempfile.mkdtemp()
    tok.save(os.path.join(d, "taylor"))
    with open(os.path.join(d, "taylor.model"), encoding="utf-8") as f:
        out.append(("model file", "\n".join(f.read().split("\n")[:4])))
    with open(os.path.join(d, "taylor.vocab"), encoding="utf-8") as f:
        out.append(("vocab file", "\n".join(f.read().split("\n")[256:260])))
    shutil.rmtree(d)
    ours = tok.encode_ordinary(text)
    b = len(text.encode("utf-8"))
    out.append(("taylor ratio", f"ours: {len(ours)} tokens ({b / len(ours):.2f} bytes each), "
                                f"GPT-4: {len(cl100k.encode_ordinary(text))} tokens ({b / len(cl100k.encode_ordinary(text)):.2f} bytes each)"))
    return out


def exercise(text):
    out = []
    basic = BasicTokenizer()
    basic.train(text, 512)
    ids = basic.encode(text)
    out.append(("basic", f"{len(ids)} tokens, decoded back: {rs_bool(basic.decode(ids) == text)}"))
    out.append(("basic last", rs([basic.vocab[256 + i].decode("utf-8", errors="replace") for i in range(251, 256)])))
    regex_tok = trained_regex(text)
    ids = regex_tok.encode(text)
    out.append(("regex", f"{len(ids)} tokens, decoded back: {rs_bool(regex_tok.decode(ids) == text)}"))
    def crossing(vocab):
        return sum(1 for t in vocab.values()
                   if any(65 <= c <= 90 or 97 <= c <= 122 for c in t) and b" " in t[1:])
    out.append(("crossing", f"tokens that cross a word's end: basic {crossing(basic.vocab)}, regex {crossing(regex_tok.vocab)}"))
    cl100k = tiktoken.get_encoding("cl100k_base")
    ranks = cl100k._mergeable_ranks
    out.append(("recovered", f"{len(recover_merges(ranks))} merges; byte 0 is id {ranks[bytes([0])]}"))
    s = "hello world!!!? (안녕하세요!) lol123 😉"
    out.append(("step 3", str(cl100k.encode(s))))
    out.append(("step 3 decode", rs_bool(cl100k.decode(cl100k.encode(s)) == s)))
    out.append(("step 4", str(cl100k.encode("<|endoftext|>hello world", allowed_special="all"))))
    sp = sentencepiece_train(text, 1000)  # step 5: the sentencepiece package, the lecture's options
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    chars = sum(1 for p in pieces[259:] if len(p) == 1)
    out.append(("step 5 size", f"{len(pieces)} pieces: 3 control, 256 bytes, {len(pieces) - 259 - chars} merges, {chars} characters"))
    out.append(("step 5 merges", f"the first merges: {rs(pieces[259:279])}"))
    out.append(("step 5 chars", f"the rarest characters: {rs(pieces[-10:])}"))
    s = "hello 안녕하세요"
    ids = sp.encode(s)
    out.append(("step 5 ids", str(ids)))
    out.append(("step 5 pieces", rs([pieces[i] for i in ids])))
    out.append(("step 5 decode", f"decoded: {sp.decode(ids)}"))
    return out


def main():
    text_path, out_path = sys.argv[1], sys.argv[2]
    with open(text_path, encoding="utf-8", newline="") as f:
        text = f.read()
    ref = {"01_bpe_by_hand": by_hand(text), "02_gpt_tokenizers": gpt_tokenizers(text),
           "e01_build_your_own": exercise(text), "minbpe": MINBPE}
    with open(out_path, "w") as f:
        json.dump(ref, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
