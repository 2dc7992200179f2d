"""`make lab`: JupyterLab on notebooks/ with the "Rust (makemore)" kernel, on 127.0.0.1 with
Jupyter's token authentication on, opening the first notebook of the lecture.

Jupyter's default URL is set to that notebook (notebooks/00_*.ipynb, else 01_*), so the URL it
prints, and the one it opens in a browser where it can, lands on it. Once the server is up, the
URL with its token is printed again in a box, after Jupyter's own, where it cannot be missed
among the log lines.

    PORT=8890 make lab      # another port (JupyterLab tries the next ones when it is taken)
"""
import os
import pathlib
import re
import signal
import subprocess
import sys
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
NB_DIR = ROOT / 'notebooks'
JUPYTER = ROOT / '.venv' / 'bin' / 'jupyter'
URL = re.compile(r'http://127\.0\.0\.1:\d+/\S*')


def first_notebook(nb_dir=NB_DIR):
    """The notebook a learner starts with, relative to nb_dir: 00_*.ipynb, else 01_*.ipynb, in
    nb_dir or in the first lecture's folder (part1_bigrams/) (None when neither)."""
    for pattern in ('00_*.ipynb', '*/00_*.ipynb', '01_*.ipynb', '*/01_*.ipynb'):
        found = sorted(p.relative_to(nb_dir).as_posix() for p in nb_dir.glob(pattern))
        if found:
            return found[0]
    return None


def command(port, notebook, root_user):
    args = [str(JUPYTER), 'lab', f'--notebook-dir={NB_DIR}', '--ServerApp.ip=127.0.0.1',
            f'--ServerApp.port={port}']
    if notebook:
        # LabApp's own default_url (/lab) wins over ServerApp's: set LabApp's
        args.append(f'--LabApp.default_url=/lab/tree/{urllib.parse.quote(notebook)}')
    if root_user:
        args.append('--allow-root')
    return args


def banner(url, notebook):
    what = f'opens notebooks/{notebook}' if notebook else 'opens JupyterLab'
    bold, off = ('\033[1m', '\033[0m') if sys.stdout.isatty() else ('', '')
    rule = '=' * max(len(url) + 4, 60)
    print(f'\n{rule}\n  {bold}makemore: open this URL in your browser ({what}):{off}\n'
          f'  {bold}{url}{off}\n  (Ctrl-C twice stops JupyterLab)\n{rule}\n', flush=True)


def main():
    if not JUPYTER.exists():
        sys.exit(f'lab: no {JUPYTER}: run make setup first')
    notebook = first_notebook()
    args = command(os.environ.get('PORT', '8888'), notebook, os.getuid() == 0)
    proc = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE, text=True, bufsize=1,
                            errors='replace')
    # Ctrl-C is for JupyterLab (it asks, then shuts down): this process just passes its log on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    shown = False
    for line in proc.stderr:
        sys.stderr.write(line)
        sys.stderr.flush()
        # the URL in Jupyter's own box ("Or copy and paste one of these URLs:"), indented
        if not shown and line[:1].isspace() and '?token=' in line and (m := URL.search(line)):
            banner(m.group(0), notebook)
            shown = True
    sys.exit(proc.wait())


if __name__ == '__main__':
    main()
