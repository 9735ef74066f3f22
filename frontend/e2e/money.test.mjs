// End-to-end: the supplier's payment-status page as a distributor's accountant reads it, at
// 1280 px in Chinese: the four totals at the top, the list by urgency (overdue first, paid last),
// what each payable pays for, its batch with dates, document numbers not cut, a total that opens
// its list; the detail's timeline with dates; a manufacturer's empty pages explain themselves,
// and it reads its products' flow through the distributors instead.
//   node --test --test-concurrency=1 e2e/money.test.mjs   (after `npm run build`)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loginAs, screenshot, serverAndBrowser } from './harness.mjs';

const T = { timeout: 180_000 };
const env = serverAndBrowser();

async function at1280(user) {
  const context = await env.browser.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  return loginAs(context, env.server.url, user);
}

describe('the supplier’s money', () => {
  test('totals, urgency order, drugs and batches, nothing cut at 1280 px', T, async () => {
    const page = await at1280('supplier2');
    await page.goto(env.server.url + '/supplier/payments');
    const totals = page.getByTestId('payable-totals');
    await totals.getByText('未付合计').waitFor();
    for (const id of ['total-outstanding', 'total-overdue', 'total-due-soon', 'total-paid-month']) {
      assert.match(await page.getByTestId(id).innerText(), /¥[\d,]+\.\d\d[\s\S]*\d+ 笔/, id);
    }
    const rows = page.getByTestId('payables-table').locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    // Overdue first; nothing paid before something unpaid.
    assert.equal(await rows.first().getByTestId('payable-status').innerText(), '已逾期');
    const statuses = await rows.locator('[data-testid="payable-status"]').allInnerTexts();
    const firstPaid = statuses.findIndex((s) => s === '已支付');
    if (firstPaid >= 0) assert.ok(statuses.slice(firstPaid).every((s) => s === '已支付' || s.startsWith('无应付')), statuses.join(','));
    // Each row says what it pays for, with its unit.
    assert.match(await rows.first().getByTestId('payable-items').innerText(), /\d+(片|支|粒|袋|瓶|盒)/);
    assert.ok(await page.getByTestId('list-batch').count() > 0, 'batched payables show their batch');
    // Document numbers and hospital names are whole, not cut with an ellipsis.
    const cut = await page.evaluate(() => [...document.querySelectorAll('[data-testid="payables-table"] tbody tr.ant-table-row td')]
      .filter((td) => td.scrollWidth > td.clientWidth + 1 && /PO-|DN-|AP-|医院/.test(td.textContent ?? '')).map((td) => td.textContent));
    assert.deepEqual(cut, []);
    await screenshot(page, 'supplier2-payment-status');

    // A total opens its list: the overdue card lists the overdue ones only.
    await page.getByTestId('total-overdue').click();
    await page.waitForURL(/status=overdue/);
    await page.waitForFunction(() => {
      const s = [...document.querySelectorAll('[data-testid="payables-table"] [data-testid="payable-status"]')].map((e) => e.textContent);
      return s.length > 0 && s.every((x) => x === '已逾期');
    });

    // A batched payable's detail: batch number and dates, the timeline dated.
    await page.goto(env.server.url + '/supplier/payments?status=paid');
    await page.getByTestId('payables-table').locator('tbody tr.ant-table-row').first().getByTestId('payable-link').click();
    await page.getByTestId('payable-detail').waitFor();
    assert.match(await page.getByTestId('payable-batch').innerText(), /PB-[\s\S]*编入[\s\S]*审批/);
    assert.match(await page.getByTestId('payable-items').innerText(), /\d/);
    const steps = await page.locator('.ant-steps-item').allInnerTexts();
    const dated = (title) => steps.find((s) => s.includes(title))?.match(/\d{4}-\d{2}-\d{2}/);
    assert.ok(dated('编入批次') && dated('批次审批'), steps.join(' | '));
    await screenshot(page, 'supplier2-payable-detail');
    await page.context().close();
  });

  test('a manufacturer’s empty pages explain why and point to its product flow', T, async () => {
    const page = await at1280('supplier4');
    await page.goto(env.server.url + '/supplier/payments');
    await page.getByTestId('payables-empty').getByText('医保基金直接向配送企业付款').waitFor();
    await page.goto(env.server.url + '/supplier/orders');
    await page.getByTestId('orders-empty').getByText('中选产品流向').waitFor();
    await page.context().close();
  });

  test('a manufacturer reads its products’ flow: distributor named, shipped, accepted, paid', T, async () => {
    const page = await at1280('supplier4');
    await page.locator('.ant-menu').getByText('中选产品流向').click();
    const rows = page.getByTestId('flow-table').locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    const n = await rows.count();
    assert.ok(n > 0);
    // Each line names a distributor of the demo; some delivery of Bracco's products is paid.
    for (let i = 0; i < n; i++) {
      assert.match(await rows.nth(i).getByTestId('flow-distributor').innerText(), /国药控股深圳有限公司|华润广东医药有限公司/);
    }
    const deliveries = await page.getByTestId('flow-delivery').allInnerTexts();
    assert.ok(deliveries.some((d) => /DN-\d{8}-\w+ · \d{4}-\d\d-\d\d 发货 \d+ /.test(d)), deliveries.join('\n'));
    assert.ok(deliveries.some((d) => /已支付|已付/.test(d)), deliveries.join('\n'));
    // No payable amount or other enterprise's product: every product cell is one of its own.
    const own = new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.children[4].textContent.split(' ')[0])));
    assert.ok(own.size >= 1 && own.size <= 3, [...own].join(','));
    await screenshot(page, 'supplier4-product-flow');

    // The distributor filter narrows to one distributor's lines.
    await page.getByTestId('flow-distributor-filter').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '华润广东医药有限公司' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="flow-distributor"]')].every((e) => e.textContent === '华润广东医药有限公司'));
    assert.ok(await rows.count() >= 1);
    assert.deepEqual(page.jsErrors, []);
    await page.context().close();
  });

  test('a distributor has no product-flow menu', T, async () => {
    const page = await at1280('supplier1');
    assert.equal(await page.locator('.ant-menu').getByText('中选产品流向').count(), 0);
    await page.context().close();
  });
});
