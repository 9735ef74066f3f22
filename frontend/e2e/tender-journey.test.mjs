// End-to-end: one tender from its first line to an order, across roles and across three weeks
// of the server's clock (the same database served again at a later "now"): bureau1 sets up a
// small tender; two hospitals report demand, one by XLSX; three manufacturers bid and one
// replaces its bid; the bureau opens the bids; the results are explained; after the objection
// window the results are final and the winners pick regions; the results go in force and a
// hospital orders the new winning product at its winning price.
//   node --test --test-concurrency=1 e2e/tender-journey.test.mjs   (after `npm run build`)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { field, launchBrowser, pick, screenshot, startServer, users } from './harness.mjs';
import { xlsx } from './xlsx.mjs';

const T = { timeout: 180_000 };
const NAME = '深圳市药品集中带量采购 第四批（全流程）';
const GENERIC = '氨氯地平片';
// Three manufacturers' products of the generic: (supplier, code, spec, tablets a box, price a box).
const BIDDERS = [
  ['supplier3', 'XC08CAA195A010012800001', '5', 28, '4.20'],
  ['supplier4', 'XC08CAA195A010021400002', '10', 14, '5.71'],
  ['supplier5', 'XC08CAA195A010010700003', '5', 7, '2.52'],
];

let server;
let browser;
let as;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  as = users(() => browser, () => server.url);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Serves the same database at a later "now"; everyone signs in again (their sessions are old). */
async function travelTo(fakeNow) {
  for (const p of Object.values(as.pages)) assert.deepEqual(p.jsErrors, [], 'no JavaScript errors');
  await server.restartAt(fakeNow, { JICAI_SCHEDULER: 'off' });
  as = users(() => browser, () => server.url);
}

async function openTender(page) {
  await page.goto(server.url + '/tenders');
  await page.getByTestId('tenders-table').locator('tr', { hasText: NAME }).getByTestId('tender-link').click();
  await page.getByTestId('tender-steps').waitFor();
}

/** The bureau's next step on the overview, confirmed; waits for the stage it leads to. */
async function next(page, stage) {
  await page.getByTestId('tender-next').click();
  await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
  await page.locator(`[data-testid="tender-status"][data-status="${stage}"]`).waitFor();
}

async function typeDate(page, input, text) {
  await input.click();
  await input.fill(text);
  await input.press('Enter');
  await page.locator('.ant-modal-title').click();
  await page.waitForFunction(() => !document.querySelector('.ant-picker-dropdown:not(.ant-picker-dropdown-hidden)'));
}

