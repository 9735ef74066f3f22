// End-to-end: the public disclosure site, without signing in, at 1280 px in Chinese: payment
// timeliness with its chart, tender results, winning prices, credit ratings, payment standards and
// the open-data download; English on request; a signed-in page still asks for a sign-in.
//   node --test --test-concurrency=1 e2e/public.test.mjs   (after `npm run build`)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { screenshot, serverAndBrowser } from './harness.mjs';

const T = { timeout: 120_000 };
const env = serverAndBrowser();

async function anonymous() {
  const context = await env.browser.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.jsErrors = errors;
  return page;
}

describe('public disclosure site', () => {
  test('anyone reads what the bureau published, in Chinese, without signing in', T, async () => {
    const page = await anonymous();
    await page.goto(env.server.url + '/public');
    await page.getByTestId('public-title').getByText('信息公开').waitFor();
    // Payment timeliness first: the chart draws and the table lists the months.
    await page.locator('[data-testid="timeliness-chart"][data-rendered="true"]').waitFor();
    const rows = page.getByTestId('timeliness-table').locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    assert.ok(await rows.count() >= 1, 'months of payables');
    await page.getByTestId('public-version').getByText('第 1 版').waitFor();
    await screenshot(page, 'public-01-timeliness');
    // The README shows this page (docs/screenshots/public-timeliness.png is a copy of this one).

    const menu = page.getByTestId('public-menu');
    await menu.getByText('招标结果').click();
    await page.getByTestId('public-tender').first().waitFor();
    await menu.getByText('中选价格').click();
    await page.getByTestId('public-prices').getByText('依巴斯汀片').first().waitFor();
    await menu.getByText('信用评价').click();
    await page.getByTestId('public-ratings').getByTestId('public-grade').first().waitFor();
    const ratings = await page.getByTestId('public-ratings').innerText();
    assert.ok(!/李明|周敏|财务部|药剂科/.test(ratings), 'no person is named');
    await screenshot(page, 'public-02-credit');
    await menu.getByText('医保支付标准').click();
    await page.getByTestId('public-standards').locator('tbody tr.ant-table-row').first().waitFor();
    await menu.getByText('开放数据').click();
    assert.match(await page.getByTestId('ocds-bulk').getAttribute('href'), /\/api\/v1\/ocds\/bulk\?region=440300/);

    await page.getByTestId('lang-switch').click();
    await page.getByTestId('public-title').getByText('public disclosure').waitFor();
    await page.getByTestId('lang-switch').click();
    // The platform itself still needs a sign-in.
    await page.goto(env.server.url + '/bureau/dashboard');
    await page.waitForURL(/\/login/);
    assert.deepEqual(page.jsErrors, [], 'no JavaScript errors');
  });
});
