// What the browser journeys in tests/e2e share: a fresh `fedihost serve` on a
// free loopback port in a temporary directory, Debian's chromium driven by
// playwright-core, logging, assertions, screenshots, a watchdog, and the last
// line "1 passed, 0 failed" or "0 passed, 1 failed" (CI reads it).
//
// A journey file is a standalone script that ends with
//
//   await runJourney({ name: 'panel', budgetMs: 55_000, screenshot: 'panel.png', journey });
//
// where `journey({ base, operator, person, remainingMs, saveScreenshot })`
// drives the browser and throws (with `fail`) at the first thing that is wrong.
//
// Environment:
//   FEDIHOST_BIN         the server binary (default <repo>/build/debug/fedihost)
//   FEDIHOST_WEB         the built panel (default <repo>/web/dist)
//   FEDIHOST_SCREENSHOT  where to save the journey's screenshot (default <tmp>/<screenshot>)
//   FEDIHOST_CHROMIUM    the browser (default /usr/bin/chromium)
//   FEDIHOST_KEEP_TMP=1  keep the temporary directory (server log, data)
//   FEDIHOST_SHOTS_DIR   also save a screenshot of each page on the way there

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const webDir = path.join(repo, 'web');
const BIN = process.env.FEDIHOST_BIN || path.join(repo, 'build', 'debug', 'fedihost');
const WEB = process.env.FEDIHOST_WEB || path.join(webDir, 'dist');
const CHROMIUM = process.env.FEDIHOST_CHROMIUM || '/usr/bin/chromium';
const SHOTS_DIR = process.env.FEDIHOST_SHOTS_DIR || '';

// chromium.launch() adds a fresh --user-data-dir of its own (a new
// playwright_chromiumdev_profile-* directory, removed when the browser
// closes); Playwright refuses that flag in `args`.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const started = Date.now();

// ---- logging and failing ----------------------------------------------------------

export function log(msg) {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  console.log(`[${s}s] ${msg}`);
}

/** A check that did not hold: reported by its message alone, without a stack. */
export class Failure extends Error {}

/**
 * Thrown by a story after the parts of it that exist have passed, when the rest
 * waits for work not landed yet: the test ends as skipped (exit 77, which ctest
 * counts as "Not Run", never as passed), naming what it waits for.
 */
export class Pending extends Error {}
export function pending(waitsFor) {
  throw new Pending(waitsFor);
}
export function fail(msg) {
  throw new Failure(msg);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---- browser assertions --------------------------------------------------------------

/** Waits until `locator` (first match) is visible and its text matches `re`. */
export async function expectText(locator, re, what, timeout = 10_000) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
    const until = Date.now() + timeout;
    for (;;) {
      const text = (await locator.first().innerText()).trim();
      if (re.test(text)) return text;
      if (Date.now() > until) fail(`${what}: expected ${re}, found ${JSON.stringify(text.slice(0, 300))}`);
      await sleep(100);
    }
  } catch (e) {
    if (e instanceof Failure) throw e;
    fail(`${what}: ${e.message.split('\n')[0]}`);
  }
}

/** No match of `locator` is visible. */
export async function expectNone(locator, what) {
  const n = await locator.count();
  for (let i = 0; i < n; i++) {
    if (await locator.nth(i).isVisible()) fail(`${what}: found ${JSON.stringify((await locator.nth(i).innerText()).trim().slice(0, 100))}`);
  }
}

/** Signed in by the HttpOnly session cookie, with the CSRF token for this tab only: nothing in localStorage. */
export async function expectCookieSession(context, page, who) {
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'fedihost_session');
  if (!session) fail(`${who}: no fedihost_session cookie after login (cookies: ${cookies.map((c) => c.name).join(', ') || 'none'})`);
  if (!session.httpOnly) fail(`${who}: the session cookie is readable by scripts (not HttpOnly)`);
  const kept = await page.evaluate(() => ({ local: Object.keys(localStorage), csrf: sessionStorage.getItem('fedihost.csrf') }));
  if (kept.local.some((k) => /token|session|user/i.test(k))) fail(`${who}: localStorage holds ${JSON.stringify(kept.local)} after login`);
  if (!kept.csrf) fail(`${who}: no CSRF token kept in sessionStorage after login`);
}

let shotNo = 0;
/** With FEDIHOST_SHOTS_DIR set, saves a numbered full-page screenshot of `page`. */
export async function snap(page, name) {
  if (!SHOTS_DIR) return;
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  shotNo += 1;
  await page.screenshot({ path: path.join(SHOTS_DIR, `${String(shotNo).padStart(2, '0')}-${name}.png`), fullPage: true });
}

