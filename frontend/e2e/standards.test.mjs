// End-to-end: insurance payment standards (医保支付标准) as a bureau officer and a hospital, in
// the Chinese UI, against the demo (winning ezetimibe ¥1.2963 a tablet; the originator listed at
// ¥6.50, above twice the winning price, so year 1 of its glide: ¥6.50 × 70% = ¥4.55).
//   node --test --test-concurrency=1 e2e/standards.test.mjs   (after `npm run build`)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { field, menu, pick, screenshot, serverAndBrowser, users } from './harness.mjs';

const T = { timeout: 120_000 };
const env = serverAndBrowser();
const as = users(() => env.browser, () => env.server.url);

/** Types a date into an antd DatePicker and confirms it (the click elsewhere closes the calendar). */
async function typeDate(page, input, text, elsewhere) {
  await input.click();
  await input.fill(text);
  await input.press('Enter');
  await page.locator(elsewhere).first().click();
  await page.waitForFunction(() => !document.querySelector('.ant-picker-dropdown:not(.ant-picker-dropdown-hidden)'));
}

/** Waits until nothing animates (a tab or drawer sliding in, a toast fading) before a screenshot. */
async function settled(page) {
  await page.waitForFunction(() => !document.getAnimations().some((a) => a.playState === 'running'));
  await page.waitForTimeout(200);
}

/** Rows of a table, once it has finished loading. */
async function rows(page, testId) {
  const table = page.getByTestId(testId);
  await table.locator('tbody tr.ant-table-row').first().waitFor();
  await page.waitForFunction((id) => !document.querySelector(`[data-testid="${id}"] .ant-spin-spinning`), testId);
  return table.locator('tbody tr.ant-table-row');
}

describe('payment standards', () => {
  test('the bureau explains a standard, computes and publishes a new version, and exports', T, async () => {
    const page = await as('bureau1');
    await menu(page, '支付标准');
    await page.getByRole('heading', { name: '医保支付标准' }).waitFor();
    await field(page, 'standards-search').fill('依折麦布片');
    await field(page, 'standards-search').press('Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="standards-table"] tbody tr.ant-table-row')].length === 2);
    const originator = (await rows(page, 'standards-table')).filter({ hasText: '原研药' });
    assert.match(await originator.innerText(), /高于 2 倍·逐年下调 · 第 1 年/);
    assert.match(await originator.innerText(), /¥4\.5500/);
    assert.match(await originator.innerText(), /已发布/);

    // The explanation, line by line, and the patient's share of one pack (10 tablets) then of 30.
    await originator.getByTestId('standard-explain').click();
    const detail = page.getByTestId('standard-detail');
    await detail.waitFor();
    const lines = await detail.getByTestId('explanation').locator('li').allInnerTexts();
    assert.equal(lines.length, 5, lines.join('\n'));
    assert.match(lines[1], /高于中选价格的 2 倍（2\.5926 元）：第 1 年为价格降低 30%，即 4\.5500 元/);
    assert.match(lines[2], /本周期第 1 年：支付标准为 4\.5500 元/);
    assert.equal(await detail.getByTestId('patient-pays').innerText(), '¥33.15');
    await field(page, 'patient-quantity').fill('30');
    await page.waitForFunction(() => document.querySelector('[data-testid="patient-pays"]')?.textContent === '¥99.45');
    await settled(page);
    await screenshot(page, 'standards-01-explained');
    await page.locator('.ant-drawer-close').click();

    // Computing for a past date is refused in Chinese. 2026-12-01 is the first anniversary of the
    // 7th batch's cycle: year 2 of the glide, halfway from ¥4.55 to ¥1.2963 = ¥2.92315 → ¥2.9232.
    await page.getByTestId('standards-compute').click();
    const modal = page.locator('.ant-modal');
    await typeDate(page, field(page, 'compute-effective'), '2026-11-01', '.ant-modal-title');
    await pick(page, page.getByTestId('compute-variant'), '国家规则（2019）');
    await page.getByTestId('compute-submit').click();
    await modal.getByTestId('error-alert').getByText('支付标准只能从今天或以后生效').waitFor();
    await typeDate(page, field(page, 'compute-effective'), '2026-12-01', '.ant-modal-title');
    await page.getByTestId('compute-submit').click();
    await modal.waitFor({ state: 'hidden' });
    await page.waitForFunction(() => {
      const tags = [...document.querySelectorAll('[data-testid="standards-table"] [data-testid="standard-status"]')];
      return tags.length === 2 && tags.every((t) => t.getAttribute('data-status') === 'draft');
    });
    const drafts = await rows(page, 'standards-table');
    const draft = await drafts.filter({ hasText: '原研药' }).innerText();
    assert.match(draft, /2026-12-01[\s\S]*草稿[\s\S]*第 2 年[\s\S]*¥2\.9232/);

    // Publishing every draft of the date (the search still narrows the table to ezetimibe).
    await page.getByTestId('standards-publish-all').click();
    await page.locator('.ant-popconfirm .ant-btn-primary').click();
    await page.waitForFunction(() => {
      const tags = [...document.querySelectorAll('[data-testid="standards-table"] [data-testid="standard-status"]')];
      return tags.length === 2 && tags.every((t) => t.getAttribute('data-status') === 'published');
    });
    await page.locator('.ant-message-error').waitFor({ state: 'detached', timeout: 10_000 });
    await settled(page);
    await screenshot(page, 'standards-02-published');

    // The export downloads the table's rows as CSV with Chinese headers.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('standards-export-csv').click()]);
    assert.equal(download.suggestedFilename(), 'payment-standards.csv');
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv, /支付标准 standard/);
    assert.match(csv, /依折麦布片.*above_2x_glide,2,6\.5000,1\.2963,2\.9232/);
    assert.equal(page.jsErrors.length, 0, page.jsErrors.join('\n'));
  });

  test('a hospital sees each product\'s standard beside its price, with the patient\'s excess', T, async () => {
    const page = await as('hospital1');
    await field(page, 'catalogue-search').fill('依折麦布片');
    await field(page, 'catalogue-search').press('Enter');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="bids-table"] tbody tr.ant-table-row')].length === 1);
    const winning = page.getByTestId('bids-table').locator('tbody tr.ant-table-row').first().getByTestId('standard');
    await winning.waitFor();
    assert.equal(await winning.getAttribute('data-standard'), '1.2963');
    assert.match(await winning.innerText(), /¥1\.2963\/片[\s\S]*无超额/);
    await page.getByRole('tab', { name: '挂网非中选产品' }).click();
    const listed = page.getByTestId('listed-table').locator('tbody tr.ant-table-row').first().getByTestId('standard');
    await listed.waitFor();
    assert.equal(await listed.getAttribute('data-standard'), '4.5500');
    assert.equal(await listed.getAttribute('data-excess'), '1.9500');
    assert.match(await listed.innerText(), /¥4\.5500\/片[\s\S]*超额 ¥1\.9500\/片/);
    await settled(page);
    await screenshot(page, 'standards-03-hospital-catalogue');
    // Hospitals have no page of their own for standards: they read them in the catalogue.
    assert.equal(await page.getByTestId('menu').getByText('支付标准', { exact: true }).count(), 0);
    assert.equal(page.jsErrors.length, 0, page.jsErrors.join('\n'));
  });
});
