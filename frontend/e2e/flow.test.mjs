// End-to-end: real server, real browser, users clicking and typing across roles.
//   node --test e2e/   (after `npm run build`; the jicai binary from ../target/debug or $JICAI_BIN)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { artifactsDir, field, menu, pick, screenshot, serverAndBrowser, users } from './harness.mjs';
import { xlsx } from './xlsx.mjs';

const T = { timeout: 90_000 };
const env = serverAndBrowser();
const as = users(() => env.browser, () => env.server.url); // a signed-in tab per user
const flow = {}; // what one step leaves for the next: order number and id

/** Types a date into an antd DatePicker and confirms it. */
async function typeDate(page, picker, date) {
  const input = picker.locator('input').first().or(picker).first();
  await input.click();
  await input.fill(date);
  await input.press('Enter');
  await page.locator('.jc-page-title h2').click(); // closes the calendar
  await page.waitForFunction(() => !document.querySelector('.ant-picker-dropdown:not(.ant-picker-dropdown-hidden)'));
}

/** Requests to the API made while `f` runs (to prove that a refused form sent nothing). */
async function apiWritesDuring(page, f) {
  const seen = [];
  const on = (r) => { if (r.url().includes('/api/v1/') && r.method() !== 'GET') seen.push(`${r.method()} ${r.url()}`); };
  page.on('request', on);
  try {
    await f();
    await page.waitForTimeout(300);
  } finally {
    page.off('request', on);
  }
  return seen;
}

