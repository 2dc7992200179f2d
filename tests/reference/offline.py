"""minbpe and tiktoken, offline: the reference scripts' common start (bpe.py, tokenizer.py).

minbpe is not a pip package: it is imported from MINBPE_DIR (default data/minbpe, which
`bash data/fetch.sh minbpe` fills: minbpe's code at 1acefe8, sha256-checked).
tiktoken downloads its rank files on first use; tiktoken_offline() points it at the files the
tiktoken-rs crate ships (in cargo's registry), named as tiktoken caches them.
"""
import glob
import hashlib
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MINBPE = os.environ.get("MINBPE_DIR", os.path.join(ROOT, "data", "minbpe"))
sys.path.insert(0, MINBPE)


def tiktoken_offline():
    """Point tiktoken at the rank files tiktoken-rs ships, named as tiktoken caches them."""
    cache = os.path.join(ROOT, "target", "tiktoken_cache")
    os.makedirs(cache, exist_ok=True)
    found = sorted(glob.glob(os.path.expanduser("~/.cargo/registry/src/*/tiktoken-rs-*/assets")))
    if not found:
        sys.exit("no tiktoken-rs in ~/.cargo/registry: build the crate first (cargo build)")
    for name in ["cl100k_base", "r50k_base"]:
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        dst = os.path.join(cache, hashlib.sha1(url.encode()).hexdigest())
        if not os.path.exists(dst):
            shutil.copy(os.path.join(found[-1], f"{name}.tiktoken"), dst)
    os.environ["TIKTOKEN_CACHE_DIR"] = cache
