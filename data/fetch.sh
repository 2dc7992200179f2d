#!/usr/bin/env bash
# Puts names.txt (32,033 names, from github.com/karpathy/makemore, MIT) at data/names.txt and
# checks its sha256. Sources, in order: $MAKEMORE_NAMES, ../shared/names.txt, the same two places
# beside the repository this one was cloned from when that is a local folder, a download.
set -euo pipefail
cd "$(dirname "$0")"
URL="https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"
want=$(cut -d' ' -f1 names.txt.sha256)

check() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$want" ]; }

if check names.txt; then exit 0; fi
if [ -e names.txt ]; then
  echo "data/names.txt has the wrong sha256 (partial or edited?): fetching it again" >&2
fi
tmp=$(mktemp names.txt.XXXXXX)
trap 'rm -f "$tmp"' EXIT
if [ -n "${MAKEMORE_NAMES:-}" ]; then
  src="$MAKEMORE_NAMES"
  cp "$src" "$tmp" || { echo "error: cannot read MAKEMORE_NAMES=$src (hint: point it at names.txt, or unset it)" >&2; exit 1; }
elif [ -f ../../shared/names.txt ]; then
  src="../shared/names.txt"
  cp ../../shared/names.txt "$tmp"
elif origin=$(git -C .. remote get-url origin 2>/dev/null) && [ -d "$origin" ] &&
     local_copy=$(for f in "$origin/data/names.txt" "$origin/../shared/names.txt"; do
                    check "$f" && echo "$f" && break; done) && [ -n "$local_copy" ]; then
  src="$local_copy (the local repository this was cloned from)"
  cp "$local_copy" "$tmp"
else
  src="$URL"
  if command -v curl >/dev/null; then
    curl -fsSL --retry 3 -o "$tmp" "$URL" || { echo "error: download of $URL failed (hint: download names.txt yourself and set MAKEMORE_NAMES=/path/to/names.txt)" >&2; exit 1; }
  else
    wget -q -O "$tmp" "$URL" || { echo "error: download of $URL failed (hint: set MAKEMORE_NAMES=/path/to/names.txt)" >&2; exit 1; }
  fi
fi
if ! check "$tmp"; then
  echo "error: names.txt from $src has sha256 $(sha256sum "$tmp" | cut -d' ' -f1), expected $want (hint: the file is partial or a different version; fetch github.com/karpathy/makemore's names.txt and set MAKEMORE_NAMES to it)" >&2
  exit 1
fi
mv "$tmp" names.txt
trap - EXIT
echo "data/names.txt: $(grep -c "" names.txt) names from $src, sha256 ok"
