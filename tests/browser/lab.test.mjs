// JupyterLab in a real browser (headless Debian chromium driven by playwright-core).
//
//   node tests/browser/lab.test.mjs      (make test-browser installs what it needs, then runs this)
//
// Starts JupyterLab the way `make lab` does (127.0.0.1, a free port, token auth on, the project
// kernel, notebooks/), then checks:
//   1. token auth: the server refuses API and page requests without the token
//   2. 02_bigram_heatmap: Run All Cells from the Run menu; the kernel shown is "Rust (makemore)",
//      no error output, no 'panicked at', the heatmap <img> loaded (naturalWidth > 500);
//      screenshot -> target/browser/heatmap.png
//   3. part0_micrograd/01_derivatives_and_backprop: Run All Cells, no error output, its 8 graphs
//      drawn by the crate and 2 plots loaded; screenshot -> target/browser/micrograd-graph.png
//   4. 06_gradient_descent: edit `let lr: f64 = 50.0;` to 10.0 in the editor, Run All Cells,
//      the printed `step 99: loss` changes (step 0 stays); then the stop button during a cell
//      that trains `for i in steps(1_000_000)`: the loop stops after its step and says where,
//      and a new cell reads its variables and 06's `W`
//   5. the notebooks on disk are unchanged (nothing is ever saved: autosave is off, the edited
//      notebook is closed unsaved, checkpoints go to a temp dir)
// The last line is `browser: N passed, M failed`, or `browser: SKIPPED (why)` when chromium or
// playwright-core is not there. The server, its kernels and the browser are stopped whatever
// happens (also on Ctrl-C).
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const NB_DIR = path.join(ROOT, 'notebooks');
const OUT = path.join(ROOT, 'target', 'browser');
const JUPYTER = path.join(ROOT, '.venv', 'bin', 'jupyter');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const KERNEL_DISPLAY = 'Rust (makemore)';
const NOTEBOOK_TIMEOUT = 6 * 60_000; // a kernel in a cold build slot compiles tch for ~2.5 min
const TOTAL_TIMEOUT = 25 * 60_000;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (t0) => ((Date.now() - t0) / 1000).toFixed(1);
const log = (...a) => console.log('browser:', ...a);

function skip(reason) {
  console.log(`browser: SKIPPED (${reason})`);
  process.exit(0);
}

// ---- prerequisites: without chromium or playwright-core the test is skipped, and says why ----
if (!fs.existsSync(CHROMIUM)) {
  const root = process.getuid && process.getuid() === 0;
  let apt = false;
  try { execFileSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }); apt = true; } catch { /* none */ }
  skip(`no chromium at ${CHROMIUM}; ` + (root && apt
    ? 'the install failed: run `apt-get update && apt-get install chromium`'
    : `it cannot be installed here (${root ? 'no apt-get' : 'not root'}): install Debian's chromium, or set CHROMIUM=/path/to/chromium`));
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  skip(`playwright-core is not installed: run \`npm ci\` in tests/browser (${e.code || e.message})`);
}
for (const [p, why] of [[JUPYTER, 'no .venv/bin/jupyter'],
  [path.join(ROOT, '.venv/share/jupyter/kernels/rust-makemore/kernel.json'), 'no project kernel']]) {
  if (!fs.existsSync(p)) {
    console.log(`browser: ${why} (${p}): run \`make setup\` first`);
    console.log('browser: 0 passed, 1 failed');
    process.exit(1);
  }
}