describe('procurement flow across roles', () => {
  test('1. hospital1 orders a winning product from the catalogue', T, async () => {
    const page = await as('hospital1');
    await page.getByTestId('bids-table').locator('tbody tr.ant-table-row').first().waitFor();
    assert.equal(await page.getByTestId('role').innerText(), '医疗机构采购员');
    assert.equal(await page.getByTestId('org-name').innerText(), '深圳市人民医院');
    await screenshot(page, 'hospital1-catalogue');

    await field(page, 'catalogue-search').fill('依折麦布');
    await field(page, 'catalogue-search').press('Enter');
    const row = page.getByTestId('bids-table').locator('tbody tr.ant-table-row', { hasText: '依折麦布片' }).first();
    await row.waitFor();
    await assert.doesNotReject(row.getByTestId('remaining').waitFor());
    await row.getByRole('button', { name: /下单/ }).click();

    await page.waitForURL(/\/hospital\/orders\/new\?bid=/);
    await page.getByTestId('line-packs-0').waitFor();
    // The supplier must be one of the bid's distributors: pick 国药控股深圳 (supplier1).
    await pick(page, page.getByTestId('order-supplier'), '国药控股深圳有限公司');
    await field(page, 'line-packs-0').fill('10');
    await page.getByTestId('line-units').filter({ hasText: '300 片' }).waitFor();
    assert.equal(await page.getByTestId('order-total').innerText(), '¥388.89');
    await screenshot(page, 'hospital1-new-order');
    await page.getByTestId('order-submit').click();

    await page.getByTestId('order-detail').waitFor();
    await screenshot(page, 'hospital1-order-detail');
    flow.orderId = page.url().split('/').pop();
    flow.orderNo = (await page.getByTestId('order-no').innerText()).trim();
    assert.match(flow.orderNo, /^PO-/);
    assert.equal(await page.getByTestId('order-status').innerText(), '待确认');
  });

  test('2. supplier1 confirms the order and ships it with a delivery note', T, async () => {
    assert.ok(flow.orderId, 'step 1 placed an order');
    const page = await as('supplier1');
    await page.getByTestId('orders-table').locator('tbody tr.ant-table-row').first().waitFor();
    await screenshot(page, 'supplier1-orders');

    await page.getByTestId('orders-table').getByText(flow.orderNo).click();
    const detail = page.getByTestId('order-detail');
    await detail.waitFor();
    await detail.getByTestId('order-confirm').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await detail.getByTestId('order-status').filter({ hasText: '已确认' }).waitFor();

    await detail.getByTestId('order-ship').click();
    await page.waitForURL(`**/orders/${flow.orderId}/ship`);
    const packs = field(page, 'ship-packs-0');
    assert.equal(await packs.inputValue(), '10');
    // More than is open is refused before sending.
    await packs.fill('11');
    const sent = await apiWritesDuring(page, () => page.getByTestId('delivery-submit').click());
    assert.deepEqual(sent, []);
    await page.getByTestId('delivery-invalid').waitFor();
    await packs.fill('10');
    await page.getByTestId('ship-lot-0').fill('E2611A');
    await typeDate(page, page.getByTestId('ship-production-0'), '2026-06-01');
    await typeDate(page, page.getByTestId('ship-expiry-0'), '2028-05-31');
    await screenshot(page, 'supplier1-delivery-note');
    await page.getByTestId('delivery-submit').click();

    await page.getByTestId('order-detail').getByTestId('order-status').filter({ hasText: '已发货' }).waitFor();
    await page.getByTestId('order-deliveries').getByText('E2611A').waitFor();
  });

  test('3. hospital1 accepts the delivery with part of the line rejected', T, async () => {
    assert.ok(flow.orderId, 'step 2 shipped');
    const page = await as('hospital1');
    await menu(page, '到货验收');
    const row = page.getByTestId('deliveries-table').locator('tbody tr.ant-table-row', { hasText: flow.orderNo });
    await row.getByTestId('delivery-accept').click();
    await page.getByTestId('acceptance-lines').waitFor();
    assert.match(await page.getByTestId('shipped-qty').first().innerText(), /10 盒（300 片）/);
    await page.getByTestId('acceptance-lines').getByText('E2611A').waitFor();

    await field(page, 'accepted-0').fill('270');
    await field(page, 'rejected-0').fill('30');
    await pick(page, page.getByTestId('reason-0'), '外包装破损');
    await page.getByTestId('check-0').filter({ hasText: '数量相符' }).waitFor();
    await page.getByTestId('received-by').fill('药库 张伟');
    await page.getByTestId('delivered-by').fill('配送员 刘洋');

    await page.getByTestId('save-draft').click();
    await page.getByTestId('delivery-status').filter({ hasText: '验收草稿' }).waitFor();
    assert.equal(await field(page, 'accepted-0').inputValue(), '270');

    await page.getByTestId('confirm-acceptance').click();
    // The due date the server will give the payable: acceptance + 30 days under the demo's rule.
    assert.equal(await page.getByTestId('confirm-due-date').innerText(), '2026-12-22');
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('acceptance-final').waitFor();
    await page.getByTestId('delivery-status').filter({ hasText: '已验收' }).waitFor();
    assert.equal(await page.getByTestId('accepted-amount').innerText(), '¥350.00');
    await screenshot(page, 'hospital1-acceptance');
  });

  test('4. supplier1 sees the payable with its due date on the payment-status page', T, async () => {
    assert.ok(flow.orderId, 'step 3 accepted');
    const page = await as('supplier1');
    await menu(page, '回款状态');
    await pick(page, page.getByTestId('sort'), '验收日期 ↓');
    const row = page.getByTestId('payables-table').locator('tbody tr.ant-table-row', { hasText: flow.orderNo });
    await row.waitFor();
    assert.equal(await row.getByTestId('due-date').innerText(), '2026-12-22');
    assert.equal(await row.getByTestId('amount').innerText(), '¥350.00');
    assert.equal(await row.getByTestId('countdown').innerText(), '30 天后到期');
    assert.match(await row.innerText(), /2026-11-22/);
    assert.equal(await row.getByTestId('payable-status').innerText(), '待企业开票');
    await screenshot(page, 'supplier1-payment-status');

    // Filtered by hospital (server-side), the export carries the current filter's rows only.
    await pick(page, page.getByTestId('filter-hospital'), '深圳市人民医院');
    await page.waitForURL(/hospital_id=/);
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="payables-table"] tbody tr.ant-table-row')];
      return rows.length > 0 && rows.every((r) => r.textContent.includes('深圳市人民医院'));
    });
    const rows = page.getByTestId('payables-table').locator('tbody tr.ant-table-row');
    await rows.filter({ hasText: flow.orderNo }).waitFor();
    for (const text of await rows.allInnerTexts()) assert.match(text, /深圳市人民医院/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const csv = readFileSync(path, 'utf8');
    assert.match(csv, /^\ufeff应付编号 payable_no,状态 status,阶段 stage,医疗机构 hospital,企业 supplier,订单 order_no/);
    // Statuses in words, the drug and quantity accepted, no batch yet, paid by the due date.
    assert.match(csv, new RegExp(`,待企业开票,待企业开票,深圳市人民医院,国药控股深圳有限公司,${flow.orderNo},[^,]+,依折麦布片 10 mg 270片（9盒）,,,,2026-12-22,350\\.00,0\\.00,350\\.00,2026-11-22,2026-12-22,30,0,`));
    const dataLines = csv.trim().split(/\r?\n/).slice(1);
    assert.ok(dataLines.length >= 1);
    for (const line of dataLines) assert.match(line, /,深圳市人民医院,/);
    // The same rows as a spreadsheet.
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-xlsx').click()]);
    assert.match(xlsx.suggestedFilename(), /^payables-2026-11-22\.xlsx$/);
    assert.equal(readFileSync(await xlsx.path()).subarray(0, 2).toString(), 'PK', 'an XLSX (zip) file');
  });
});

