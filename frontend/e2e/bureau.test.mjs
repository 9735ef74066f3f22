// End-to-end: the bureau's dashboard, monitoring, job runs and surplus retention, clicked through
// by real users in a real browser against a real server with the demo data.
//   node --test --test-concurrency=1 e2e/bureau.test.mjs   (after `npm run build`)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PASSWORD, artifactsDir, field, menu, pick, screenshot, serverAndBrowser, users } from './harness.mjs';

const T = { timeout: 120_000 };
const env = serverAndBrowser();
const as = users(() => env.browser, () => env.server.url); // a signed-in tab per user
const state = {}; // what one test leaves for the next: the retention run

/** `pick`, until the filter it drives shows in the URL (a click during the dropdown's animation can miss). */
async function pickFilter(page, select, text, urlRe) {
  for (let i = 0; ; i++) {
    await pick(page, select, text);
    try {
      await page.waitForURL(urlRe, { timeout: 5000 });
      return;
    } catch (e) {
      if (i >= 2) throw e;
      await page.keyboard.press('Escape');
    }
  }
}

/** Waits until every row of a table satisfies `check` (after a server-side filter). */
async function allRows(page, testId, check) {
  await page.waitForFunction(([id, src]) => {
    const rows = [...document.querySelectorAll(`[data-testid="${id}"] tbody tr.ant-table-row`)];
    // eslint-disable-next-line no-new-func
    const f = new Function('r', `return (${src})(r)`);
    return rows.length > 0 && rows.every((r) => f(r)) && !document.querySelector(`[data-testid="${id}"] .ant-spin-spinning`);
  }, [testId, check.toString()]);
}

/** Waits for the layout to settle (the side menu's width transition) before a screenshot. */
async function settled(page) {
  await page.waitForFunction(() => {
    const sider = document.querySelector('.ant-layout-sider');
    const moving = document.getAnimations().some((a) => a.playState === 'running' && a.effect?.target?.closest?.('.ant-layout-sider, .ant-modal, .ant-drawer, .ant-table'));
    return (!sider || sider.getBoundingClientRect().width >= 180) && !moving;
  });
}