// ---- the server ----------------------------------------------------------------------

let server = null;
let serverLog = null;

function serverRunning() {
  return server !== null && server.exitCode === null && server.signalCode === null;
}

function stopServer() {
  if (serverRunning()) {
    try {
      process.kill(server.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM, then SIGKILL if the server is still there after 3 s. */
async function stopServerAndWait() {
  stopServer();
  if (!serverRunning()) return;
  await new Promise((r) => {
    const t = setTimeout(() => {
      try {
        process.kill(server.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      r();
    }, 3_000);
    server.once('exit', () => {
      clearTimeout(t);
      r();
    });
  });
}

/** Waits until the server has written `file` and `valid(text)` holds; returns the text. */
async function waitForFile(file, ms, valid) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!serverRunning()) {
      fail(`fedihost serve exited early (code ${server.exitCode}, signal ${server.signalCode}):\n${tail(serverLog)}`);
    }
    try {
      const text = fs.readFileSync(file, 'utf8');
      if (valid(text)) return text;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  fail(`fedihost serve did not write ${file} within ${ms / 1000} s:\n${tail(serverLog)}`);
}

/**
 * Starts `fedihost serve` on a free loopback port with a fresh data directory in
 * `tmp`. With `init` ({email, password}) runs `fedihost init` first; without it
 * the first start creates an operator and writes <data>/initial-password.
 * Returns the base URL and the operator's {email, password}.
 */
async function startServer(tmp, init, serveArgs = [], prepare = null) {
  const dataDir = path.join(tmp, 'data');
  const portFile = path.join(tmp, 'port');

  if (init) {
    const pwFile = path.join(tmp, 'password');
    fs.writeFileSync(pwFile, init.password + '\n', { mode: 0o600 });
    log(`fedihost init (${BIN})`);
    const r = spawnSync(BIN, ['init', '--data', dataDir, '--email', init.email, '--password-file', pwFile], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    if (r.error) fail(`fedihost init could not run: ${r.error.message}`);
    if (r.status !== 0) fail(`fedihost init failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }

  if (prepare) {
    fs.mkdirSync(dataDir, { recursive: true });
    prepare(dataDir);
  }

  log(`fedihost serve (${BIN})${init ? '' : ', first start'}`);
  const out = fs.openSync(serverLog, 'a');
  server = spawn(BIN, ['serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--web', WEB, '--port-file', portFile, ...serveArgs], {
    stdio: ['ignore', out, out],
  });
  server.on('error', (e) => fs.appendFileSync(serverLog, `spawn error: ${e.message}\n`));
  const port = Number((await waitForFile(portFile, 15_000, (t) => /^\d+\s*$/.test(t) && Number(t) > 0)).trim());
  const base = `http://127.0.0.1:${port}`;
  log(`server listening at ${base}`);
  if (init) return { base, operator: { email: init.email, password: init.password } };

  const lines = await waitForFile(path.join(dataDir, 'initial-password'), 5_000, (t) => t.split('\n').filter(Boolean).length >= 2);
  const [email, password] = lines.split('\n').map((l) => l.trim());
  return { base, operator: { email, password } };
}

// ---- a journey ---------------------------------------------------------------------

/**
 * Runs one journey as a whole test and exits the process.
 *
 *   name            for the temporary directory (fedihost-<name>-*)
 *   budgetMs        the whole journey's time; the watchdog fails it 3 s later
 *   screenshot      the file name of the journey's screenshot in the temporary
 *                   directory (FEDIHOST_SCREENSHOT overrides the whole path)
 *   init            {email, password}: run `fedihost init` with them; otherwise
 *                   the operator is read from initial-password
 *   serveArgs       more arguments of `fedihost serve`
 *   prepare         (dataDir) => void: writes into the data directory after init,
 *                   before the server starts (e.g. targets/<name>.json)
 *   consoleAllowed  browser console errors that are expected (answers the
 *                   journey provokes), as a RegExp
 *   journey         async ({ base, operator, person, remainingMs, saveScreenshot })
 *                   person(name) opens a browser context of its own (its own
 *                   cookies) and returns { context, page }
 */
export async function runJourney({ name, budgetMs, screenshot, init = null, serveArgs = [], prepare = null, consoleAllowed, journey }) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `fedihost-${name}-`));
  const SCREENSHOT = process.env.FEDIHOST_SCREENSHOT || path.join(tmp, screenshot);
  serverLog = path.join(tmp, 'server.log');
  let browser = null;
  let finished = false;

  // Make sure the server dies with us, however we exit.
  process.on('exit', stopServer);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      stopServer();
      process.exit(130);
    });
  }

  const watchdog = setTimeout(() => {
    if (finished) return;
    console.error(`FAIL: the journey took longer than ${budgetMs / 1000} s`);
    console.error(`server log (tail):\n${tail(serverLog)}`);
    stopServer();
    console.log('0 passed, 1 failed');
    process.exit(1);
  }, budgetMs + 3_000);
  watchdog.unref();

  async function main() {
    if (!fs.existsSync(BIN)) fail(`no fedihost binary at ${BIN} (set FEDIHOST_BIN)`);
    if (!fs.existsSync(path.join(WEB, 'index.html'))) fail(`no built panel at ${WEB} (run npm run build in web/, or set FEDIHOST_WEB)`);
    if (!fs.existsSync(CHROMIUM)) fail(`no browser at ${CHROMIUM} (apt-get install chromium)`);

    let chromium;
    try {
      chromium = createRequire(path.join(webDir, 'package.json'))('playwright-core').chromium;
    } catch (e) {
      fail(`playwright-core is not installed: run npm install in ${webDir} (${e.message.split('\n')[0]})`);
    }

    const { base, operator } = await startServer(tmp, init, serveArgs, prepare);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 15_000 });
    const pages = [];
    const consoleErrors = [];
    /** A person in her own browser context; `options` go to newContext (the accessibility check bypasses CSP to inject axe). */
    async function person(who, options = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(`${who}: ${m.text()}`);
      });
      page.on('pageerror', (e) => consoleErrors.push(`${who}: page error: ${e.message}`));
      pages.push(page);
      return { context, page };
    }
    const remainingMs = () => budgetMs - (Date.now() - started);
    /** Saves the journey's screenshot; a `variant` ("narrow") goes beside it as <name>-<variant>.png. */
    async function saveScreenshot(page, variant = '') {
      const file = variant ? SCREENSHOT.replace(/(\.png)?$/, `-${variant}.png`) : SCREENSHOT;
      log(`screenshot → ${file}`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await page.screenshot({ path: file, fullPage: true });
    }

    let waitsFor = null;
    try {
      await journey({ base, operator, person, remainingMs, saveScreenshot, dataDir: path.join(tmp, 'data') });
    } catch (e) {
      if (e instanceof Pending) {
        waitsFor = e;
      } else {
        for (const [i, p] of pages.entries()) {
          try {
            const shot = SCREENSHOT.replace(/(\.png)?$/, pages.length === 1 ? '-failure.png' : `-failure-${i + 1}.png`);
            await p.screenshot({ path: shot, fullPage: true, timeout: 5_000 });
            console.error(`screenshot of the failure${pages.length === 1 ? '' : ` (person ${i + 1})`}: ${shot}`);
          } catch {
            /* best effort */
          }
        }
        if (consoleErrors.length) console.error(`browser console errors:\n  ${consoleErrors.join('\n  ')}`);
        throw e;
      }
    }
    const unexpected = consoleErrors.filter((t) => !consoleAllowed.test(t));
    if (unexpected.length) fail(`browser console errors:\n  ${unexpected.join('\n  ')}`);
    if (waitsFor) throw waitsFor;
  }

  let ok = false;
  let waiting = '';
  try {
    await main();
    ok = true;
    log('journey passed');
  } catch (e) {
    if (e instanceof Pending) {
      ok = true;
      waiting = e.message;
      log(`what exists passed; the rest is pending: ${waiting}`);
    } else {
      console.error(`FAIL: ${e instanceof Failure ? e.message : e.stack || e}`);
      if (server) console.error(`server log (${serverLog}, tail):\n${tail(serverLog)}`);
    }
  } finally {
    finished = true;
    if (browser) await browser.close().catch(() => {});
    await stopServerAndWait();
    if (ok && !process.env.FEDIHOST_KEEP_TMP && !process.env.FEDIHOST_SCREENSHOT) {
      // keep the screenshot: it is inside tmp only when no path was given
      for (const entry of fs.readdirSync(tmp)) {
        if (entry !== path.basename(SCREENSHOT)) fs.rmSync(path.join(tmp, entry), { recursive: true, force: true });
      }
    } else if (ok && !process.env.FEDIHOST_KEEP_TMP) {
      fs.rmSync(tmp, { recursive: true, force: true });
    } else {
      console.error(`temporary files kept in ${tmp}`);
    }
    if (waiting) {
      console.log(`0 passed, 0 failed, 1 pending (waits for ${waiting})`);
      process.exit(77);
    }
    console.log(ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
    process.exit(ok ? 0 : 1);
  }
}
