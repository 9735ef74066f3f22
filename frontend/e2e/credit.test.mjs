// End-to-end: credit rating across roles in a real browser against a real server with the demo.
// An officer records a case (bad input first) and grades it; he cannot approve his own grade; a
// second officer approves it; a hospital sees the risk flag beside the product; the enterprise's
// next bid is refused with the case named; the enterprise submits its repair evidence; the officer
// accepts it and the restriction lifts: no flag, and the bid goes through.
//   node --test --test-concurrency=1 e2e/credit.test.mjs   (after `npm run build`)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { field, pick, screenshot, serverAndBrowser, users } from './harness.mjs';

const T = { timeout: 180_000 };
const env = serverAndBrowser();
const as = users(() => env.browser, () => env.server.url);

/** Signs in over the API and GETs `path` as `user` (to learn what the test needs, not to act). */
async function apiGet(user, path) {
  const login = await fetch(env.server.url + '/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password: 'jicai-demo' }),
  });
  const { token } = await login.json();
  const r = await fetch(env.server.url + path, { headers: { Authorization: `Bearer ${token}` } });
  return r.json();
}

async function openTender(page, name) {
  await page.goto(env.server.url + '/tenders');
  await page.getByTestId('tenders-table').getByText(name).first().waitFor();
  await page.getByTestId('tenders-table').locator('tr', { hasText: name }).getByTestId('tender-link').click();
  await page.getByTestId('tender-steps').waitFor();
  await page.getByRole('tab', { name: '资格与投标' }).click();
}

async function catalogueRow(page, generic) {
  await page.goto(env.server.url + '/hospital/catalogue');
  await page.getByTestId('catalogue-search').locator('input').fill(generic);
  await page.keyboard.press('Enter');
  const row = page.locator('tr', { hasText: generic }).first();
  await row.waitFor();
  return row;
}

/** The bureau publishes a new version of the credit ratings from its disclosure page. */
async function publishCredit(page) {
  await page.goto(env.server.url + '/bureau/publications');
  const button = page.getByTestId('publish-credit_ratings');
  await button.click();
  await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
  await page.locator('.ant-message').getByText('已发布').or(page.getByTestId('publish-table').getByText(/版本 [2-9]/)).first().waitFor();
}

/** The public credit page in a fresh, signed-out tab. */
async function publicCredit() {
  const context = await env.browser.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(env.server.url + '/public/440300/credit_ratings');
  await page.getByTestId('public-ratings').waitFor();
  return page;
}