describe('settlement across roles: invoice, confirm, batch by two officers, pay', () => {
  test('5. supplier1 invoices the payable; a total that differs is refused before sending', T, async () => {
    assert.ok(flow.orderId, 'step 4 found the payable');
    const page = await as('supplier1');
    await page.goto(`${env.server.url}/supplier/payments?sort=acceptance_date_desc`);
    const row = page.getByTestId('payables-table').locator('tbody tr.ant-table-row', { hasText: flow.orderNo });
    await row.getByTestId('payable-next').click();
    await page.getByTestId('invoice-form').waitFor();
    flow.payableUrl = page.url();
    assert.equal(await page.getByTestId('payable-amount').innerText(), '¥350.00');

    await field(page, 'invoice-no-0').fill('44031001');
    await field(page, 'invoice-amount-0').fill('349.99');
    await field(page, 'invoice-tax-0').fill('40.26');
    await page.getByTestId('invoice-check').filter({ hasText: '差额 -¥0.01' }).waitFor();
    const sent = await apiWritesDuring(page, () => page.getByTestId('invoice-submit').click());
    assert.deepEqual(sent, [], 'nothing is sent while the invoices differ from the accepted amount');

    // Two invoices that add up to the fen.
    await field(page, 'invoice-amount-0').fill('300.00');
    await field(page, 'invoice-tax-0').fill('34.51');
    await page.getByText('再加一张发票').click();
    await field(page, 'invoice-no-1').fill('44031002');
    await field(page, 'invoice-amount-1').fill('50.00');
    await field(page, 'invoice-tax-1').fill('5.75');
    await page.getByTestId('invoice-check').filter({ hasText: '金额一致' }).waitFor();
    await page.getByTestId('invoice-submit').click();
    await page.getByTestId('payable-status').filter({ hasText: '待医院确认' }).waitFor();
    await page.getByTestId('invoices').getByText('44031002').waitFor();
    await screenshot(page, 'supplier1-invoiced');
  });

  test('6. hospital1 checks the invoices and confirms', T, async () => {
    assert.ok(flow.payableUrl, 'step 5 invoiced');
    const page = await as('hospital1');
    await menu(page, '结算应付');
    const row = page.getByTestId('payables-table').locator('tbody tr.ant-table-row', { hasText: flow.orderNo });
    await row.getByTestId('payable-next').click();
    await page.getByTestId('hospital-decision').waitFor();
    await page.getByTestId('invoices').getByText('44031001').waitFor();
    await screenshot(page, 'hospital1-payable-confirm');
    await page.getByTestId('confirm-payable').click();
    await page.getByTestId('confirm-payable-ok').click();
    await page.getByTestId('payable-status').filter({ hasText: '已确认待付' }).waitFor();
    assert.equal(await page.getByTestId('hospital-decision').count(), 0, 'decided once');
  });

  test('7. fund1 prepares a batch with the payable and cannot approve it', T, async () => {
    const page = await as('fund1');
    await menu(page, '支付批次');
    await page.getByTestId('batch-new').click();
    const row = page.getByTestId('eligible-table').locator('tbody tr.ant-table-row', { hasText: flow.orderNo });
    await row.locator('input[type=checkbox]').check();
    await page.getByText('¥350.00').first().waitFor();
    await page.getByTestId('batch-prepare').click();
    await page.getByTestId('batch-detail').waitFor();
    flow.batchUrl = page.url();
    await page.getByTestId('batch-status').filter({ hasText: '已制单待审批' }).waitFor();
    assert.equal(await page.getByTestId('batch-total').innerText(), '¥350.00');
    assert.match(await page.getByTestId('batch-maker').innerText(), /fund1/);
    assert.ok(await page.getByTestId('batch-approve').isDisabled(), 'the maker cannot approve');
    await page.getByTestId('maker-note').waitFor();
    await screenshot(page, 'fund1-batch-prepared');
  });

  test('8. fund2 approves the batch, downloads the bank file and records the payment', T, async () => {
    assert.ok(flow.batchUrl, 'step 7 prepared the batch');
    const page = await as('fund2');
    await page.goto(flow.batchUrl);
    await page.getByTestId('batch-approve').click();
    await page.getByTestId('batch-approve-ok').click();
    await page.getByTestId('batch-status').filter({ hasText: '已审批待执行' }).waitFor();
    assert.match(await page.getByTestId('batch-checker').innerText(), /fund2/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('bank-file').click()]);
    const { readFileSync } = await import('node:fs');
    const file = readFileSync(await download.path(), 'utf8');
    assert.match(file, /^\ufeff?batch_no,payable_no,payable_id,payee,bank_name,bank_account,amount_cny,due_date/);
    assert.match(file, /国药控股深圳有限公司.*,350\.00,2026-12-22/);

    await page.getByTestId('record-payment').click();
    await field(page, 'bank-reference-input').fill('BOC-E2E-0001');
    assert.equal(await field(page, 'payment-amount').inputValue(), '350.00');
    await page.getByTestId('payment-ok').click();
    await page.getByTestId('item-stage').filter({ hasText: '已支付' }).waitFor();
    await screenshot(page, 'fund2-batch-paid');
  });

  test('9. supplier1 sees the payable paid, with the date and bank reference', T, async () => {
    assert.ok(flow.batchUrl, 'step 8 paid');
    const page = await as('supplier1');
    await page.goto(`${env.server.url}/supplier/payments?sort=acceptance_date_desc`);
    const row = page.getByTestId('payables-table').locator('tbody tr.ant-table-row', { hasText: flow.orderNo });
    await row.getByTestId('payable-status').filter({ hasText: '已支付' }).waitFor();
    assert.equal(await row.getByTestId('countdown').innerText(), '已于 2026-11-22 支付');
    assert.equal(await row.getByTestId('list-bank-reference').innerText(), 'BOC-E2E-0001');
    await row.getByTestId('payable-link').click();
    assert.equal(await page.getByTestId('bank-reference').innerText(), 'BOC-E2E-0001');
    await screenshot(page, 'supplier1-paid');

    // An overdue payable says whose days they are (the demo's: never invoiced by supplier2).
    const s2 = await as('supplier2');
    await s2.goto(`${env.server.url}/supplier/payments?status=overdue`);
    const late = s2.getByTestId('payables-table').locator('tbody tr.ant-table-row').first();
    await late.getByTestId('payable-status').filter({ hasText: '已逾期' }).waitFor();
    assert.match(await late.getByTestId('delay').innerText(), /企业未开票 \d+ 天/);
  });
});

