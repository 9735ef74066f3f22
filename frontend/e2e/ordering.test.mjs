// End-to-end: safe ordering, as a hospital buyer types it. Bad numbers are refused with a message
// and never corrected; a line beyond the remaining agreed volume shows the quantity and amount
// above it and needs an explicit confirmation; an absurd line (9,999,999 boxes) is refused by
// the server with the region's limit, in Chinese.
//   node --test --test-concurrency=1 e2e/ordering.test.mjs   (after `npm run build`)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { field, PASSWORD, screenshot, serverAndBrowser, settled, users } from './harness.mjs';

const T = { timeout: 180_000 };
const env = serverAndBrowser();
const as = users(() => env.browser, () => env.server.url);
const GENERIC = '依巴斯汀片';

async function apiGet(user, path) {
  const login = await fetch(env.server.url + '/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password: PASSWORD }),
  });
  const { token } = await login.json();
  return (await fetch(env.server.url + path, { headers: { Authorization: `Bearer ${token}` } })).json();
}

async function newOrderFor(page) {
  await page.goto(env.server.url + '/hospital/catalogue');
  await field(page, 'catalogue-search').fill(GENERIC);
  await field(page, 'catalogue-search').press('Enter');
  const row = page.getByTestId('bids-table').locator('tbody tr.ant-table-row', { hasText: GENERIC }).first();
  await row.waitFor();
  await row.getByRole('button', { name: /下单/ }).click();
  await page.waitForURL(/\/hospital\/orders\/new\?bid=/);
  await page.getByTestId('line-packs-0').waitFor();
}

describe('safe ordering', () => {
  test('bad numbers are refused with a message, never corrected', T, async () => {
    const page = await as('hospital2');
    await newOrderFor(page);
    for (const typed of ['-5', '12.7', 'xyz']) {
      await field(page, 'line-packs-0').fill(typed);
      await page.getByTestId('line-error').filter({ hasText: `“${typed}”不是有效的盒数` }).waitFor();
      assert.equal(await field(page, 'line-packs-0').inputValue(), typed, 'the value stays as typed');
    }
    await page.getByTestId('order-submit').click();
    await page.getByTestId('order-invalid').waitFor();
    assert.ok(page.url().includes('/hospital/orders/new'), 'nothing was sent');
    await screenshot(page, 'ordering-01-bad-number');
  });

  test('beyond the agreed volume: the quantity and amount above it, and an explicit confirmation', T, async () => {
    const page = await as('hospital2');
    await newOrderFor(page);
    const bids = await apiGet('hospital2', `/api/v1/winning-bids?q=${encodeURIComponent(GENERIC)}`);
    const bid = bids.items[0];
    const volume = (await apiGet('hospital2', `/api/v1/agreed-volumes?winning_bid_id=${bid.id}`)).items[0];
    const packs = Math.floor(volume.remaining_qty / bid.product.pack_size) + 5;
    await field(page, 'line-packs-0').fill(String(packs));
    await page.getByTestId('order-submit').click();
    const confirm = page.getByTestId('above-volume-confirm');
    await settled(confirm);
    assert.match(await confirm.innerText(), new RegExp(`${GENERIC}.*超量 [\\d,]+ 片，金额 ¥[\\d,]+\\.\\d\\d`));
    await screenshot(page, 'ordering-02-above-volume-confirm');
    // Back to the order: nothing is sent.
    await page.getByRole('button', { name: '返回修改' }).click();
    await confirm.waitFor({ state: 'hidden' });
    assert.ok(page.url().includes('/hospital/orders/new'));
    // Confirmed: the order is placed.
    await page.getByTestId('order-submit').click();
    await settled(page.getByTestId('above-volume-ok'));
    await page.getByTestId('above-volume-ok').click();
    await page.getByTestId('order-detail').waitFor();
  });

  test('an absurd line is refused by the server with the region’s limit', T, async () => {
    const page = await as('hospital2');
    await newOrderFor(page);
    await field(page, 'line-packs-0').fill('9999999');
    await page.getByTestId('order-submit').click();
    await settled(page.getByTestId('above-volume-ok'));
    await page.getByTestId('above-volume-ok').click();
    const refusal = page.getByTestId('error-alert');
    await refusal.getByText(/第 1 行数量超过单次订购上限（[\d,]+ 片，约 \d+ 盒）/).waitFor();
    assert.ok(page.url().includes('/hospital/orders/new'), 'no order was created');
    await page.getByTestId('above-volume-confirm').waitFor({ state: 'detached' });
    await screenshot(page, 'ordering-03-absurd-refused');
    for (const p of Object.values(as.pages)) assert.deepEqual(p.jsErrors, []);
  });
});