// ---- state that cleanup() tears down ----
fs.mkdirSync(OUT, { recursive: true });
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'makemore-browser-'));
const PROFILE = path.join(TMP, 'chromium-profile'); // chromium's fresh --user-data-dir
let server = null; // the jupyter lab process, leader of its own process group
const kernelPids = new Set(); // kernels run in sessions of their own: killed one by one
let context = null; // the browser
let base = '';
let token = '';

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
function killGroup(pid, sig = 'SIGKILL') {
  try { process.kill(-pid, sig); } catch { try { process.kill(pid, sig); } catch { /* gone */ } }
}
async function api(method, url, { auth = true, redirect = 'manual', tok = token } = {}) {
  const headers = auth ? { Authorization: `token ${tok}` } : {};
  return fetch(base + url, { method, headers, redirect, signal: AbortSignal.timeout(30_000) });
}
function pgrep(pattern) {
  try {
    return execFileSync('pgrep', ['-f', '--', pattern], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
}
// The running kernels' pids (found by their connection file), to kill them should the server not.
async function recordKernels() {
  const found = [];
  let kernels = [];
  for (let i = 0; i < 30 && !kernels.length; i++) {
    if (i) await sleep(1000);
    kernels = await (await api('GET', '/api/kernels')).json();
  }
  if (!kernels.length) return ['no kernel is running'];
  for (const k of kernels) {
    const pids = pgrep(`kernel-${k.id}.json`).filter((pid) => pid !== process.pid);
    if (!pids.length) found.push(`${k.name} (pid not found)`);
    for (const pid of pids) {
      kernelPids.add(pid);
      let slot = '?';
      try {
        const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        slot = path.basename((env.find((v) => v.startsWith('EVCXR_TMPDIR=')) || '=?').split('=')[1]);
      } catch { /* not readable */ }
      found.push(`${k.name} pid ${pid} in ${slot}`);
    }
  }
  return found;
}
async function shutdownKernels() {
  try {
    for (const s of await (await api('GET', '/api/sessions')).json()) await api('DELETE', `/api/sessions/${s.id}`);
    for (const k of await (await api('GET', '/api/kernels')).json()) await api('DELETE', `/api/kernels/${k.id}`);
  } catch (e) { log(`could not shut the kernels down through the API: ${e.message}`); }
}

let cleaned = null;
let stopping = null; // the signal that interrupted the test
function cleanup() {
  cleaned ??= (async () => {
    if (context) await Promise.race([context.close().catch(() => {}), sleep(15_000)]);
    // Playwright kills its chromium's process group on close; anything left with our profile dir:
    for (const pid of pgrep(`--user-data-dir=${PROFILE}`)) if (pid !== process.pid) killGroup(pid);
    if (server && server.exitCode === null && server.signalCode === null) {
      await shutdownKernels();
      try { await api('POST', '/api/shutdown'); } catch { /* fall through to the kill */ }
      for (let i = 0; i < 40 && alive(server.pid); i++) await sleep(250);
      killGroup(server.pid, 'SIGTERM');
      for (let i = 0; i < 20 && alive(server.pid); i++) await sleep(250);
      killGroup(server.pid);
    }
    for (let i = 0; i < 20 && [...kernelPids].some(alive); i++) await sleep(250);
    for (const pid of kernelPids) if (alive(pid)) { log(`killing kernel ${pid}`); killGroup(pid); }
    fs.rmSync(TMP, { recursive: true, force: true });
  })();
  return cleaned;
}
// Playwright's own signal handlers would exit before the server is stopped: ours run instead
// (launch options handleSIGINT/SIGTERM/SIGHUP: false).
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = sig;
    log(`${sig}: stopping the browser, the server and its kernels`);
    cleanup().finally(() => {
      const left = [server?.pid, ...kernelPids].filter((pid) => pid && alive(pid));
      console.log(`browser: interrupted (${sig}); ${left.length ? `still running: ${left.join(' ')}` : 'server, kernels and browser stopped'}`);
      process.exit(130);
    });
  });
}
// Last resort, should the process exit some other way: SIGTERM makes the server stop its kernels.
process.on('exit', () => {
  if (server && alive(server.pid)) killGroup(server.pid, 'SIGTERM');
  for (const pid of kernelPids) if (alive(pid)) killGroup(pid);
});
const watchdog = setTimeout(() => {
  log(`gave up after ${TOTAL_TIMEOUT / 60_000} min`);
  cleanup().finally(() => process.exit(1));
}, TOTAL_TIMEOUT);

// ---- the server, as `make lab` starts it, plus a token and a throwaway JupyterLab state ----
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
function writeJson(file, obj) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(obj));
}

