#!/usr/bin/env bash
# make test-browser: install what the browser test needs (quick when it is there), then run it.
#   chromium: Debian's package, by apt-get, only when missing (needs root)
#   playwright-core: the version pinned in package-lock.json, by `npm ci`; no browser download
# An install that cannot happen is not an error here: the test then reports SKIPPED and why.
set -uo pipefail
cd "$(dirname "$0")"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test-browser: installing Debian's chromium (apt-get, once)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
      || echo "test-browser: apt-get install chromium failed" >&2
  else
    echo "test-browser: no chromium, and no way to install it here (needs root and apt-get)" >&2
  fi
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "browser: SKIPPED (no node/npm: install Node.js >= 20 to run the browser test)"
  exit 0
fi
want="$(python3 ../../scripts/sha256.py package-lock.json | cut -c1-16)"
if [ "$(cat node_modules/.installed-lock 2>/dev/null)" != "$want" ]; then
  echo "test-browser: npm ci (playwright-core, pinned)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error \
    && echo "$want" > node_modules/.installed-lock
fi
exec node lab.test.mjs
