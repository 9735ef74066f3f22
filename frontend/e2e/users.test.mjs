// End-to-end: user administration and sessions, in a real browser against a real server with the
// demo. An officer switches a hospital buyer off while the buyer's tab is open: the buyer's next
// click lands on the login page with the reason. Two tabs of one browser follow each other: a
// sign-out in one returns the other to the login page, a sign-in as another user reloads it as
// that user. A user changes their own password (a mismatch refused first). A wrong password in
// Chinese reads only Chinese.
//   node --test --test-concurrency=1 e2e/users.test.mjs   (after `npm run build`)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loginAs, PASSWORD, screenshot, serverAndBrowser, users } from './harness.mjs';

const T = { timeout: 180_000 };
const env = serverAndBrowser();
const as = users(() => env.browser, () => env.server.url);

async function usersRow(page, username) {
  await page.getByTestId('user-search').locator('input').fill(username);
  await page.keyboard.press('Enter');
  const row = page.getByTestId('users-table').locator('tbody tr.ant-table-row', { hasText: username }).first();
  await row.waitFor();
  return row;
}

describe('users and sessions', () => {
  test('an officer switches a user off: the user’s open tab returns to the login page on its next click', T, async () => {
    const buyer = await as('hospital5');
    await buyer.goto(env.server.url + '/hospital/orders');
    await buyer.getByTestId('org-name').waitFor();

    const officer = await as('bureau1');
    await officer.goto(env.server.url + '/users');
    const row = await usersRow(officer, 'hospital5');
    assert.match(await row.innerText(), /启用/);
    await officer.getByTestId('deactivate-hospital5').click();
    await officer.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await officer.locator('.ant-message').getByText('用户已停用').waitFor();
    await row.getByText('已停用').waitFor();
    await screenshot(officer, 'users-01-switched-off');

    // The buyer's tab, untouched since: the next click is refused and lands on the login page.
    await buyer.getByTestId('menu').getByText('到货验收', { exact: true }).click();
    await buyer.waitForURL('**/login');
    await buyer.getByTestId('session-ended').getByText('您的账号已被停用，请联系管理员').waitFor();
    await screenshot(buyer, 'users-02-buyer-signed-out');
    // And signing in again is refused.
    await buyer.locator('#username').fill('hospital5');
    await buyer.locator('#password').fill(PASSWORD);
    await buyer.getByTestId('login-submit').click();
    await buyer.getByTestId('error-alert').filter({ hasText: '用户名或密码错误' }).waitFor();

    // Switched on again, the buyer signs in.
    await officer.getByTestId('activate-hospital5').click();
    await officer.locator('.ant-message').getByText('用户已启用').waitFor();
    await buyer.getByTestId('login-submit').click();
    await buyer.getByTestId('org-name').waitFor();
  });

  test('two tabs follow each other: sign-out, then sign-in as another user', T, async () => {
    const context = await env.browser.newContext();
    const first = await loginAs(context, env.server.url, 'supplier1');
    const second = await context.newPage();
    await second.goto(env.server.url + '/supplier/payments');
    const firstOrg = await second.getByTestId('org-name').innerText();
    await first.getByTestId('logout').click();
    await first.waitForURL('**/login');
    // The other tab returns to the login page by itself.
    await second.waitForURL('**/login');
    await second.locator('#username').waitFor();
    // A sign-in as supplier2 in the first tab reaches the second as supplier2.
    await first.locator('#username').fill('supplier2');
    await first.locator('#password').fill(PASSWORD);
    await first.getByTestId('login-submit').click();
    await first.getByTestId('org-name').waitFor();
    const secondOrg = await first.getByTestId('org-name').innerText();
    assert.notEqual(secondOrg, firstOrg);
    await second.getByTestId('org-name').filter({ hasText: secondOrg }).waitFor();
    await screenshot(second, 'users-03-second-tab-follows');
    await context.close();
  });

  test('a user changes their own password; a wrong password reads only Chinese', T, async () => {
    const context = await env.browser.newContext();
    const page = await loginAs(context, env.server.url, 'hospital6');
    await page.getByTestId('change-password').click();
    const form = page.getByTestId('own-password-form');
    await form.locator('input').nth(0).fill(PASSWORD);
    await form.locator('input').nth(1).fill('a-new-password');
    await form.locator('input').nth(2).fill('another-password');
    await page.locator('.ant-modal').getByRole('button', { name: /确\s*定|OK/ }).click();
    await page.locator('.ant-form-item-explain-error:not(.ant-form-show-help-item-leave)', { hasText: '两次输入的新密码不一致' }).waitFor();
    await form.locator('input').nth(2).fill('a-new-password');
    await page.locator('.ant-modal').getByRole('button', { name: /确\s*定|OK/ }).click();
    await page.locator('.ant-message').getByText('密码已修改').waitFor();
    // This tab goes on with its new session.
    await page.getByTestId('menu').getByText('我的订单', { exact: true }).click();
    await page.getByTestId('org-name').waitFor();
    assert.ok(!page.url().endsWith('/login'));

    await page.getByTestId('logout').click();
    await page.waitForURL('**/login');
    await page.locator('#username').fill('hospital6');
    await page.locator('#password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    const alert = page.getByTestId('error-alert');
    await alert.filter({ hasText: '用户名或密码错误' }).waitFor();
    assert.doesNotMatch(await alert.innerText(), /[A-Za-z]{3,}/, 'no English under the Chinese message');
    await screenshot(page, 'users-04-wrong-password-chinese');
    await page.locator('#password').fill('a-new-password');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('org-name').waitFor();
    await context.close();
    for (const p of Object.values(as.pages)) assert.deepEqual(p.jsErrors, []);
  });
});
