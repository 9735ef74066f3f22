// End-to-end: tendering across roles in a real browser against a real server with the demo data.
// The bureau drafts a tender through its form (bad input first) and opens demand reporting; a
// hospital reports its demand, another imports it from a sheet; a manufacturer bids on the demo's
// open tender, keeps its receipt and replaces its bid; the bureau reads the demo's opened tender,
// explained bid by bid; its winners pick the region on their turns; the bureau puts the results
// in force and a hospital orders the new winning product at its winning price.
//   node --test --test-concurrency=1 e2e/tender.test.mjs   (after `npm run build`)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { field, pick, screenshot, serverAndBrowser, users } from './harness.mjs';

const T = { timeout: 120_000 };
const env = serverAndBrowser();
const as = users(() => env.browser, () => env.server.url);

/** Types a date (and time) into an antd picker, confirms it and lets the calendar close. */
async function typeDate(page, input, text) {
  await input.click();
  await input.fill(text);
  await input.press('Enter');
  await page.locator('.ant-modal-title').click();
  await page.waitForFunction(() => !document.querySelector('.ant-picker-dropdown:not(.ant-picker-dropdown-hidden)'));
}

async function openTender(page, name) {
  await page.goto(env.server.url + '/tenders');
  await page.getByTestId('tenders-table').getByText(name).first().waitFor();
  await page.getByTestId('tenders-table').locator('tr', { hasText: name }).getByTestId('tender-link').click();
  await page.getByTestId('tender-steps').waitFor();
}

