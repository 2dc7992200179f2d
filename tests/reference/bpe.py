"""Expected values for the Rust `bpe` tests, computed by running minbpe and tiktoken.

Run (about 4 minutes: minbpe is slow):
    .venv/bin/python tests/reference/bpe.py
Writes tests/reference/bpe.json. Needs: minbpe (MINBPE_DIR, default data/minbpe, which
`bash data/fetch.sh minbpe` fills), regex and tiktoken (requirements.txt), and the tiktoken rank files,
which it takes from the tiktoken-rs crate in ~/.cargo/registry (no download).
Long outputs are stored as (length, FNV-1a 64 hash) pairs; see fnv_ids / fnv_chunks.
"""
import json, os, random, shutil, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from offline import MINBPE, tiktoken_offline  # noqa: E402  (and minbpe on sys.path)

tiktoken_offline()
import regex  # noqa: E402
import tiktoken  # noqa: E402
from minbpe import BasicTokenizer, RegexTokenizer, GPT4Tokenizer  # noqa: E402
from minbpe.regex import GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN  # noqa: E402
sys.path.insert(0, os.path.join(MINBPE, "tests"))
import test_tokenizer as T  # noqa: E402  (minbpe's own test data)

def fnv(data: bytes, h=0xCBF29CE484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def fnv_ids(ids):
    return {"len": len(ids), "fnv": fnv(b"".join(i.to_bytes(4, "little") for i in ids))}


def fnv_chunks(chunks):
    return {"len": len(chunks), "fnv": fnv(b"".join(c.encode() + b"\xff" for c in chunks))}


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


taylor = read(os.path.join(ROOT, "data", "taylorswift.txt"))
shakespeare = read(os.environ.get("TINYSHAKESPEARE", "/work/shared/tinyshakespeare.txt"))
# texts named in the JSON; the Rust side reads the same files
FILES = {"taylorswift": taylor, "tinyshakespeare": shakespeare,
         "shakespeare100k": shakespeare.encode()[:100_000].decode("utf-8", "ignore")}

TRICKY = [
    "", "?", "hello world!!!? (안녕하세요!) lol123 😉",
    "HOW'S it GOIN'? I'LL, we'VE, they'RE, she'D, 'M 'T 'S 'Ll 'ſ 'ſt",
    "fn main() {\n    let x = 1_000;\r\n\tif x >= 10 { println!(\"{x:?}\"); }\n}\n",
    "a  b   c    \n\n\n  d\t\t e \r\n\r\n  \n x  ", "   ", "\n", "\n\n \n", " \n ", "x \n", "trailing   ",
    "1234567 12 3.14159 ２０２４ ½ ⅷ", "naïve café Ünïcödé ΑΒΓ Кириллица 中文字符 日本語",
    "👋🏽 👨‍👩‍👧 🇫🇷 ❤️ emoji!!!👍", "\u00a0nbsp\u2003em\u3000ideo \u0085nel\u2028ls",
    "\x1c\x1d\x1e\x1f control\x00\x07 chars\x7f", "'''' ''s ' s", "--->>> ...!!!??? ;;\n;;\r\n",
    "$100 @user #tag %20 &amp; <|endoftext|> [x](y)", "\t\tindent\n\t\t\tmore\n",
]


def chunk_refs():
    out = {"strings": [], "files": {}}
    for s in TRICKY:
        out["strings"].append({"text": s, "gpt2": regex.findall(GPT2_SPLIT_PATTERN, s),
                               "gpt4": regex.findall(GPT4_SPLIT_PATTERN, s)})
    for name in ["taylorswift", "tinyshakespeare"]:
        out["files"][name] = {p: fnv_chunks(regex.findall(pat, FILES[name]))
                              for p, pat in [("gpt2", GPT2_SPLIT_PATTERN), ("gpt4", GPT4_SPLIT_PATTERN)]}
    return out


def class_ranges():
    """Code point ranges of \\p{L}, \\p{N}, \\s in Python's regex (the split patterns' classes)."""
    out = {}
    for name, pat in [("L", r"\p{L}"), ("N", r"\p{N}"), ("S", r"\s")]:
        r, ranges, start = regex.compile(pat), [], None
        for c in range(0x110001):
            inside = c < 0x110000 and not 0xD800 <= c < 0xE000 and r.match(chr(c)) is not None
            if inside and start is None:
                start = c
            elif not inside and start is not None and not 0xD800 <= c < 0xE000:
                ranges.append([start, c - 1])
                start = None
        out[name] = ranges
    return out


def make_texts():
    rng = random.Random(1337)
    ties = " ".join(rng.choice(["ab", "ba", "abc", "cab", "bca", "aa", "bb"]) for _ in range(1500))
    ties += " " + " ".join("".join(rng.choice("abcd") for _ in range(rng.randint(1, 6))) for _ in range(1500))
    words = ["안녕하세요", "세계", "😉", "🙂🙃", "Привет", "мир", "中文", "日本語", "ça", "va", "naïve",
             "Ω≈ç√", "١٢٣", "€100", "ß", "Ünïcödé", "👨‍👩‍👧"]
    unicode = " ".join(rng.choice(words) + rng.choice(["", "!", "?", ",", "\n"]) for _ in range(2500))
    pool = "안녕하세요세계😉🙂🙃ПриветмирçaÜïöéß中文日本語Ω≈√١٢٣€👨‍👩‍👧"
    unicode += " " + " ".join("".join(rng.choice(pool) for _ in range(rng.randint(1, 5))) for _ in range(2500))
    runs = "a" * 300 + " " + "ab" * 200 + " " + "aab" * 100 + "\n" * 50 + "   " * 40
    return {"ties": ties, "unicode": unicode, "runs": runs, "wiki": "aaabdaaabac", "tiny": "ab",
            "llama": T.llama_text}


def train_case(kind, pattern, text_name, vocab_size, texts):
    text = FILES.get(text_name) or texts[text_name]
    tok = BasicTokenizer() if kind == "basic" else RegexTokenizer(pattern)
    t0 = time.time()
    case = {"kind": kind, "pattern": pattern, "text": text_name, "vocab_size": vocab_size}
    try:
        tok.train(text, vocab_size)
    except ValueError as e:  # minbpe: max() of an empty dict when pairs run out
        case["error"] = str(e)
        return case
    dt = time.time() - t0
    print(f"  minbpe {kind} {pattern and pattern[:12]} {text_name} {vocab_size}: {dt:.1f}s", flush=True)
    case["merges"] = [[a, b] for (a, b), _ in sorted(tok.merges.items(), key=lambda kv: kv[1])]
    case["encoded"] = fnv_ids(tok.encode(text) if kind == "basic" else tok.encode_ordinary(text))
    return case


def main():
    texts = make_texts()
    ref = {"texts": texts, "tricky": TRICKY}
    print("chunks"); ref["chunks"] = chunk_refs()
    print("classes"); ref["classes"] = class_ranges()

    # minbpe's own tests
    ref["wikipedia"] = {}
    for name, cls in [("basic", BasicTokenizer), ("regex", RegexTokenizer)]:
        tok = cls(); tok.train("aaabdaaabac", 256 + 3)
        ref["wikipedia"][name] = tok.encode("aaabdaaabac")
    strings = T.test_strings[:3] + [taylor]
    ref["identity"] = [{"basic": BasicTokenizer().decode(BasicTokenizer().encode(s)) == s,
                        "regex": RegexTokenizer().decode(RegexTokenizer().encode(s)) == s} for s in strings]
    gpt4 = GPT4Tokenizer()
    enc4, enc2 = tiktoken.get_encoding("cl100k_base"), tiktoken.get_encoding("r50k_base")
    ref["gpt4"], ref["gpt2"] = {}, {}
    for i, s in enumerate(TRICKY + [T.llama_text]):
        ref["gpt4"][f"s{i}"] = {"text": s, "tiktoken": enc4.encode(s, disallowed_special=()),
                                "minbpe": gpt4.encode(s, allowed_special="none")}
        ref["gpt2"][f"s{i}"] = {"text": s, "tiktoken": enc2.encode(s, disallowed_special=())}
    for name in ["taylorswift", "tinyshakespeare"]:
        ids = enc4.encode_ordinary(FILES[name])
        ref["gpt4"][name] = {"tiktoken": fnv_ids(ids), "decoded_ok": enc4.decode(ids) == FILES[name]}
        if name == "taylorswift":
            ref["gpt4"][name]["minbpe"] = fnv_ids(gpt4.encode(FILES[name]))
        ref["gpt2"][name] = {"tiktoken": fnv_ids(enc2.encode_ordinary(FILES[name]))}
    ref["gpt4_specials"] = {"text": T.specials_string,
                            "tiktoken": enc4.encode(T.specials_string, allowed_special="all"),
                            "minbpe": gpt4.encode(T.specials_string, allowed_special="all")}
    ref["gpt4_merges_head"] = [[a, b, i] for (a, b), i in list(gpt4.merges.items())[:50]]
    ref["gpt4_byte_shuffle"] = [gpt4.byte_shuffle[b] for b in range(256)]

    # decode of invalid UTF-8, as minbpe (errors="replace")
    rng = random.Random(7)
    pool = [0x41, 0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xE2, 0x82, 0xAC, 0xED, 0xA0, 0xF0, 0xF4, 0x90, 0x9F, 0xF5, 0xFF]
    seqs = [[rng.choice(pool) for _ in range(rng.randint(1, 8))] for _ in range(300)]
    ref["decode_invalid"] = [{"ids": s, "text": BasicTokenizer().decode(s)} for s in seqs]

    # save / load (minbpe's test_save_load, plus the .model/.vocab text)
    ref["save_load"] = []
    for specials in [{}, T.special_tokens]:
        for pattern in [None, GPT2_SPLIT_PATTERN]:
            tok = RegexTokenizer(pattern); tok.train(T.llama_text, 256 + 64)
            tok.register_special_tokens(specials)
            d = tempfile.mkdtemp()
            tok.save(os.path.join(d, "tok"))
            ids = tok.encode(T.llama_text, "all")
            re_tok = RegexTokenizer(); re_tok.load(os.path.join(d, "tok.model"))
            ref["save_load"].append({"pattern": pattern, "specials": list(specials.items()), "ids": ids,
                                     "model": read(os.path.join(d, "tok.model")),
                                     "vocab": read(os.path.join(d, "tok.vocab")),
                                     "reloaded_ids": re_tok.encode(T.llama_text, "all")})
            shutil.rmtree(d)
    tok = BasicTokenizer(); tok.train(texts["unicode"], 256 + 100)
    d = tempfile.mkdtemp(); tok.save(os.path.join(d, "basic"))
    ref["save_basic"] = {"model": read(os.path.join(d, "basic.model")), "vocab": read(os.path.join(d, "basic.vocab"))}
    shutil.rmtree(d)

    # training: merges equal to minbpe's
    cases = [("basic", None, "wiki", 259), ("regex", GPT4_SPLIT_PATTERN, "wiki", 259),
             ("basic", None, "tiny", 257), ("basic", None, "tiny", 258), ("regex", GPT4_SPLIT_PATTERN, "tiny", 258),
             ("basic", None, "runs", 300), ("regex", GPT4_SPLIT_PATTERN, "runs", 280),
             ("basic", None, "ties", 400), ("regex", GPT4_SPLIT_PATTERN, "ties", 320), ("regex", GPT2_SPLIT_PATTERN, "ties", 320),
             ("basic", None, "unicode", 400), ("regex", GPT4_SPLIT_PATTERN, "unicode", 400), ("regex", GPT2_SPLIT_PATTERN, "unicode", 400),
             ("regex", GPT4_SPLIT_PATTERN, "llama", 256 + 64)]
    cases += [("regex", GPT4_SPLIT_PATTERN, "taylorswift", 512), ("regex", GPT2_SPLIT_PATTERN, "taylorswift", 512),
              ("basic", None, "taylorswift", 512),
              ("regex", GPT4_SPLIT_PATTERN, "shakespeare100k", 512), ("basic", None, "shakespeare100k", 512),
              ("regex", GPT4_SPLIT_PATTERN, "shakespeare100k", 1024)]
    print("training")
    ref["train"] = [train_case(*c, texts) for c in cases]
    with open(os.path.join(HERE, "bpe.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=False, separators=(",", ":"))
    print("wrote tests/reference/bpe.json")


if __name__ == "__main__":
    main()
