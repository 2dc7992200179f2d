"""sha256 of files (or of stdin with `-`), printed like `sha256sum`: `<hex>  <name>`, one a line.

The one hashing tool of setup.sh, data/fetch.sh and tests/browser/run.sh: any Python 3 runs it,
where sha256sum (GNU coreutils) is missing on macOS and shasum needs Perl.

    python3 scripts/sha256.py FILE [FILE ...]
    echo text | python3 scripts/sha256.py -
"""
import hashlib
import sys


def sha256_of(stream):
    h = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b''):
        h.update(block)
    return h.hexdigest()


def main(names):
    if not names:
        sys.exit('usage: sha256.py FILE [FILE ...]  (- for stdin)')
    for name in names:
        if name == '-':
            print(f'{sha256_of(sys.stdin.buffer)}  -')
            continue
        try:
            with open(name, 'rb') as f:
                print(f'{sha256_of(f)}  {name}')
        except OSError as e:
            sys.exit(f'sha256.py: {name}: {e.strerror}')


if __name__ == '__main__':
    main(sys.argv[1:])
