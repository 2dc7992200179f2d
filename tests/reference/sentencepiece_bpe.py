"""Expected values for tests/sentencepiece_reference.rs, computed by the `sentencepiece` package
(pip, requirements.txt): its BPE trainer run with the tokenizer lecture's options (minbpe's
exercise, step 5), on the texts and vocab sizes below, and its encoding and decoding of a few
strings with each result.

    .venv/bin/python tests/reference/sentencepiece_bpe.py

Writes tests/reference/sentencepiece_bpe.json (seconds). Needs data/taylorswift.txt and
data/tinyshakespeare.txt (`bash data/fetch.sh`).
"""
import json
import os
import sys
import tempfile

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The lecture's options, as it passes them to SentencePieceTrainer.train.
LECTURE_OPTIONS = dict(
    input_format="text", model_type="bpe",
    normalization_rule_name="identity", remove_extra_whitespaces=False,
    input_sentence_size=200000000, max_sentence_length=4192, seed_sentencepiece_size=1000000,
    shuffle_input_sentence=True, character_coverage=0.99995, byte_fallback=True,
    split_digits=True, split_by_unicode_script=True, split_by_whitespace=True, split_by_number=True,
    max_sentencepiece_length=16, add_dummy_prefix=True, allow_whitespace_only_pieces=True,
    unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=os.cpu_count(),
    minloglevel=2,  # quiet (not the lecture's)
)

# Lines with several scripts, digits, runs of spaces, tabs, combining marks: the rules of a piece.
MIXED = "\n".join([
    "hello  world 123 hello   world 4567 hello world",
    "안녕하세요 세계 안녕 hello 안녕하세요",
    "こんにちは 世界 カタカナー ひらがな 漢字 こんにちは",
    "Привет мир привет Привет мир",
    "cafe\u0301 café naïve façade café cafe\u0301",
    "\ttab\tseparated\tvalues\t1\t2",
    "emoji 😉 😉 ok!!! ... ??? ---",
] * 20) + "\n"

PROBES = ["hello 안녕하세요", "  two leading spaces, and two trailing  ", "digits 12345, a tab\there",
          "Café, naïve! こんにちは 世界 😉", "First Citizen:\nBefore we proceed any further, hear me speak."]


def train(text, vocab_size):
    """The processor trained on `text` with the lecture's options."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "input.txt")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        spm.SentencePieceTrainer.train(input=path, model_prefix=os.path.join(d, "tok"), vocab_size=vocab_size,
                                       **LECTURE_OPTIONS)
        return spm.SentencePieceProcessor(model_file=os.path.join(d, "tok.model"))


def read(name):
    with open(os.path.join(ROOT, "data", name), encoding="utf-8", newline="") as f:
        return f.read()


def main():
    texts = {"taylorswift": read("taylorswift.txt"), "tinyshakespeare": read("tinyshakespeare.txt"), "mixed": MIXED}
    cases = []
    for name, vocab_size in [("taylorswift", 400), ("taylorswift", 2000), ("tinyshakespeare", 1000),
                             ("tinyshakespeare", 8000), ("mixed", 330)]:
        sp = train(texts[name], vocab_size)
        probes = PROBES + [texts[name][:1000]]
        encoded = [sp.encode(p) for p in probes]
        # ids no encoding gives: a character cut short, a stray byte, <unk>, <s> and </s>
        hello = encoded[0]
        odd = [[3 + 0xEC, 3 + 0x95], [3 + 0x80] + hello, [0] + hello, [1] + hello + [2], hello[1:] + hello]
        cases.append({"text": name, "vocab_size": vocab_size,
                      "pieces": [sp.id_to_piece(i) for i in range(sp.get_piece_size())],
                      "probes": [{"text": p, "ids": ids, "decoded": sp.decode(ids)} for p, ids in zip(probes, encoded)],
                      "decodes": [{"ids": ids, "decoded": sp.decode(ids)} for ids in odd]})
    out = os.path.join(HERE, "sentencepiece_bpe.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"sentencepiece": spm.__version__, "mixed": MIXED, "cases": cases}, f, ensure_ascii=False)
    print(f"wrote {out}: {len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