describe('a tender from setup to the first order', () => {
  test('1. bureau1 sets up a small tender and opens demand reporting', T, async () => {
    // The bidders' products are in the catalogue (the bureau's products page does this too).
    const login = await fetch(server.url + '/api/v1/auth/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'bureau1', password: 'jicai-demo' }),
    });
    const { token } = await login.json();
    const products = BIDDERS.map(([, code, mg, units]) => ({
      code, generic_name: GENERIC, dosage_form: '片剂', specification: `${mg}mg`, pack_size: units, min_unit: '片',
    }));
    const r = await fetch(server.url + '/api/v1/products', {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(products),
    });
    assert.equal(r.status, 201, await r.text());

    const page = await as('bureau1');
    await page.goto(server.url + '/tenders');
    await page.getByTestId('tender-create').click();
    await field(page, 'tender-name').waitFor();
    await field(page, 'tender-name').fill(NAME);
    await field(page, 'tender-doc').fill('SZ-YP2026-4');
    const cycle = page.locator('.ant-modal .ant-picker-range input');
    await cycle.nth(0).click();
    await cycle.nth(0).fill('2026-12-01');
    await cycle.nth(0).press('Enter');
    await typeDate(page, cycle.nth(1), '2027-11-30');
    await typeDate(page, field(page, 'tender-demand-close'), '2026-11-28 17:00');
    await typeDate(page, field(page, 'tender-deadline'), '2026-12-05 17:00');
    await typeDate(page, field(page, 'tender-opening'), '2026-12-08 09:30');
    await field(page, 'generic-name').fill(GENERIC);
    await field(page, 'generic-strength').fill('5');
    await field(page, 'generic-max-price').fill('0.6000');
    for (let attempt = 1; ; attempt++) {
      await page.getByTestId('tender-submit').click();
      try {
        await page.getByTestId('tender-steps').waitFor({ timeout: 10_000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    await next(page, 'demand_reporting');
    await screenshot(page, 'journey-01-demand-open');
  });

  test('2. two hospitals report demand, one by XLSX', T, async () => {
    const h1 = await as('hospital1');
    await openTender(h1);
    await h1.getByRole('tab', { name: '需求填报' }).click();
    await field(h1, 'demand-qty').fill('120000');
    await h1.getByTestId('demand-submit').click();
    await h1.getByTestId('demand-table').getByText('120,000').waitFor();

    const h2 = await as('hospital2');
    await openTender(h2);
    await h2.getByRole('tab', { name: '需求填报' }).click();
    const sheet = xlsx([['通用名', '年需求量', '原因'], [GENERIC, 80000, '']]);
    await h2.locator('input[type=file]').setInputFiles({
      name: '需求填报.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: sheet,
    });
    await h2.getByTestId('demand-table').getByText('80,000').waitFor();
    await screenshot(h2, 'journey-02-demand-xlsx');
  });

  test('3. after the demand window: published, bidding; three manufacturers bid, one replaces its bid', T, async () => {
    await travelTo('2026-11-29T10:00:00+08:00');
    const bureau = await as('bureau1');
    await openTender(bureau);
    await next(bureau, 'published');
    await next(bureau, 'bidding');
    for (const [user, code, mg, , price] of BIDDERS) {
      const page = await as(user);
      await openTender(page);
      await page.getByRole('tab', { name: '资格与投标' }).click();
      await field(page, 'qualify-product').fill(code);
      await field(page, 'qualify-strength').fill(mg);
      await page.getByTestId('qualify-submit').click();
      await field(page, 'bid-price').waitFor();
      await field(page, 'bid-price').fill(user === 'supplier3' ? '4.50' : price);
      await page.getByTestId('bid-submit').click();
      await page.getByTestId('bid-receipt').waitFor();
    }
    // supplier3 lowers its bid before the deadline: a new version, a new receipt.
    const first = await as('supplier3');
    const before = (await first.getByTestId('receipt-hash').innerText()).trim();
    await field(first, 'bid-price').fill('4.20');
    await first.getByTestId('bid-submit').click();
    await first.getByTestId('my-bid').getByText('版本 2').waitFor();
    assert.notEqual((await first.getByTestId('receipt-hash').innerText()).trim(), before);
    await screenshot(first, 'journey-03-bid-replaced');
  });

  test('4–5. at the opening time the bureau opens the bids; the results are explained', T, async () => {
    await travelTo('2026-12-08T10:00:00+08:00');
    const bureau = await as('bureau1');
    await openTender(bureau);
    await next(bureau, 'opened');
    await bureau.getByRole('tab', { name: '开标结果' }).click();
    const table = bureau.getByTestId('result-table');
    await table.getByText('0.2399').first().waitFor();
    const decisions = await table.getByTestId('decision').evaluateAll((els) => els.map((e) => e.dataset.decision));
    assert.deepEqual(decisions, ['within_multiple', 'within_multiple', 'not_shortlisted']);
    await screenshot(bureau, 'journey-04-results-explained');
    await bureau.getByRole('tab', { name: '概览' }).click();
    await next(bureau, 'proposed');
  });

  test('6. after the objection window the results are final and the winners pick regions', T, async () => {
    await travelTo('2026-12-11T12:00:00+08:00');
    const bureau = await as('bureau1');
    await openTender(bureau);
    await next(bureau, 'final');
    const first = await as('supplier3');
    await openTender(first);
    await first.getByRole('tab', { name: '供应地区' }).click();
    await pick(first, first.getByTestId('pick-region'), '深圳市');
    await first.getByTestId('pick-submit').click();
    await first.getByTestId('board-next').getByText('备供地区').waitFor();
    const second = await as('supplier4');
    await openTender(second);
    await second.getByRole('tab', { name: '供应地区' }).click();
    await pick(second, second.getByTestId('pick-region'), '深圳市');
    await second.getByTestId('pick-submit').click();
    await second.getByTestId('board-card').getByText('地区选择已完成').waitFor();
    await screenshot(second, 'journey-05-regions-picked');
  });

  test('7. the results go in force and a hospital orders the new product at its winning price', T, async () => {
    const bureau = await as('bureau1');
    await openTender(bureau);
    await next(bureau, 'in_force');
    const h = await as('hospital1');
    await h.goto(server.url + '/hospital/catalogue');
    await field(h, 'catalogue-search').fill(GENERIC);
    await field(h, 'catalogue-search').press('Enter');
    const row = h.getByTestId('bids-table').locator('tbody tr.ant-table-row', { hasText: 'Hetero' }).first();
    await row.getByText('¥4.20').waitFor();
    await row.getByRole('button', { name: /下单/ }).click();
    await h.waitForURL(/\/hospital\/orders\/new\?bid=/);
    await pick(h, h.getByTestId('order-supplier'), 'Hetero');
    await field(h, 'line-packs-0').fill('10');
    assert.equal(await h.getByTestId('order-total').innerText(), '¥42.00');
    await h.getByTestId('order-submit').click();
    await h.getByTestId('order-detail').waitFor();
    await screenshot(h, 'journey-06-ordered');
    for (const p of Object.values(as.pages)) assert.deepEqual(p.jsErrors, [], 'no JavaScript errors');
  });
});