describe('the fund ledger and hospital statements', () => {
  test('fund1 reads balanced ledger balances and a hospital statement; hospital1 its prepayment', T, async () => {
    const f = await as('fund1');
    await menu(f, '基金账务');
    await f.getByTestId('ledger-balanced').filter({ hasText: '借贷平衡' }).waitFor();
    await f.getByTestId('ledger-table').getByText('深圳市人民医院').first().waitFor();
    // What is owed to suppliers is recognised when a payable arises: a credit balance, as an
    // accountant writes it, explained on the card; the fund's own account is a credit too.
    const owed = f.getByTestId('ledger-card-supplier_payable');
    assert.match(await owed.locator('.ant-statistic-content').innerText(), /^贷 ¥[\d,]+\.\d\d$/);
    assert.doesNotMatch(await owed.innerText(), /¥0\.00/);
    assert.match(await owed.innerText(), /回款列表中尚未支付的金额之和/);
    const fundRow = f.getByTestId('ledger-table').locator('tbody tr').filter({ hasText: '医保基金' }).first();
    assert.match(await fundRow.innerText(), /\t贷\t/);
    assert.doesNotMatch(await f.getByTestId('ledger-table').innerText(), /-¥|¥-/, 'no negative balances: the side says it');
    await screenshot(f, 'fund1-ledger');

    await menu(f, '医院对账单');
    await pick(f, f.getByTestId('statement-hospital'), '深圳市人民医院');
    await f.getByTestId('statement').waitFor();
    // This month's payment to supplier1 (step 8) is among the payments made on hospital1's behalf.
    const paid = await f.getByTestId('payments-on-behalf').innerText();
    assert.match(paid, /^¥[\d,]+\.\d\d$/);
    assert.ok(Number(paid.replace(/[¥,]/g, '')) >= 350, paid);
    await screenshot(f, 'fund1-statement');

    const h = await as('hospital1');
    await menu(h, '预付与对账');
    await h.getByTestId('statement').waitFor();
    assert.equal(await h.getByTestId('payments-on-behalf').innerText(), paid, 'the hospital reads the same statement');
    assert.match(await h.getByTestId('prepayment-balance').innerText(), /¥[\d,]+\.\d\d/);
    assert.equal(await h.getByTestId('statement-hospital').count(), 0, 'a hospital reads only its own');
    await screenshot(h, 'hospital1-statement');
  });
});