describe('credit rating', () => {
  let caseNo;
  let caseUrl;
  let generic;
  let enterprise;

  test('an officer records and grades a case; a second officer approves it', T, async () => {
    const bids = await apiGet('supplier3', '/api/v1/winning-bids');
    generic = bids.items[0].product.generic_name;
    enterprise = bids.items[0].enterprise_name;
    const page = await as('bureau1');
    await page.goto(env.server.url + '/credit');
    // The demo's case waiting for a second officer is on the list.
    await page.getByTestId('cases-table').locator('[data-status="pending_approval"]').first().waitFor();
    await page.getByTestId('case-create').click();
    await field(page, 'case-doc').waitFor();
    for (let attempt = 1; ; attempt++) {
      await page.getByTestId('case-submit').click();
      try {
        await page.locator('.ant-form-item-explain-error').first().waitFor({ timeout: 5000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    await field(page, 'case-doc').fill('（2026）粤0304刑初120号');
    await field(page, 'case-date').click();
    await field(page, 'case-date').fill('2026-11-10');
    await field(page, 'case-date').press('Enter');
    await pick(page, page.getByTestId('case-conduct'), '商业贿赂');
    await field(page, 'case-amount').fill('一百万');
    await field(page, 'case-summary').fill('向医疗机构人员给予回扣，判决认定金额100万元');
    await pick(page, page.getByTestId('case-enterprise'), enterprise);
    await page.getByTestId('case-submit').click();
    await page.locator('.ant-form-item-explain-error:not(.ant-form-show-help-item-leave)', { hasText: '请输入大于 0 的数字' }).waitFor();
    await field(page, 'case-amount').fill('1000000.00');
    await page.getByTestId('case-submit').click();
    await page.getByTestId('case-why').waitFor();
    caseUrl = page.url();
    const why = await page.getByTestId('case-why').innerText();
    assert.match(why, /1,000,000\.00/, why);
    assert.match(why, /特别严重失信/, why);
    // The grade the rules suggest is preselected; the reason is required.
    await page.getByTestId('decide-submit').click();
    await page.locator('.ant-form-item-explain-error').first().waitFor();
    await field(page, 'decide-reason').fill('涉案金额达100万元，属特别严重失信');
    await page.getByTestId('decide-submit').click();
    await page.locator('[data-testid="case-status"][data-status="pending_approval"]').waitFor();
    // The grading officer cannot approve his own grade.
    await page.getByTestId('approve').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await page.getByTestId('error-alert').getByText('评级须由另一名经办人复核后生效').waitFor();
    await screenshot(page, 'credit-01-own-approval-refused');

    const second = await as('bureau2');
    await second.goto(caseUrl);
    await second.getByTestId('approve').click();
    await second.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await second.locator('[data-testid="case-status"][data-status="in_force"]').waitFor();
    await second.getByTestId('case-measures').getByText('暂停全部产品投标、挂网').waitFor();
    assert.equal(await second.getByTestId('case-grade').innerText(), '特别严重失信');
    await screenshot(second, 'credit-02-in-force');
    caseNo = (await second.locator('h1, h2, h3, h4').filter({ hasText: 'CC-' }).first().innerText()).match(/CC-[\w-]+/)[0];
    // The officer publishes the ratings; the public site, without sign-in, shows this one.
    await publishCredit(page);
    const pub = await publicCredit();
    await pub.getByTestId('public-ratings').locator('tr', { hasText: caseNo }).getByText('特别严重失信').waitFor();
    await screenshot(pub, 'credit-07-public-rating');
  });

  test('a hospital sees the risk flag; the enterprise\'s next bid is refused with the reason', T, async () => {
    const hospital = await as('hospital1');
    const row = await catalogueRow(hospital, generic);
    await row.getByTestId('risk-flag').getByText('特别严重失信').waitFor();
    // Its listing is suspended: no order button, the reason instead.
    await row.getByTestId('credit-blocked').waitFor();
    await screenshot(hospital, 'credit-03-risk-flag');

    const maker = await as('supplier3');
    await openTender(maker, '投标中');
    await field(maker, 'bid-price').fill('3.60');
    await maker.getByTestId('bid-submit').click();
    const refusal = maker.getByTestId('error-alert');
    await refusal.getByText(/因信用评价“特别严重失信”（CC-.*）暂停投标/).waitFor();
    await screenshot(maker, 'credit-04-bid-refused');
  });

  test('the enterprise repairs, the officer accepts, and the restriction lifts', T, async () => {
    const maker = await as('supplier3');
    await maker.goto(caseUrl);
    const card = maker.getByTestId('repair-card');
    await card.waitFor();
    // A winning price counts as having removed the inflated price.
    await card.getByText('已中选集采，视为已纠正虚高价格').waitFor({ timeout: 5000 }).catch(() => {});
    const measures = ['stop_conduct', 'discipline_staff', 'public_apology', 'compliance_report', 'remove_inflated_price', 'return_gains'];
    for (const m of measures) {
      const input = maker.getByTestId(`evidence-${m}`);
      if (!(await input.count())) continue;
      await input.fill(`整改证明：${m}，见附件`);
      await maker.getByTestId(`submit-${m}`).click();
      await maker.getByTestId(`evidence-${m}`).waitFor({ state: 'detached' });
    }
    await screenshot(maker, 'credit-05-evidence-submitted');

    const bureau = await as('bureau1');
    await bureau.goto(caseUrl);
    await bureau.getByTestId('accept-stop_conduct').waitFor();
    for (const m of measures) {
      const accept = bureau.getByTestId(`accept-${m}`);
      if (!(await accept.count())) continue;
      await accept.click();
      await accept.waitFor({ state: 'detached' });
    }
    await bureau.locator('[data-testid="case-status"][data-status="repaired"]').waitFor();
    await screenshot(bureau, 'credit-06-repaired');
    // Published again: the public site shows the repair.
    await publishCredit(bureau);
    const pub = await publicCredit();
    await pub.getByTestId('public-ratings').locator('tr', { hasText: caseNo }).getByTestId('public-repaired').waitFor();
    await screenshot(pub, 'credit-08-public-repaired');

    const hospital = await as('hospital1');
    const row = await catalogueRow(hospital, generic);
    assert.equal(await row.getByTestId('risk-flag').count(), 0, 'no flag once repaired');
    assert.equal(await row.getByTestId('credit-blocked').count(), 0, 'orderable again');
    await openTender(maker, '投标中');
    await field(maker, 'bid-price').fill('3.60');
    await maker.getByTestId('bid-submit').click();
    await maker.getByTestId('bid-receipt').waitFor();
    for (const page of Object.values(as.pages)) assert.deepEqual(page.jsErrors, [], 'no JavaScript errors');
  });
});
