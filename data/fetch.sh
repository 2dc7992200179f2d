#!/usr/bin/env bash
# Puts a data file into data/ and checks its sha256 (never committed):
#   bash data/fetch.sh                       names.txt, the 32,033 names of github.com/karpathy/makemore
#   bash data/fetch.sh tinyshakespeare.txt   the GPT lecture's text, data/tinyshakespeare/input.txt
#                                            of github.com/karpathy/char-rnn (1,115,394 characters)
#   bash data/fetch.sh makemore.py           makemore.py at commit 988aa59, the peer `make reference`
#                                            and `make bench` run beside the crate
#   bash data/fetch.sh taylorswift.txt       minbpe's test text (github.com/karpathy/minbpe, MIT, at
#                                            1acefe8: tests/taylorswift.txt), for the bpe tests
#   bash data/fetch.sh minbpe                minbpe's code at 1acefe8 (minbpe/*.py, tests/test_tokenizer.py)
#                                            into data/minbpe/, the tokenizer lecture's reference
#   bash data/fetch.sh build-nanogpt         build-nanogpt's train_gpt2.py (MIT) after the lecture's
#                                            commits the tests run (data/build-nanogpt/steps/NN_HASH_*.py:
#                                            the file at commit HASH), the GPT-2 lecture's reference, and
#                                            its fineweb.py and hellaswag.py at 6104ab1 (the last commit)
# `make data` fetches the first two. Sources, in order: $MAKEMORE_NAMES ($MAKEMORE_TEXT,
# $MAKEMORE_PY, $MAKEMORE_TAYLOR), ../shared/ (names.txt, tinyshakespeare.txt, reference/makemore.py,
# reference/minbpe/tests/taylorswift.txt), the same
# places beside the repository this one was cloned from when that is a local folder, a download.
# Hashing is scripts/sha256.py (python3), not sha256sum: macOS has no GNU coreutils.
set -euo pipefail
cd "$(dirname "$0")"
self="$(pwd)/$(basename "$0")"
file="${1:-names.txt}"
if [ "$file" = minbpe ]; then
  for f in __init__.py base.py basic.py regex.py gpt4.py; do bash "$self" "minbpe/minbpe/$f"; done
  exec bash "$self" minbpe/tests/test_tokenizer.py
fi
if [ "$file" = build-nanogpt ]; then
  for f in build-nanogpt/steps/*.py.sha256 build-nanogpt/*.sha256; do bash "$self" "${f%.sha256}"; done
  exit 0
fi
case "$file" in
  minbpe/*) var=MAKEMORE_MINBPE_FILE; shared="reference/$file" ;;
  build-nanogpt/*) var=MAKEMORE_NANOGPT_FILE; shared="reference/$file" ;;
  names.txt) var=MAKEMORE_NAMES; shared=names.txt ;;
  tinyshakespeare.txt) var=MAKEMORE_TEXT; shared=tinyshakespeare.txt ;;
  makemore.py) var=MAKEMORE_PY; shared=reference/makemore.py ;;
  taylorswift.txt) var=MAKEMORE_TAYLOR; shared=reference/minbpe/tests/taylorswift.txt ;;
  *) echo "error: fetch.sh fetches names.txt, tinyshakespeare.txt, makemore.py, taylorswift.txt, minbpe or build-nanogpt, not $file" >&2; exit 2 ;;
esac
URL="https://raw.githubusercontent.com/karpathy/makemore/master/$file"
if [ "$file" = tinyshakespeare.txt ]; then
  URL="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
elif [ "$file" = taylorswift.txt ]; then
  URL="https://raw.githubusercontent.com/karpathy/minbpe/1acefe8/tests/taylorswift.txt"
elif [ "${file%%/*}" = minbpe ]; then
  URL="https://raw.githubusercontent.com/karpathy/minbpe/1acefe8/${file#minbpe/}"
elif [ "${file%/*}" = build-nanogpt ]; then
  URL="https://raw.githubusercontent.com/karpathy/build-nanogpt/6104ab1/${file#build-nanogpt/}"
elif [ "${file%%/*}" = build-nanogpt ]; then
  commit=$(basename "$file" | cut -d_ -f2)
  URL="https://raw.githubusercontent.com/karpathy/build-nanogpt/$commit/train_gpt2.py"
fi
want=$(cut -d' ' -f1 "$file.sha256") # one hash a line: any of them is the file
SHA256="$(pwd)/../scripts/sha256.py"

sha256() { python3 "$SHA256" "$1" | cut -d' ' -f1; }
check() { [ -f "$1" ] && grep -qx "$(sha256 "$1")" <<<"$want"; }

if check "$file"; then exit 0; fi
if [ -e "$file" ]; then
  echo "data/$file has the wrong sha256 (partial or edited?): fetching it again" >&2
fi
tmp=$(mktemp "$file.XXXXXX")
trap 'rm -f "$tmp"' EXIT
if [ -n "${!var:-}" ]; then
  src="${!var}"
  cp "$src" "$tmp" || { echo "error: cannot read $var=$src (hint: point it at $file, or unset it)" >&2; exit 1; }
elif [ -f "../../shared/$shared" ]; then
  src="../shared/$shared"
  cp "../../shared/$shared" "$tmp"
elif origin=$(git -C .. remote get-url origin 2>/dev/null) && [ -d "$origin" ] &&
     local_copy=$(for f in "$origin/data/$file" "$origin/../shared/$shared"; do
                    check "$f" && echo "$f" && break; done) && [ -n "$local_copy" ]; then
  src="$local_copy (the local repository this was cloned from)"
  cp "$local_copy" "$tmp"
else
  src="$URL"
  if command -v curl >/dev/null; then
    curl -fsSL --retry 3 -o "$tmp" "$URL" || { echo "error: download of $URL failed (hint: download $file yourself and set $var=/path/to/$file)" >&2; exit 1; }
  else
    wget -q -O "$tmp" "$URL" || { echo "error: download of $URL failed (hint: set $var=/path/to/$file)" >&2; exit 1; }
  fi
fi
if ! check "$tmp"; then
  echo "error: $file from $src has sha256 $(sha256 "$tmp"), expected $want (hint: the file is partial or a different version; download $URL and set $var to it)" >&2
  exit 1
fi
mv "$tmp" "$file"
trap - EXIT
echo "data/$file: $(grep -c "" "$file") lines from $src, sha256 ok"