describe('tendering', () => {
  test('the bureau drafts a tender: bad input is refused in Chinese, then demand opens', T, async () => {
    const page = await as('bureau1');
    await page.goto(env.server.url + '/tenders');
    await page.getByTestId('tender-create').click();
    await field(page, 'tender-name').waitFor();
    // Nothing filled: the form says what is missing and sends nothing. (A click on the modal's
    // button while it still animates in can miss under heavy load: try again, as pick() does.)
    for (let attempt = 1; ; attempt++) {
      await page.getByTestId('tender-submit').click();
      try {
        await page.locator('.ant-form-item-explain-error').first().waitFor({ timeout: 5000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    await field(page, 'tender-name').fill('深圳市药品集中带量采购 第三批（浏览器测试）');
    await field(page, 'tender-doc').fill('SZ-YP2026-E2E');
    // A range takes both ends before the calendar closes.
    const cycle = page.locator('.ant-modal .ant-picker-range input');
    await cycle.nth(0).click();
    await cycle.nth(0).fill('2027-01-01');
    await cycle.nth(0).press('Enter');
    await typeDate(page, cycle.nth(1), '2028-12-31');
    await typeDate(page, field(page, 'tender-demand-close'), '2026-11-28 17:00');
    // The bid deadline before the demand window closes: the server refuses, in Chinese.
    await typeDate(page, field(page, 'tender-deadline'), '2026-11-27 17:00');
    await typeDate(page, field(page, 'tender-opening'), '2026-12-08 09:30');
    await field(page, 'generic-name').fill('氨氯地平片');
    await field(page, 'generic-strength').fill('5');
    await field(page, 'generic-max-price').fill('abc');
    await page.getByTestId('tender-submit').click();
    await page.locator('.ant-form-item-explain-error:not(.ant-form-show-help-item-leave)', { hasText: '请输入大于 0 的数字' }).waitFor();
    await field(page, 'generic-max-price').fill('0.6000');
    await page.getByTestId('tender-submit').click();
    const refusal = page.getByTestId('error-alert');
    await refusal.getByText('时间安排不正确').waitFor();
    await screenshot(page, 'tender-01-refused');
    await typeDate(page, field(page, 'tender-deadline'), '2026-12-05 17:00');
    await page.getByTestId('tender-submit').click();
    await page.getByTestId('tender-steps').waitFor();
    assert.equal(await page.getByTestId('tender-status').getAttribute('data-status'), 'draft');
    await page.getByTestId('tender-next').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await page.locator('[data-testid="tender-status"][data-status="demand_reporting"]').waitFor();
    await screenshot(page, 'tender-02-demand-open');
  });

  test('a hospital reports its demand', T, async () => {
    const page = await as('hospital1');
    await openTender(page, '浏览器测试');
    await page.getByRole('tab', { name: '需求填报' }).click();
    await field(page, 'demand-qty').fill('120000');
    await page.getByTestId('demand-submit').click();
    await page.getByTestId('demand-table').getByText('120,000').waitFor();
    await page.getByTestId('demand-table').getByText('已提交').waitFor();
    await screenshot(page, 'tender-03-demand-reported');
    const bureau = await as('bureau1');
    await bureau.reload();
    await bureau.getByRole('tab', { name: '需求填报' }).click();
    await bureau.getByTestId('demand-totals').getByText('120,000').waitFor();
  });

  test('a second hospital imports its demand from a sheet: the bad rows are listed, then the fixed sheet is taken', T, async () => {
    const page = await as('hospital2');
    await openTender(page, '浏览器测试');
    await page.getByRole('tab', { name: '需求填报' }).click();
    const file = (text) => ({ name: 'demand.csv', mimeType: 'text/csv', buffer: Buffer.from('\ufeff' + text) });
    const input = page.locator('input[type=file]');
    await input.setInputFiles(file('通用名,年需求量,原因\n氨氯地平片,12.5,\n不存在的药,100,\n'));
    const errors = page.getByTestId('sheet-errors');
    await errors.getByText('数量须为正整数').waitFor();
    await errors.getByText('招标中没有该品种').waitFor();
    assert.equal(await errors.locator('tbody tr.ant-table-row').count(), 2);
    await screenshot(page, 'tender-03b-sheet-refused');
    await input.setInputFiles(file('通用名,年需求量,原因\n氨氯地平片,80000,\n'));
    await page.getByTestId('demand-table').getByText('80,000').waitFor();
    assert.equal(await page.getByTestId('sheet-errors').count(), 0, 'the refusal is gone once the sheet is taken');
  });

  test('a manufacturer bids on the open tender, keeps its receipt and replaces its bid', T, async () => {
    const page = await as('supplier3');
    await openTender(page, '投标中');
    await page.getByRole('tab', { name: '资格与投标' }).click();
    await field(page, 'bid-price').fill('3.8x');
    await page.getByTestId('bid-submit').click();
    await page.locator('.ant-form-item-explain-error:not(.ant-form-show-help-item-leave)', { hasText: '请输入大于 0 的数字' }).waitFor();
    await field(page, 'bid-price').fill('3.80');
    await page.getByTestId('bid-submit').click();
    const receipt = page.getByTestId('bid-receipt');
    await receipt.waitFor();
    const first = (await page.getByTestId('receipt-hash').innerText()).trim();
    assert.match(first, /^[0-9a-f]{64}$/);
    await field(page, 'bid-price').fill('3.70');
    await page.getByTestId('bid-submit').click();
    await page.getByTestId('my-bid').getByText('版本 4').waitFor();
    const second = (await page.getByTestId('receipt-hash').innerText()).trim();
    assert.notEqual(second, first, 'a replaced bid has a new receipt');
    await screenshot(page, 'tender-04-bid-receipt');
    // Sealed: the results tab says when the bids open, and shows no price.
    await page.getByRole('tab', { name: '开标结果' }).click();
    await page.getByText('报价密封中').waitFor();
  });

  test('the bureau reads the opened tender, explained bid by bid', T, async () => {
    const page = await as('bureau1');
    await openTender(page, '已开标');
    await page.getByRole('tab', { name: '开标结果' }).click();
    const table = page.getByTestId('result-table');
    await table.getByText('0.2399').first().waitFor();
    const decisions = await table.getByTestId('decision').evaluateAll((els) => els.map((e) => e.dataset.decision));
    assert.deepEqual(decisions, ['within_multiple', 'within_multiple', 'offered', 'not_shortlisted', 'not_shortlisted']);
    await table.getByText('可接受 0.2399/最小单位，即 ¥1.68/包装').waitFor();
    await screenshot(page, 'tender-05-results-explained');
  });

  test('the winners pick the region on their turns: a turn out of order is refused', T, async () => {
    // Rank 2 (supplier4) may not take the priority pick; rank 1 (supplier3) picks it; then
    // supplier4 takes it as its backup.
    const second = await as('supplier4');
    await openTender(second, '已开标');
    await second.getByRole('tab', { name: '供应地区' }).click();
    await second.getByTestId('board-next').getByText('Hetero').waitFor();
    assert.equal(await second.getByTestId('pick-submit').count(), 0, 'no pick button out of turn');
    const first = await as('supplier3');
    await openTender(first, '已开标');
    await first.getByRole('tab', { name: '供应地区' }).click();
    await pick(first, first.getByTestId('pick-region'), '深圳市');
    await first.getByTestId('pick-submit').click();
    await first.getByTestId('board-next').getByText('备供地区').waitFor();
    await screenshot(first, 'tender-06-region-board');
    await second.reload();
    await second.getByRole('tab', { name: '供应地区' }).click();
    await pick(second, second.getByTestId('pick-region'), '深圳市');
    await second.getByTestId('pick-submit').click();
    await second.getByTestId('board-card').getByText('地区选择已完成').waitFor();
  });

  test('the bureau puts the results in force and a hospital orders the new product at its winning price', T, async () => {
    const page = await as('bureau1');
    await openTender(page, '已开标');
    await page.locator('[data-testid="tender-status"][data-status="regions_allocated"]').waitFor();
    await page.getByTestId('tender-next').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await page.locator('[data-testid="tender-status"][data-status="in_force"]').waitFor();

    const h = await as('hospital1');
    await h.goto(env.server.url + '/hospital/catalogue');
    await field(h, 'catalogue-search').fill('瑞舒伐他汀');
    await field(h, 'catalogue-search').press('Enter');
    const row = h.getByTestId('bids-table').locator('tbody tr.ant-table-row', { hasText: 'Hetero' }).first();
    await row.waitFor();
    await row.getByText('¥4.20').waitFor();
    await row.getByRole('button', { name: /下单/ }).click();
    await h.waitForURL(/\/hospital\/orders\/new\?bid=/);
    await pick(h, h.getByTestId('order-supplier'), 'Hetero');
    await field(h, 'line-packs-0').fill('10');
    assert.equal(await h.getByTestId('order-total').innerText(), '¥42.00');
    await h.getByTestId('order-submit').click();
    await h.getByTestId('order-detail').waitFor();
    await screenshot(h, 'tender-07-ordered');
    for (const p of Object.values(as.pages)) assert.deepEqual(p.jsErrors, [], 'no JavaScript errors');
  });
});