describe('guards and checks', () => {
  test('a wrong password is refused with the translated API error', T, async () => {
    const c = await env.browser.newContext();
    const page = await c.newPage();
    await page.goto(`${env.server.url}/hospital/orders`); // not signed in: sent to the login page
    await page.waitForURL('**/login');
    await page.locator('#username').fill('hospital1');
    await page.locator('#password').fill('wrong-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('error-alert').filter({ hasText: '用户名或密码错误' }).waitFor();
    assert.doesNotMatch(await page.getByTestId('error-alert').innerText(), /[A-Za-z]{3,}/, 'no English under the Chinese message');
    await screenshot(page, 'login');
    await c.close();
  });

  test('a hospital cannot open another hospital’s order by URL', T, async () => {
    assert.ok(flow.orderId, 'hospital1 placed an order');
    const page = await as('hospital2');
    await page.goto(`${env.server.url}/orders/${flow.orderId}`);
    await page.getByTestId('not-found').waitFor();
    assert.equal(await page.getByTestId('order-detail').count(), 0);
    // And hospital1 still can.
    const own = await as('hospital1');
    await own.goto(`${env.server.url}/orders/${flow.orderId}`);
    await own.getByTestId('order-detail').waitFor();
    // Nor its payable, nor can another supplier.
    assert.ok(flow.payableUrl, 'step 5 opened the payable');
    for (const user of ['hospital2', 'supplier2']) {
      const other = await as(user);
      await other.goto(flow.payableUrl);
      await other.getByTestId('not-found').waitFor();
      assert.equal(await other.getByTestId('payable-detail').count(), 0, user);
    }
  });

  test('the acceptance form refuses bad arithmetic before sending', T, async () => {
    const page = await as('hospital1');
    await page.goto(`${env.server.url}/hospital/deliveries?status=shipped`);
    await page.getByTestId('deliveries-table').getByTestId('delivery-accept').first().click();
    await page.getByTestId('acceptance-lines').waitFor();
    const shipped = Number((await page.getByTestId('shipped-qty').first().innerText()).match(/（([\d,]+)/)[1].replace(/,/g, ''));
    await field(page, 'accepted-0').fill(String(shipped - 10));
    await field(page, 'rejected-0').fill('5');
    await page.getByTestId('received-by').fill('药库 张伟');
    await page.getByTestId('delivered-by').fill('配送员 刘洋');
    await page.getByTestId('check-0').filter({ hasText: `≠ 发货 ${shipped}` }).waitFor();

    const sent = await apiWritesDuring(page, async () => {
      await page.getByTestId('confirm-acceptance').click();
      await page.getByTestId('save-draft').click();
    });
    assert.deepEqual(sent, [], 'nothing is sent while accepted + rejected ≠ shipped');
    await page.getByTestId('acceptance-invalid').waitFor();
    assert.match(await page.getByTestId('acceptance-invalid').innerText(), new RegExp(`验收 ${shipped - 10} \\+ 拒收 5 ≠ 发货 ${shipped}`));
    assert.equal(await page.locator('.ant-modal:visible').count(), 0, 'no confirmation dialog');
    await screenshot(page, 'hospital1-acceptance-refused');

    // A rejection without a reason is refused too.
    await field(page, 'accepted-0').fill(String(shipped - 5));
    await page.getByTestId('check-0').filter({ hasText: '拒收时必须选择原因' }).waitFor();
    const sent2 = await apiWritesDuring(page, () => page.getByTestId('save-draft').click());
    assert.deepEqual(sent2, []);
  });

  test('the language switch turns the interface to English and back', T, async () => {
    const page = await as('hospital1');
    await page.goto(`${env.server.url}/hospital/catalogue`);
    await page.getByTestId('menu').getByText('可采购目录').waitFor();
    await page.getByTestId('lang-switch').click();
    await page.getByTestId('menu').getByText('Catalogue', { exact: true }).waitFor();
    assert.equal(await page.getByTestId('role').innerText(), 'Hospital buyer');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.reload();
    await page.getByTestId('menu').getByText('Payables', { exact: true }).waitFor();
    await screenshot(page, 'hospital1-catalogue-en');
    await page.getByTestId('lang-switch').click();
    await page.getByTestId('menu').getByText('结算应付', { exact: true }).waitFor();
    assert.equal(await page.getByTestId('role').innerText(), '医疗机构采购员');
  });

  test('each role sees only its own menu', T, async () => {
    const expected = {
      hospital1: ['可采购目录', '新建订单', '我的订单', '到货验收', '结算应付', '约定量进度', '预付与对账', '结余留用', '招标采购', '信用评价'],
      supplier1: ['订单处理', '送货单', '回款状态', '招标采购', '信用评价', '支付标准'],
      bureau1: ['监测看板', '执行监测', '招标采购', '信用评价', '集采批次', '产品目录', '中选结果', '约定采购量', '挂网非中选', '支付标准', '订单', '结算应付', '支付批次', '结余留用', '定时任务', '信息公开', '审计日志', '用户管理'],
      fund1: ['辖区应付', '支付批次', '基金账务', '支付标准', '医院对账单', '结余留用', '信用评价', '定时任务'],
    };
    for (const [user, items] of Object.entries(expected)) {
      const page = await as(user);
      const texts = (await page.getByTestId('menu').locator('.ant-menu-item').allInnerTexts()).map((s) => s.trim());
      assert.deepEqual(texts, items, user);
    }
    // A supplier opening a bureau screen by URL gets "not found", not the screen.
    const s = await as('supplier1');
    await s.goto(`${env.server.url}/bureau/audit`);
    await s.getByTestId('not-found').waitFor();
  });

  test('bureau and fund main pages render; the bureau loads products by form and by JSON', T, async () => {
    const b = await as('bureau1');
    await b.goto(`${env.server.url}/bureau/dashboard`);
    await b.getByTestId('chart-orders').locator('canvas').waitFor();
    await b.getByTestId('chart-due').locator('canvas').waitFor(); // its screenshot: e2e/bureau.test.mjs

    await menu(b, '产品目录');
    await b.getByTestId('create-open').click();
    const form = b.getByTestId('create-form');
    await form.locator('#code').fill('XA10BAE021A010010201650');
    await form.locator('#generic_name').fill('盐酸二甲双胍片');
    await form.locator('#dosage_form').fill('片剂');
    await form.locator('#specification').fill('0.5 g');
    await form.locator('#pack_size').fill('20');
    await form.locator('#min_unit').fill('片');
    await b.getByTestId('create-submit').click();
    await b.getByTestId('products-table').getByText('XA10BAE021A010010201650').waitFor();

    await b.getByTestId('create-open').click();
    await b.getByRole('tab', { name: '粘贴 JSON 数组批量新建' }).click();
    await b.getByTestId('bulk-json').fill(JSON.stringify([
      { code: 'XA10BAE021A010010201651', generic_name: '盐酸二甲双胍缓释片', dosage_form: '片剂', specification: '0.5 g', pack_size: 30, min_unit: '片' },
      { code: 'C0101010010100103941', generic_name: '冠脉支架', dosage_form: '支架', specification: '3.0×18 mm', pack_size: 1, min_unit: '个' },
    ]));
    await b.getByTestId('create-submit').click();
    await b.getByTestId('products-table').getByText('C0101010010100103941').waitFor();
    // A malformed code is refused by the API and its message is shown.
    await b.getByTestId('create-open').click();
    await b.getByRole('tab', { name: '粘贴 JSON 数组批量新建' }).click();
    await b.getByTestId('bulk-json').fill('[{"code":"BAD","generic_name":"x","dosage_form":"x","specification":"x","pack_size":1,"min_unit":"x"}]');
    await b.getByTestId('create-submit').click();
    await b.locator('.ant-modal').getByTestId('error-alert').filter({ hasText: '医保编码格式不正确' }).waitFor();
    await b.keyboard.press('Escape');

    // Import from an Excel workbook with the bureau's Chinese headers: the server's preview lists
    // the bad cell by row and column; the fixed file imports.
    await b.getByTestId('create-open').click();
    await b.getByRole('tab', { name: '导入 Excel / CSV' }).click();
    const header = ['医保编码', '通用名', '剂型', '规格', '包装', '最小单位', '一致性评价'];
    const workbook = (pack) => ({ name: '产品目录.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      buffer: xlsx([header, ['XA10BAE021A010010201652', '盐酸二甲双胍肠溶片', '片剂', '0.25 g', pack, '片', '通过']]) });
    const upload = b.getByTestId('sheet-import').locator('input[type=file]');
    await upload.setInputFiles(workbook('four'));
    const problems = b.getByTestId('import-errors');
    await problems.locator('tbody tr.ant-table-row').filter({ hasText: '包装' }).filter({ hasText: '包装应以每盒的最小单位数开头' }).waitFor();
    assert.match(await problems.locator('tbody tr.ant-table-row').first().innerText(), /^2\t包装\t/);
    assert.equal(await b.getByTestId('import-commit').isDisabled(), true, 'a sheet with problems does not import');
    // The earlier steps' toasts would cover the preview in the picture (README).
    await b.evaluate(() => document.querySelectorAll('.ant-message').forEach((n) => n.remove()));
    await b.getByRole('dialog').filter({ has: b.getByTestId('sheet-import') }).screenshot({ path: `${artifactsDir}/bureau1-import-preview.png` });
    await upload.setInputFiles(workbook('48片/盒'));
    await b.getByTestId('import-summary').filter({ hasText: '共 1 行，全部可以导入' }).waitFor();
    await b.getByTestId('import-commit').click();
    await b.getByTestId('products-table').getByText('XA10BAE021A010010201652').waitFor();

    await menu(b, '审计日志');
    const audit = b.getByTestId('audit-table').locator('tbody tr.ant-table-row');
    await audit.first().waitFor();
    // Read by the order's number, typed in lower case: that order's events, in words, each
    // named by its number; who acted is named; a status change reads as a difference.
    await b.getByTestId('audit-document-no').fill(flow.orderNo.toLowerCase());
    await b.getByTestId('audit-search').click();
    await b.waitForFunction((no) => {
      const docs = [...document.querySelectorAll('[data-testid="audit-table"] [data-testid="audit-document"]')];
      return docs.length > 0 && docs.every((d) => d.textContent === no);
    }, flow.orderNo);
    const acts = await b.getByTestId('audit-action').allInnerTexts();
    assert.ok(acts.includes('创建') && acts.includes('确认') && acts.includes('状态变更'), acts.join(','));
    assert.ok(!acts.some((a) => /^[a-z_]+$/.test(a)), `no raw codes: ${acts}`);
    assert.ok((await b.getByTestId('audit-actor').allInnerTexts()).some((a) => a.endsWith('(supplier1)')));
    const change = audit.filter({ hasText: '状态变更' }).first();
    assert.match(await change.getByTestId('audit-summary').innerText(), /状态：.+ → .+/);
    await change.locator('.ant-table-row-expand-icon').click();
    await b.getByTestId('audit-diff').first().getByText('变更前').waitFor();
    await screenshot(b, 'bureau1-audit');
    // By a user's name, in part.
    await b.getByTestId('audit-document-no').fill('');
    await b.getByTestId('audit-actor-filter').fill('supplier1');
    await b.getByTestId('audit-search').click();
    await b.waitForFunction(() => {
      const actors = [...document.querySelectorAll('[data-testid="audit-table"] [data-testid="audit-actor"]')];
      return actors.length > 0 && actors.every((a) => a.textContent.includes('(supplier1'));
    });

    const f = await as('fund1');
    await f.goto(`${env.server.url}/`); // the fund's landing page
    await f.getByTestId('payables-table').locator('tbody tr.ant-table-row').first().waitFor();
    assert.equal(await f.getByTestId('payables-table').locator('.ant-btn').count(), 0, 'read-only');
    await screenshot(f, 'fund1-payables');
  });

  test('the interactive API docs render offline from the server’s OpenAPI document', T, async () => {
    const page = await as('supplier1');
    await page.goto(`${env.server.url}/api/docs`);
    await page.locator('.swagger-ui').getByText('/api/v1/auth/login', { exact: true }).first().waitFor();
    // Swagger UI renders the operations near the viewport only: scroll down to the payables.
    const payables = page.locator('.swagger-ui').getByText('/api/v1/payables', { exact: true }).first();
    for (let i = 0; i < 60 && !(await payables.count()); i++) {
      await page.mouse.wheel(0, 1200);
      await page.waitForTimeout(100);
    }
    await payables.waitFor();
    await page.locator('.swagger-ui .title').getByText(/Jicai/).waitFor();
    assert.deepEqual(page.jsErrors, [], 'the docs run under the Content-Security-Policy');
  });

  test('hashed assets are cached for good, the page is revalidated, and app routes fall back to it', T, async () => {
    const page = await fetch(env.server.url + '/');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    // Served with security headers the app passes (every tab of these tests records a refusal).
    assert.match(page.headers.get('content-security-policy'), /script-src 'self';.*frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const asset = (await page.text()).match(/src="(\/assets\/[^"]+\.js)"/)[1];
    const a = await fetch(env.server.url + asset);
    assert.equal(a.status, 200);
    assert.equal(a.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await fetch(env.server.url + '/assets/missing.js')).status, 404, 'a missing asset is not the app');
    const route = await fetch(env.server.url + '/hospital/orders');
    assert.equal(route.status, 200);
    assert.match(await route.text(), /<div id="root"><\/div>/);
  });

  test('no page threw a JavaScript error', () => {
    for (const [user, page] of Object.entries(as.pages)) assert.deepEqual(page.jsErrors.map(String), [], user);
  });
});
