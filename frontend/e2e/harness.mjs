// The end-to-end harness: the real `jicai` server on port 0 with a fresh SQLite database seeded by
// `jicai demo`, serving the built web app (frontend/dist), and Debian's Chromium driven by
// playwright-core. Nothing is downloaded: the browser is /usr/bin/chromium (or $CHROMIUM).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const frontendDir = resolve(here, '..');
export const repoDir = resolve(frontendDir, '..');
export const artifactsDir = process.env.JICAI_TEST_ARTIFACTS ?? join(repoDir, 'test-artifacts');
export const FAKE_NOW = '2026-11-22T10:00:00+08:00';
export const PASSWORD = 'jicai-demo';

function jicaiBin() {
  const bin = process.env.JICAI_BIN ? resolve(process.env.JICAI_BIN) : join(repoDir, 'target/debug/jicai');
  if (!existsSync(bin)) throw new Error(`no jicai binary at ${bin}: run \`cargo build -p jicai-api\` or set JICAI_BIN`);
  return bin;
}

/** Starts `jicai serve` with `env` and resolves to the child and the URL it listens on. */
async function serve(bin, env) {
  const child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('server did not start in 30 s:\n' + log)), 30_000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited (${code}):\n${log}`)); });
  });
  return { child, url };
}

async function halt(child) {
  child.removeAllListeners('exit');
  if (child.exitCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * Starts a fresh server (own temp database, demo data) and returns its base URL, a stop(), and a
 * restartAt(fakeNow) that serves the same database at another "now" (time travel: a new URL).
 */
export async function startServer() {
  const dist = join(frontendDir, 'dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error('frontend/dist is missing: run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'jicai-e2e-'));
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${join(dir, 'e2e.db')}`,
    JICAI_FAKE_NOW: FAKE_NOW,
    JICAI_BIND: '127.0.0.1:0',
    JICAI_FRONTEND_DIR: dist,
    JICAI_MAIL_DIR: join(dir, 'mail'), // mail the jobs send, as .eml files, kept with the database
    JICAI_WORKERS: '2',
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
  };
  const bin = jicaiBin();
  const seeded = spawnSync(bin, ['demo'], { env, encoding: 'utf8' });
  if (seeded.status !== 0) throw new Error(`jicai demo failed: ${seeded.stderr || seeded.stdout}`);
  let running = await serve(bin, env);
  const server = {
    url: running.url,
    async restartAt(fakeNow, extraEnv = {}) {
      await halt(running.child);
      running = await serve(bin, { ...env, ...extraEnv, JICAI_FAKE_NOW: fakeNow });
      server.url = running.url;
    },
    async stop() {
      await halt(running.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * Debian's Chromium, headless, with no background traffic. Playwright gives the browser a fresh
 * temporary profile (--user-data-dir); each role gets its own context (own storage).
 */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`${executablePath} is missing: apt-get install -y chromium`);
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
  return {
    browser,
    newContext: () => browser.newContext({
      viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true,
    }),
    close: () => browser.close(),
  };
}

/** A new tab signed in as `username` through the login form. */
export async function loginAs(context, baseUrl, username) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  // A script, style or request the Content-Security-Policy refuses is an error of the app too.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to (load|execute|apply|connect|create)/.test(m.text())) errors.push(new Error(m.text()));
  });
  page.jsErrors = errors;
  await page.goto(baseUrl + '/login');
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('org-name').waitFor();
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
}

/**
 * A fresh server and browser for one test file: started before its tests, stopped after them.
 * Its `server` and `browser` are set once the tests run.
 */
export function serverAndBrowser() {
  const env = { server: undefined, browser: undefined };
  before(async () => {
    env.server = await startServer();
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

/**
 * Signed-in tabs per user, one browser context (own storage) each, opened on first use:
 * `const as = users(() => browser, () => server.url); const page = await as('hospital1');`.
 * `as.pages` holds every tab opened (to check them for JavaScript errors at the end).
 */
export function users(getBrowser, getUrl) {
  const pages = {};
  const as = async (user) => {
    if (!pages[user]) {
      const context = await getBrowser().newContext();
      pages[user] = await loginAs(context, getUrl(), user);
    }
    return pages[user];
  };
  as.pages = pages;
  return as;
}

/**
 * Resolves once the dialog around `inside` has finished its opening (or closing) animation. A
 * click on a button that is still zooming in can miss it under load, which once left an order
 * unsent in CI; a settled dialog takes every click.
 */
export async function settled(inside) {
  await inside.waitFor();
  await inside.evaluate(async (e) => {
    const root = e.closest('.ant-modal-root, .ant-modal-wrap, .ant-popover, .ant-drawer') ?? e;
    for (let i = 0; i < 20; i++) {
      const running = root.getAnimations({ subtree: true }).filter((a) => a.playState === 'running' && a.effect?.getTiming().iterations !== Infinity);
      if (running.length === 0) return;
      await Promise.all(running.map((a) => a.finished.catch(() => undefined)));
    }
  });
}

/** The <input> of a form control tagged with data-testid (on the input itself or around it). */
export function field(page, id) {
  return page.locator(`input[data-testid="${id}"], textarea[data-testid="${id}"], [data-testid="${id}"] input`).first();
}

/** Opens an antd Select and picks the option whose text contains `text`, until the select shows it. */
export async function pick(page, select, text) {
  // A click on an option that is still animating in can miss it (seen under heavy load): the
  // pick is done when the select's value shows the option's text, else it is retried.
  const shown = () => select.evaluate(
    (e, t) => ((e.closest('.ant-select') ?? e).querySelector('.ant-select-content')?.textContent ?? '').includes(t),
    text,
  );
  for (let attempt = 1; ; attempt++) {
    await select.click();
    // Long lists are virtual (only the visible options exist): type to narrow them where searchable.
    if (await select.evaluate((e) => !!e.closest('.ant-select-show-search'))) await page.keyboard.type(text);
    const option = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option', { hasText: text }).first();
    await option.waitFor();
    await option.click();
    // Let the dropdown close (a screenshot taken next would catch it fading out).
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)').first().waitFor({ state: 'hidden', timeout: 2000 }).catch(() => {});
    for (let i = 0; i < 20; i++) {
      if (await shown()) return;
      await page.waitForTimeout(100);
    }
    if (attempt === 3) throw new Error(`pick: the select does not show "${text}" after ${attempt} tries`);
    // Close a dropdown left open; with none open, Escape would close the dialog around the select.
    const open = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
    if (await open.count()) await page.keyboard.press('Escape');
  }
}

/** The menu entry with this text, clicked. */
export async function menu(page, text) {
  await page.getByTestId('menu').getByText(text, { exact: true }).click();
}