async function startServer() {
  const port = await freePort();
  token = crypto.randomBytes(24).toString('hex');
  base = `http://127.0.0.1:${port}`;
  const settings = path.join(TMP, 'user-settings');
  // Nothing may write the notebooks: no autosave (the default saves every 120 s), no news toast.
  writeJson(path.join(settings, '@jupyterlab/docmanager-extension/plugin.jupyterlab-settings'), { autosave: false });
  writeJson(path.join(settings, '@jupyterlab/apputils-extension/notification.jupyterlab-settings'),
    { fetchNews: 'false', checkForUpdates: false });
  const args = ['lab', '--notebook-dir=notebooks', '--ServerApp.ip=127.0.0.1', `--ServerApp.port=${port}`,
    '--ServerApp.port_retries=0', '--no-browser', `--IdentityProvider.token=${token}`,
    `--LabApp.user_settings_dir=${settings}`, `--LabApp.workspaces_dir=${path.join(TMP, 'workspaces')}`,
    // an absolute checkpoint dir: opening a notebook writes no notebooks/.ipynb_checkpoints
    `--FileCheckpoints.checkpoint_dir=${path.join(TMP, 'checkpoints')}`,
    // window.jupyterapp: the test reads the notebook model (output types, execution counts)
    '--expose-app-in-browser'];
  if (process.getuid && process.getuid() === 0) args.push('--allow-root');
  const logFile = path.join(OUT, 'jupyter.log');
  const fd = fs.openSync(logFile, 'w');
  server = spawn(JUPYTER, args, { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const t0 = Date.now();
  while (Date.now() - t0 < 90_000) {
    if (server.exitCode !== null) throw new Error(`jupyter lab exited (${server.exitCode}); see ${logFile}`);
    try { if ((await api('GET', '/api/status')).status === 200) return { port, secs: secs(t0) }; } catch { /* not yet */ }
    await sleep(500);
  }
  throw new Error(`jupyter lab did not answer in 90 s; see ${logFile}`);
}

// ---- driving the notebook UI ----
const PANEL = '.jp-NotebookPanel:not(.lm-mod-hidden)';

async function menu(page, top, item) {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${top}$`) }).click();
  await page.locator('.lm-Menu-content .lm-Menu-itemLabel', { hasText: new RegExp(`^${item}$`) }).click();
}

// The notebook as JupyterLab's model holds it: cells, sources, outputs, execution counts.
function model(page) {
  return page.evaluate(() => {
    const w = window.jupyterapp.shell.currentWidget;
    const cells = w.content.model.toJSON().cells;
    return {
      dirty: w.context.model.dirty,
      cells: cells.map((c) => ({
        type: c.cell_type,
        source: Array.isArray(c.source) ? c.source.join('') : c.source,
        count: c.execution_count ?? null,
        outputs: (c.outputs || []).map((o) => ({
          type: o.output_type,
          ename: o.ename, evalue: o.evalue,
          text: o.output_type === 'stream' ? [].concat(o.text).join('')
            : o.output_type === 'error' ? [].concat(o.traceback || []).join('\n')
              : [].concat((o.data || {})['text/plain'] || []).join(''),
        })),
      })),
    };
  });
}

async function openNotebook(name) {
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  page.on('dialog', (d) => d.dismiss().catch(() => {}));
  await page.goto(`${base}/lab/tree/${name}?reset&token=${token}`);
  const panel = page.locator(PANEL);
  await panel.locator('.jp-Cell').first().waitFor();
  // the kernel starts with the notebook: wait until the status bar says "Rust (makemore) | Idle"
  // (the toolbar's indicator says idle before any kernel is there)
  await page.locator('#jp-main-statusbar', { hasText: `${KERNEL_DISPLAY} | Idle` }).waitFor({ timeout: NOTEBOOK_TIMEOUT });
  await panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor({ timeout: 30_000 });
  return { page, panel };
}

// Run menu -> Run All Cells, and wait until every code cell has run and the kernel is idle.
async function runAll(page, panel) {
  await menu(page, 'Edit', 'Clear Outputs of All Cells');
  const before = await model(page);
  if (before.cells.some((c) => c.type === 'code' && (c.count !== null || c.outputs.length))) {
    throw new Error('outputs were not cleared');
  }
  const t0 = Date.now();
  await menu(page, 'Run', 'Run All Cells');
  let idleSince = null;
  while (Date.now() - t0 < NOTEBOOK_TIMEOUT) {
    await sleep(1000);
    const status = await panel.locator('.jp-Notebook-ExecutionIndicator').getAttribute('data-status');
    const pending = (await panel.locator('.jp-InputPrompt').allTextContents()).some((p) => p.includes('*'));
    const m = await model(page);
    const allRan = m.cells.every((c) => c.type !== 'code' || c.count !== null);
    idleSince = status === 'idle' && !pending ? (idleSince ?? Date.now()) : null;
    // done: all cells ran and the kernel stayed idle; or idle for 10 s with cells not run (aborted)
    if (idleSince && ((allRan && Date.now() - idleSince >= 1000) || Date.now() - idleSince >= 10_000)) {
      const notRun = m.cells.map((c, i) => (c.type === 'code' && c.count === null ? i : -1)).filter((i) => i >= 0);
      if (notRun.length) throw new Error(`cells ${notRun.join(', ')} did not run`);
      return { secs: secs(t0), model: m };
    }
  }
  throw new Error(`Run All Cells did not finish in ${NOTEBOOK_TIMEOUT / 60_000} min`);
}

// Errors as the notebook holds them (error outputs), and as the page shows them (panics, rustc).
async function problems(panel, m) {
  const found = [];
  m.cells.forEach((c, i) => c.outputs.forEach((o) => {
    if (o.type === 'error') found.push(`cell ${i}: error output ${o.ename}: ${o.evalue}`);
    if (o.text.includes('panicked at')) found.push(`cell ${i}: panicked: ${o.text.slice(0, 200)}`);
  }));
  const shown = await panel.locator('.jp-OutputArea-output').allInnerTexts();
  for (const t of shown) {
    if (t.includes('panicked at') || /^\s*(\[E\d{4}\] )?Error\b/m.test(t)) found.push(`shown: ${t.slice(0, 200)}`);
  }
  return found;
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }

async function failureShot(page, name) {
  if (!page) return;
  const file = path.join(OUT, `${name}-failure.png`);
  try { await page.screenshot({ path: file, fullPage: true }); log(`  screenshot of the failure: ${path.relative(ROOT, file)}`); } catch { /* page gone */ }
}

function lossAt(m, step) {
  const re = new RegExp(`^step ${step}: loss = (\\S+)$`, 'm');
  for (const c of m.cells) for (const o of c.outputs) { const x = re.exec(o.text); if (x) return x[1]; }
  return null;
}

// ---- the checks ----
async function checkToken() {
  const results = [];
  const expect = async (what, method, url, opts, ok) => {
    const r = await api(method, url, opts);
    const where = r.headers.get('location') || '';
    results.push(`${what} ${r.status}${where ? ' -> ' + where.replace(/\?.*/, '') : ''}`);
    assert(ok(r.status, where), `${what}: got ${r.status} ${where}`);
  };
  await expect('GET /api/kernels without token', 'GET', '/api/kernels', { auth: false }, (s) => s === 403);
  await expect('GET /api/contents without token', 'GET', '/api/contents', { auth: false }, (s) => s === 403);
  await expect('GET /api/kernels with a wrong token', 'GET', '/api/kernels', { tok: 'not-the-token' }, (s) => s === 403);
  await expect('GET /lab without token', 'GET', '/lab', { auth: false }, (s, w) => s === 302 && w.includes('/login'));
  await expect('GET /api/contents with token', 'GET', '/api/contents', {}, (s) => s === 200);
  await expect('GET /lab with token', 'GET', `/lab?token=${token}`, { auth: false }, (s) => s === 200);
  return results;
}

// Opens `name`, checks the kernel shown (the first time), runs all its cells, and checks that no
// cell shows an error and that it shows at least `count` images, all loaded, the widest > 500 px
// (the heatmap; micrograd's graphs, drawn in Rust); screenshots of the widest and the page.
async function checkPictures(name, count, what, checkKernel) {
  const notes = [];
  const stem = path.basename(name, '.ipynb');
  let page;
  try {
    let t0 = Date.now();
    const nb = await openNotebook(name);
    page = nb.page;
    notes.push(`opened, kernel idle in ${secs(t0)} s (${(await recordKernels()).join(', ')})`);
    if (checkKernel) {
      const kernel = (await nb.panel.locator('.jp-KernelName').innerText()).trim();
      assert(kernel === KERNEL_DISPLAY, `the notebook shows kernel "${kernel}", not "${KERNEL_DISPLAY}"`);
      const status = await page.locator('#jp-main-statusbar').innerText();
      assert(status.includes(KERNEL_DISPLAY), `the status bar does not show "${KERNEL_DISPLAY}": ${status}`);
      notes.push(`kernel shown: "${kernel}"`);
    }
    const { secs: ran, model: m } = await runAll(page, nb.panel);
    notes.push(`Run All Cells: ${m.cells.filter((c) => c.type === 'code').length} code cells in ${ran} s`);
    const bad = await problems(nb.panel, m);
    assert(bad.length === 0, `errors:\n    ${bad.join('\n    ')}`);
    const imgs = nb.panel.locator('.jp-RenderedImage img');
    await imgs.first().waitFor();
    const n = await imgs.count();
    assert(n >= count, `${n} images, want at least ${count}`);
    const sizes = [];
    for (let i = 0; i < n; i++) {
      const img = imgs.nth(i);
      await img.scrollIntoViewIfNeeded();
      await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 30_000 });
      sizes.push(await img.evaluate((el) => ({ w: el.naturalWidth, h: el.naturalHeight, src: el.src.slice(0, 22) })));
    }
    const widest = sizes.reduce((a, b, i) => (b.w > sizes[a].w ? i : a), 0);
    const size = sizes[widest];
    assert(size.w > 500, `the widest ${what} is ${size.w}x${size.h} px, want a width > 500`);
    const shot = path.join(OUT, `${what}.png`);
    await imgs.nth(widest).screenshot({ path: shot });
    await page.screenshot({ path: path.join(OUT, `${stem}-lab.png`) });
    notes.push(`${n} images loaded, the widest ${size.w}x${size.h} (${size.src}...), screenshot ${path.relative(ROOT, shot)}`);
    return notes;
  } catch (e) {
    await failureShot(page, stem);
    e.notes = notes;
    throw e;
  } finally {
    if (page) await page.close().catch(() => {}); // closed unsaved
    await shutdownKernels(); // frees its build slot for the next notebook
  }
}

async function checkLearningRate() {
  const notes = [];
  let page;
  try {
    let t0 = Date.now();
    const nb = await openNotebook('part1_bigrams/06_gradient_descent.ipynb');
    page = nb.page;
    notes.push(`opened, kernel idle in ${secs(t0)} s (${(await recordKernels()).join(', ')})`);
    const kernel = (await nb.panel.locator('.jp-KernelName').innerText()).trim();
    assert(kernel === KERNEL_DISPLAY, `the notebook shows kernel "${kernel}", not "${KERNEL_DISPLAY}"`);
    const saved = await model(page);
    const before = { 0: lossAt(saved, 0), 99: lossAt(saved, 99) };
    assert(before[99], 'no "step 99: loss = " in the saved outputs of 06');

    // edit the Hyperparameters cell in its editor: lr 50 -> 10
    const line = nb.panel.locator('.jp-CodeCell .cm-line', { hasText: 'let lr: f64 = 50.0;' });
    await line.scrollIntoViewIfNeeded();
    await line.click();
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await page.keyboard.type('let lr: f64 = 10.0; // edited by the browser test');
    await page.keyboard.press('Escape');
    const edited = (await model(page)).cells.find((c) => c.source.includes('let lr: f64'));
    assert(edited && edited.source.includes('let lr: f64 = 10.0;') && !edited.source.includes('50.0'),
      `the edit did not land: ${edited && edited.source}`);
    notes.push(`edited in the editor: ${edited.source.split('\n').find((l) => l.includes('let lr'))}`);

    const { secs: ran, model: m } = await runAll(page, nb.panel);
    notes.push(`Run All Cells: ${m.cells.filter((c) => c.type === 'code').length} code cells in ${ran} s`);
    const bad = await problems(nb.panel, m);
    assert(bad.length === 0, `errors:\n    ${bad.join('\n    ')}`);
    const after = { 0: lossAt(m, 0), 99: lossAt(m, 99) };
    const shownLast = await nb.panel.locator('.jp-OutputArea-output', { hasText: `step 99: loss = ${after[99]}` }).count();
    await nb.panel.locator('.jp-OutputArea-output', { hasText: 'step 99: loss' }).first().scrollIntoViewIfNeeded().catch(() => {});
    await page.screenshot({ path: path.join(OUT, '06_gradient_descent-lr10.png') });
    notes.push(`step 0: loss ${before[0]} -> ${after[0]}; step 99: loss ${before[99]} (lr 50) -> ${after[99]} (lr 10)`);
    assert(after[99] && Number.isFinite(Number(after[99])), 'no "step 99: loss = " after the run');
    assert(shownLast > 0, `"step 99: loss = ${after[99]}" is not shown on the page`);
    assert(after[0] === before[0], `step 0 should not depend on lr: ${before[0]} vs ${after[0]}`);
    assert(after[99] !== before[99], `the loss of step 99 did not change with lr: ${after[99]}`);
    notes.push(...await checkInterrupt(page, nb.panel));
    return notes;
  } catch (e) {
    await failureShot(page, '06_gradient_descent');
    e.notes = notes;
    throw e;
  } finally {
    if (page) await page.close().catch(() => {}); // closed unsaved
    await shutdownKernels();
  }
}

// A cell added after the last one and run (not waited for); the text of its outputs, later.
async function runNewCell(page, code) {
  await page.evaluate((code) => {
    const app = window.jupyterapp;
    const nb = app.shell.currentWidget.content;
    nb.activeCellIndex = nb.widgets.length - 1;
    return app.commands.execute('notebook:insert-cell-below').then(() => {
      nb.activeCell.model.sharedModel.setSource(code);
      app.commands.execute('notebook:run-cell'); // not awaited: it resolves when the cell ends
    });
  }, code);
}
async function lastOutput(page) {
  const m = await model(page);
  const c = m.cells[m.cells.length - 1];
  return { text: c.outputs.map((o) => o.text).join(''), errors: c.outputs.filter((o) => o.type === 'error'), count: c.count };
}
async function waitForOutput(page, re, ms) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const out = await lastOutput(page);
    if (re.test(out.text)) return out;
    await sleep(250);
  }
  throw new Error(`the last cell did not show ${re} in ${ms / 1000} s: ${JSON.stringify((await lastOutput(page)).text)}`);
}

// The stop button during a training loop written `for i in steps(n)`: the loop stops after its
// step, the cell ends normally, and the next cell reads the kernel's variables (06's `W` too).
async function checkInterrupt(page, panel) {
  // 06 has a variable `steps` (a number), which hides the function: its path is `makemore::steps`
  await runNewCell(page, 'let mut done = 0;\nfor i in makemore::steps(1_000_000) {\n    if i == 0 { println!("started"); }\n'
    + '    std::thread::sleep(std::time::Duration::from_millis(2)); // a step\n    done = i + 1;\n}\nprintln!("after the loop: {done}");');
  await waitForOutput(page, /started/, 60_000);
  await sleep(500);
  const t0 = Date.now();
  await panel.locator('.jp-NotebookPanel-toolbar [data-command="notebook:interrupt-kernel"]').first().click();
  const out = await waitForOutput(page, /after the loop: \d+/, 15_000);
  const stopped = secs(t0);
  const done = Number(out.text.match(/after the loop: (\d+)/)[1]);
  const line = out.text.match(/interrupted at step [\d,]+ of 1,000,000/);
  assert(line && line[0].includes(done.toLocaleString('en-US')), `the cell does not say where it stopped: ${JSON.stringify(out.text)}`);
  assert(out.errors.length === 0 && done > 0 && done < 1_000_000, `the cell failed: ${JSON.stringify(out)}`);
  await panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').waitFor({ timeout: 30_000 });
  await runNewCell(page, 'println!("kept: {done} {:?}", W.size());');
  const kept = await waitForOutput(page, /kept: /, 30_000);
  assert(kept.text.includes(`kept: ${done} [27, 27]`), `the variables are not kept: ${JSON.stringify(kept.text)}`);
  await page.screenshot({ path: path.join(OUT, '06_gradient_descent-interrupt.png') });
  return [`the stop button in a loop of steps(1,000,000): "${line[0]}" after ${stopped} s; the next cell: "${kept.text.trim()}"`];
}

// The notebooks this test opens (others in notebooks/ may be written by other people meanwhile).
const MICROGRAD = 'part0_micrograd/01_derivatives_and_backprop.ipynb';
const OPENED = ['part1_bigrams/02_bigram_heatmap.ipynb', MICROGRAD, 'part1_bigrams/06_gradient_descent.ipynb'];
function notebookHashes() {
  const out = {};
  for (const f of OPENED) out[f] = crypto.createHash('sha256').update(fs.readFileSync(path.join(NB_DIR, f))).digest('hex');
  return out;
}

// ---- main ----
const results = [];
async function check(name, fn) {
  if (stopping) return;
  const t0 = Date.now();
  try {
    const notes = await fn();
    results.push(true);
    log(`ok   ${name} (${secs(t0)} s)`);
    for (const n of notes || []) log(`     ${n}`);
  } catch (e) {
    if (stopping) return;
    results.push(false);
    log(`FAIL ${name} (${secs(t0)} s): ${e.message}`);
    for (const n of e.notes || []) log(`     ${n}`);
  }
}

let exitCode = 1;
try {
  const hashesBefore = notebookHashes();
  const CHECKPOINTS = [path.join(NB_DIR, '.ipynb_checkpoints'), path.join(NB_DIR, 'part1_bigrams', '.ipynb_checkpoints'),
    path.join(NB_DIR, 'part0_micrograd', '.ipynb_checkpoints')];
  const hadCheckpoints = CHECKPOINTS.some((d) => fs.existsSync(d));
  const t0 = Date.now();
  const { port, secs: up } = await startServer();
  log(`jupyter lab on 127.0.0.1:${port} (token auth), up in ${up} s`);
  await check('token auth', checkToken);
  context = await chromium.launchPersistentContext(PROFILE, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 1000 },
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
  });
  log(`chromium ${context.browser()?.version() ?? ''} (${CHROMIUM}) headless`);
  await check('02_bigram_heatmap: Run All Cells, kernel, no errors, heatmap image',
    () => checkPictures('part1_bigrams/02_bigram_heatmap.ipynb', 1, 'heatmap', true));
  await check("part0_micrograd/01: Run All Cells, no errors, the expression graphs drawn",
    () => checkPictures(MICROGRAD, 10, 'micrograd-graph', false));
  await check('06_gradient_descent: edit lr, re-run, the loss changes', checkLearningRate);
  await check('notebooks unchanged on disk', async () => {
    const after = notebookHashes();
    const changed = Object.keys(hashesBefore).filter((f) => hashesBefore[f] !== after[f]);
    assert(changed.length === 0, `changed: ${changed.join(', ')}`);
    assert(hadCheckpoints || !CHECKPOINTS.some((d) => fs.existsSync(d)), 'a notebooks/**/.ipynb_checkpoints was created');
    return [`${OPENED.join(', ')}: same sha256 as before the test`];
  });
  if (!stopping) log(`total ${secs(t0)} s`);
  exitCode = results.every(Boolean) ? 0 : 1;
} catch (e) {
  results.push(false);
  log(`FAIL ${e.stack || e.message}`);
} finally {
  await cleanup();
  clearTimeout(watchdog);
  const passed = results.filter(Boolean).length;
  console.log(`browser: ${passed} passed, ${results.length - passed} failed`);
  process.exitCode = exitCode;
}