/** The API as a user, from the test itself (setting up what the UI does not offer). */
async function apiAs(username) {
  const r = await fetch(`${env.server.url}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }),
  });
  const { token } = await r.json();
  return async (method, path, body) => {
    const res = await fetch(env.server.url + path, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

describe('bureau screens', () => {
  test('the dashboard draws its charts (no animation) and lists the overdue payables', T, async () => {
    const page = await as('bureau1');
    await page.goto(`${env.server.url}/bureau/dashboard`);
    assert.equal(await page.evaluate(() => navigator.webdriver), true);
    for (const id of ['chart-completion', 'chart-ontime', 'chart-due', 'chart-orders']) {
      await page.locator(`[data-testid="${id}"][data-rendered="true"] canvas`).waitFor();
    }
    const overdue = page.getByTestId('overdue-list');
    const row = overdue.locator('tbody tr.ant-table-row').first();
    await row.waitFor();
    assert.match(await row.innerText(), /香港大学深圳医院/);
    assert.match(await row.innerText(), /2 天/);
    assert.match(await overdue.getByTestId('overdue-days').innerText(), /企业 2 天/);
    assert.equal(await overdue.getByTestId('overdue-all').getAttribute('href'), '/bureau/payables?status=overdue');
    assert.match(await page.getByTestId('stat-on-time').innerText(), /100\.00%/);
    await settled(page);
    await screenshot(page, 'bureau1-dashboard');

    // The overdue payable opens its detail.
    await row.getByTestId('overdue-payable').click();
    await page.waitForURL(/\/payables\/[0-9a-f-]+$/);
    // "View all" opens the payables filtered to overdue.
    await page.goBack();
    await page.getByTestId('overdue-all').click();
    await page.waitForURL(/\/bureau\/payables\?status=overdue/);
  });

  test('monitoring lists the volumes behind pace, filtered by batch and hospital, and the warnings', T, async () => {
    const page = await as('bureau1');
    await menu(page, '执行监测');
    const summary = page.getByTestId('monitoring-summary');
    const batch = summary.locator('tbody tr.ant-table-row', { hasText: '第七批' }).first();
    await batch.waitFor();
    assert.match(await batch.getByTestId('hospitals-behind').innerText(), /\d+ 家/);
    // Each batch expands to its hospitals.
    await batch.locator('.ant-table-row-expand-icon').click();
    await page.getByTestId('monitoring-hospitals').getByText('深圳市人民医院').first().waitFor();

    const table = page.getByTestId('progress-table');
    await table.locator('tbody tr.ant-table-row').first().waitFor();
    await page.getByTestId('filter-behind').click();
    await page.waitForURL(/behind_only=true/);
    await allRows(page, 'progress-table', (r) => !!r.querySelector('[data-testid="behind-tag"]'));
    await pickFilter(page, page.getByTestId('filter-batch'), '第七批', /batch_id=/);
    await pickFilter(page, page.getByTestId('filter-hospital'), '深圳市人民医院', /hospital_id=/);
    await allRows(page, 'progress-table', (r) => r.textContent.includes('深圳市人民医院') && r.textContent.includes('落后于时间进度'));
    const n = await table.locator('tbody tr.ant-table-row').count();
    assert.ok(n >= 1);
    assert.match(await table.locator('tbody tr.ant-table-row').first().getByTestId('volume-progress').innerText(), /%/);
    await screenshot(page, 'bureau1-monitoring');

    await page.getByRole('tab', { name: '监测预警' }).click();
    await page.getByTestId('warnings-table').locator('tbody tr.ant-table-row').first().waitFor();
    await pickFilter(page, page.getByTestId('filter-kind'), '进度落后', /kind=behind_pace/);
    await allRows(page, 'warnings-table', (r) => r.querySelector('[data-testid="warning-kind"]')?.textContent === '进度落后');
    // The warning is shown in the user's language (the API writes both).
    assert.doesNotMatch(await page.getByTestId('warnings-table').locator('tbody tr.ant-table-row').first().innerText(), /of the agreed volume/);
    await screenshot(page, 'bureau1-monitoring-warnings');

    // An earlier as-of date: no warnings were raised that day, and the page says how to raise them.
    const asOf = field(page, 'as-of');
    await asOf.click();
    await asOf.fill('2026-06-01');
    await asOf.press('Enter');
    await page.waitForURL(/as_of=2026-06-01/);
    await page.keyboard.press('Escape');
    const empty = page.getByTestId('warnings-table').getByText('2026-06-01 没有预警');
    await empty.waitFor();
    await page.getByTestId('warnings-table').getByRole('link', { name: /按该日期运行/ }).click();
    await page.waitForURL(/\/bureau\/jobs\?job=monitoring&as_of=2026-06-01/);
    await page.getByTestId('job-run-open').click();
    assert.equal(await field(page, 'job-as-of').inputValue(), '2026-06-01');
    await page.getByTestId('job-cancel').click();
    await page.getByTestId('job-modal').waitFor({ state: 'detached' });
    await menu(page, '执行监测'); // leave the suggested date behind
    await page.getByTestId('monitoring-summary').waitFor();
  });

  test('bureau1 runs deadline-watch for today from the job runs page and sees the new run succeed', T, async () => {
    const page = await as('bureau1');
    await menu(page, '定时任务');
    await page.waitForURL(/\/bureau\/jobs$/);
    await page.getByTestId('job-runs-table').waitFor();
    await page.getByTestId('job-run-open').click();
    await pick(page, page.getByTestId('job-select'), 'deadline-watch');
    assert.equal(await field(page, 'job-as-of').inputValue(), '2026-11-22');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/job-runs') && r.request().method() === 'POST'),
      page.getByTestId('job-run-submit').click(),
    ]);
    assert.equal(res.status(), 201);
    const run = await res.json();
    const result = page.getByTestId('job-result');
    await result.waitFor();
    assert.equal(await result.getByTestId('job-outcome').getAttribute('data-outcome'), 'succeeded');
    assert.match(await result.innerText(), /delays_updated|newly_overdue|reminders/);
    await screenshot(page, 'bureau1-job-result');
    await page.getByTestId('job-close').click();
    await page.getByTestId('job-modal').waitFor({ state: 'detached' });

    const row = page.locator(`[data-testid="job-runs-table"] tr[data-run-id="${run.id}"]`);
    await row.waitFor();
    assert.equal(await row.getByTestId('job-outcome').innerText(), '成功');
    assert.match(await row.innerText(), /deadline-watch/);
    assert.match(await row.innerText(), /手动：bureau1/);
    assert.match(await row.innerText(), /2026-11-22/);
    await screenshot(page, 'bureau1-jobs');

    // The fund runs jobs too, but not the retention calculation.
    const f = await as('fund1');
    await menu(f, '定时任务');
    await f.getByTestId('job-run-open').click();
    await f.getByTestId('job-select').click();
    const options = f.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option');
    await options.first().waitFor();
    const texts = await options.allInnerTexts();
    assert.ok(texts.some((s) => s.includes('deadline-watch')));
    assert.ok(!texts.some((s) => s.includes('(retention)') || s.includes('（retention）')), texts.join(' | '));
    await f.keyboard.press('Escape');
    await f.getByTestId('job-cancel').click();
    await f.getByTestId('job-modal').waitFor({ state: 'detached' });
  });

  test('bureau1 enters a retention input with a comment', T, async () => {
    const page = await as('bureau1');
    await menu(page, '结余留用');
    await page.getByRole('tab', { name: '测算参数' }).click();
    await page.getByTestId('inputs-table').locator('tbody tr.ant-table-row').first().waitFor();
    await page.getByTestId('input-add').click();
    await pick(page, page.getByTestId('input-kind'), '人工考核得分');
    await pick(page, page.getByTestId('input-hospital'), '深圳市第二人民医院');
    await field(page, 'input-value-field').fill('101');
    await page.getByTestId('input-comment').fill('2026 年处方点评');
    await page.getByTestId('input-save').click();
    await page.locator('.ant-modal').getByText('得分须在 0 到 100 之间').waitFor();
    await field(page, 'input-value-field').fill('88');
    await page.getByTestId('input-save').click();
    await page.locator('.ant-modal:visible').waitFor({ state: 'detached' }).catch(() => {});
    await pick(page, page.getByTestId('filter-input-kind'), '人工考核得分');
    // The server filters: wait for its page (every row a score) before reading it.
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="inputs-table"] tbody tr.ant-table-row')];
      return rows.length > 0 && rows.every((r) => r.textContent.includes('人工考核得分'));
    });
    const row = page.getByTestId('inputs-table').locator('tbody tr.ant-table-row', { hasText: '深圳市第二人民医院' });
    await row.waitFor();
    assert.match(await row.innerText(), /88/);
    assert.match(await row.innerText(), /2026 年处方点评/);
    await screenshot(page, 'bureau1-retention-inputs');
    // Editing another row shows that row's values.
    await page.getByTestId('inputs-table').locator('tbody tr.ant-table-row', { hasText: '香港大学深圳医院' }).getByTestId('input-edit').click();
    await page.waitForFunction(() => document.querySelector('input[data-testid="input-value-field"]')?.value === '91');
    await page.locator('.ant-modal').getByRole('button', { name: /取\s*消/ }).click();
    await page.getByTestId('input-form').waitFor({ state: 'detached' });
  });

  // The approval alone may wait up to 120 s for its answer on a loaded machine (below), so the
  // whole test gets room beyond it.
  test('bureau1 starts a retention run and may not approve it; another bureau officer approves it', { timeout: 300_000 }, async () => {
    const page = await as('bureau1');
    await menu(page, '结余留用');
    await page.getByRole('tab', { name: '测算记录' }).click();
    await page.getByTestId('runs-table').locator('tbody tr.ant-table-row').first().waitFor();
    await page.getByTestId('run-start-open').click();
    await page.getByTestId('run-start-submit').click();
    await page.waitForURL(/\/retention\/[0-9a-f-]+$/);
    state.runId = page.url().split('/').pop();
    await page.getByTestId('run-header').waitFor();
    assert.equal(await page.getByTestId('run-status').getAttribute('data-status'), 'calculated');
    await page.getByTestId('results-table').locator('tbody tr.ant-table-row').first().waitFor();
    assert.equal(await page.getByTestId('results-table').locator('tbody tr.ant-table-row').count(), 20);
    // Its own run: the approve button is disabled, with the reason on hover.
    const approve = page.getByTestId('run-approve');
    assert.equal(await approve.isDisabled(), true);
    await approve.hover({ force: true });
    await page.locator('.ant-tooltip').getByText('须由另一名招采处工作人员审核').waitFor();

    // The explanation of one hospital, step by step.
    await page.getByTestId('results-table').locator('tbody tr.ant-table-row', { hasText: '深圳市人民医院' }).getByTestId('explain-open').click();
    const drawer = page.locator('.ant-drawer');
    await drawer.getByTestId('explain-steps').locator('li').first().waitFor();
    assert.ok(await drawer.getByTestId('explain-steps').locator('li').count() > 5);
    assert.match(await drawer.getByTestId('explain-steps').innerText(), /retained 留用金额/);
    assert.ok(await drawer.getByTestId('explain-lines').locator('tbody tr.ant-table-row').count() >= 1);
    // The drawer is fixed to the viewport: a viewport screenshot once it has slid in.
    await page.waitForFunction(() => {
      const el = document.querySelector('.ant-drawer-content-wrapper');
      return !!el && Math.abs(el.getBoundingClientRect().right - window.innerWidth) < 1;
    });
    await page.waitForLoadState('networkidle');
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: join(artifactsDir, 'bureau1-retention-explain.png') });
    await page.keyboard.press('Escape');
    await drawer.getByTestId('explanation').waitFor({ state: 'detached' });

    await screenshot(page, 'bureau1-retention-run');

    // Its CSV export downloads with the session's token.
    await page.getByTestId('run-export').hover();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByText('CSV：按医疗机构汇总').click()]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const { readFileSync } = await import('node:fs');
    assert.match(readFileSync(await download.path(), 'utf8'), /深圳市人民医院/);

    // A second bureau officer (created by the admin through the API; the demo's bureau2 is
    // taken) approves it.
    const admin = await apiAs('admin');
    const orgs = await admin('GET', '/api/v1/organizations?kind=bureau');
    const bureauOrg = orgs.items.find((o) => o.name === '深圳市医疗保障局');
    await admin('POST', '/api/v1/users', { username: 'bureau3', password: PASSWORD, role: 'bureau_officer', org_id: bureauOrg.id, display_name: '招采处 赵敏' });
    const b2 = await as('bureau3');
    await b2.goto(`${env.server.url}/retention/${state.runId}`);
    await b2.getByTestId('run-header').waitFor();
    assert.equal(await b2.getByTestId('run-approve').isDisabled(), false);
    // Approving posts every hospital's retention to the ledger and queues their mail: under a
    // loaded machine it can take longer than a click's usual wait, so the test waits for the
    // answer itself.
    // The demo's scheduler runs mail dispatch every minute beside it: a "busy, retry" answer
    // is retried once, as the officer would.
    // When no answer comes, the failure says whether the approval was ever sent (two CI runs
    // timed out here, and neither run's log told the one case from the other).
    const sent = [];
    b2.on('request', (r) => {
      if (r.url().endsWith('/approve') && r.method() === 'POST') sent.push(new Date().toISOString());
    });
    let answer;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const answered = b2.waitForResponse((r) => r.url().endsWith('/approve') && r.request().method() === 'POST', { timeout: 120_000 });
      await b2.getByTestId('run-approve').click();
      await b2.getByTestId('approve-ok').click();
      answer = await answered.catch((e) => {
        const when = sent.length ? `sent at ${sent.join(', ')}, started ${new Date().toISOString()}` : 'never sent';
        throw new Error(`no answer to the approval (${when}): ${e.message}`);
      });
      if (answer.status() !== 503) break;
    }
    assert.equal(answer.status(), 200, await answer.text());
    await b2.locator('[data-testid="run-status"][data-status="approved"]').waitFor({ timeout: 60_000 });
    await b2.getByTestId('approved-by').waitFor();
    assert.equal(await b2.getByTestId('run-approve').count(), 0);
    await screenshot(b2, 'bureau3-retention-approved');
  });

  test('a hospital sees only its own retention result, with the explanation', T, async () => {
    assert.ok(state.runId, 'a run was approved');
    const page = await as('hospital1');
    await menu(page, '结余留用');
    const link = page.getByTestId('runs-table').locator('tbody tr.ant-table-row', { hasText: '已审核' }).getByTestId('run-link');
    await link.click();
    await page.waitForURL(`**/retention/${state.runId}`);
    const rows = page.getByTestId('results-table').locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /深圳市人民医院/);
    await page.getByTestId('explain-steps').locator('li').first().waitFor();
    assert.equal(await page.getByTestId('explain-retained').innerText(), await rows.first().getByTestId('retained').innerText());
    assert.equal(await page.getByTestId('run-approve').count(), 0);
    await screenshot(page, 'hospital1-retention');
  });

  test('the fund sees the retention runs and inputs read-only', T, async () => {
    const page = await as('fund1');
    await menu(page, '结余留用');
    await page.getByTestId('runs-table').locator('tbody tr.ant-table-row', { hasText: '已审核' }).waitFor();
    assert.equal(await page.getByTestId('run-start-open').count(), 0);
    await page.getByRole('tab', { name: '测算参数' }).click();
    await page.getByTestId('inputs-table').locator('tbody tr.ant-table-row').first().waitFor();
    assert.equal(await page.getByTestId('input-add').count(), 0);
    assert.equal(await page.getByTestId('input-edit').count(), 0);
    await screenshot(page, 'fund1-retention-inputs');
  });

  test('the language switch shows the job runs page in English', T, async () => {
    const page = await as('bureau1');
    await page.goto(`${env.server.url}/bureau/jobs`);
    await page.locator('.jc-page-title h2').getByText('定时任务运行记录').waitFor();
    await page.getByTestId('lang-switch').click();
    await page.locator('.jc-page-title h2').getByText('Job runs').waitFor();
    await page.getByTestId('job-run-open').getByText('Run job').waitFor();
    await page.getByTestId('job-runs-table').locator('tbody tr.ant-table-row').first().getByText('Succeeded').waitFor();
    await page.goto(`${env.server.url}/bureau/monitoring`);
    await page.locator('.jc-page-title h2').getByText('Procurement monitoring').waitFor();
    await page.getByTestId('progress-table').locator('tbody tr.ant-table-row').first().waitFor();
    await screenshot(page, 'bureau1-monitoring-en');
    await page.getByTestId('lang-switch').click();
    await page.locator('.jc-page-title h2').getByText('执行监测').waitFor();
  });

  test('no page threw a JavaScript error', () => {
    for (const [user, page] of Object.entries(as.pages)) assert.deepEqual(page.jsErrors.map(String), [], user);
  });
});
