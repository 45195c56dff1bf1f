import { test, expect } from '@playwright/test';
import { authAdmin, authPort } from '../playwright.config';

// Against the second server, where every page needs a login (PROTECTION_LEVEL=ALL).
const base = `http://127.0.0.1:${authPort}`;

test('a page asked for before login opens after it; logout ends the session', async ({ page }) => {
  await page.goto(`${base}/experiments?query=sea`);
  await expect(page).toHaveURL(/\/login\?next=%2Fexperiments%3Fquery%3Dsea$/);
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();

  await page.getByLabel('Name').fill(authAdmin.name);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong name or password.');
  await expect(page.getByLabel('Name')).toHaveValue(authAdmin.name);
  await expect(page.getByLabel('Password')).toHaveValue('');

  await page.getByLabel('Password').fill(authAdmin.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(`${base}/experiments?query=sea`);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const account = page.locator('hc-account');
  await expect(account).toContainText(`${authAdmin.name} (admin)`);
  await page.screenshot({ path: 'test-results/screens/logged-in.png' });

  // The account page: a token is shown once, listed, and revoked; a wrong current password
  // changes nothing.
  await account.getByRole('link', { name: `${authAdmin.name} (admin)` }).click();
  await expect(page).toHaveURL(`${base}/account`);
  await page.getByLabel('What it is for').fill('my laptop');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.locator('#new-token code').textContent()) ?? '';
  expect(secret).toMatch(/^hct_[0-9a-f]{64}$/);
  await expect(page.locator('#tokens')).toContainText('my laptop');
  const viaToken = await page.request.get(`${base}/v4/auth/verify-token`, { headers: { authorization: `Bearer ${secret}` } });
  expect(await viaToken.json()).toEqual({ authenticated: true, user: authAdmin.name });
  await page.screenshot({ path: 'test-results/screens/account.png', fullPage: true });
  await page.locator('#tokens').getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('status')).toHaveText('The token was revoked.');
  await expect(page.locator('#tokens')).toHaveCount(0);
  await page.getByLabel('Current password').fill('not it at all');
  await page.getByLabel('New password (at least 10 characters)').fill('a brand new password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert')).toHaveText('current_password: is not your current password');
  await page.goto(`${base}/experiments`);

  await account.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(`${base}/login`);
  await page.goto(`${base}/experiments`);
  await expect(page).toHaveURL(/\/login\?next=%2Fexperiments$/);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the login form is a plain form', async ({ page }) => {
    await page.goto(`${base}/experiments/new`);
    await page.screenshot({ path: 'test-results/screens/login.png' });
    await page.getByLabel('Name').fill(authAdmin.name);
    await page.getByLabel('Password').fill(authAdmin.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(`${base}/experiments/new`);
    await expect(page.getByRole('button', { name: 'Create experiment' })).toBeVisible();
  });
});

async function logIn(page, name: string, password: string) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(`${base}/`);
}

test('an admin adds an account, the owner shares an experiment, the collaborator acts and cannot share', async ({ page }) => {
  const otto = { name: `otto${Date.now() % 100000}`, password: 'otto correct horse' };
  await logIn(page, authAdmin.name, authAdmin.password);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.locator('hc-account').getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(page).toHaveURL(`${base}/admin`);
  await page.locator('#add-user').getByLabel('Name').fill(otto.name);
  await page.locator('#add-user').getByLabel('Role').selectOption('operator');
  await page.locator('#add-user').getByLabel(/^Password/).fill(otto.password);
  await page.getByRole('button', { name: 'Add account' }).click();
  await expect(page.getByRole('status')).toHaveText('The account was added.');
  await expect(page.locator('#users')).toContainText(otto.name);
  await page.screenshot({ path: 'test-results/screens/admin.png', fullPage: true });

  // The admin owns a new experiment and lets otto act on it; a missing account is refused.
  const created = await page.request.post(`${base}/v4/experiments`, { data: { description: 'shared in e2e' } });
  expect(created.status()).toBe(201);
  const expid = (await created.json()).name;
  await page.goto(`${base}/experiments/${expid}`);
  await page.getByRole('link', { name: 'Access' }).click();
  await expect(page).toHaveURL(`${base}/experiments/${expid}/access`);
  await expect(page.locator('#owner')).toHaveText(authAdmin.name);
  await page.getByLabel(/^Add a collaborator/).fill('ghost');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('user: There is no account named ghost.');
  await page.getByLabel(/^Add a collaborator/).fill(otto.name);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText('The collaborator was added.');
  await expect(page.locator('#collaborators')).toContainText(otto.name);
  await expect(page.locator('#audit')).toContainText('collaborator.add');
  await page.screenshot({ path: 'test-results/screens/access.png', fullPage: true });

  await page.goto(`${base}/admin/audit?action=user.add`);
  await expect(page.locator('#audit')).toContainText(otto.name);
  await page.locator('hc-account').getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(`${base}/login`);

  // otto changes the experiment, but sees no sharing form and may not give it away.
  await logIn(page, otto.name, otto.password);
  const described = await page.request.patch(`${base}/v4/experiments/${expid}`, { data: { description: 'changed by a collaborator' } });
  expect(described.status()).toBe(200);
  await page.goto(`${base}/experiments/${expid}/access`);
  await expect(page.locator('#collaborators')).toContainText(otto.name);
  await expect(page.locator('#add-collaborator')).toHaveCount(0);
  await expect(page.locator('#audit')).toContainText('changed by a collaborator');
  const transfer = await page.request.put(`${base}/v4/experiments/${expid}/owner`, { data: { owner: otto.name } });
  expect(transfer.status()).toBe(403);
  await page.goto(`${base}/admin`);
  await expect(page.getByRole('alert')).toHaveText(`${otto.name} is not an admin: only admins manage accounts.`);
});

test('log in through CAS: the account is made at the first login, the page asked for opens', async ({ page }) => {
  const name = `carla${Date.now() % 100000}`;
  await page.goto(`${base}/experiments?query=sea`);
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByRole('link', { name: 'Log in with CAS' }).click();
  await expect(page.getByRole('heading', { name: 'Central login' })).toBeVisible();
  await page.getByLabel('CAS name').fill(name);
  await page.getByRole('button', { name: 'Sign in to CAS' }).click();
  await expect(page).toHaveURL(`${base}/experiments?query=sea`);
  await expect(page.locator('hc-account')).toContainText(`${name} (viewer)`);
  await page.locator('hc-account').getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(`${base}/login`);
});

test('log in through OpenID Connect with a real provider: code flow, PKCE, nonce, signed ID token', async ({ page }) => {
  const name = `olivia${Date.now() % 100000}`;
  await page.goto(`${base}/experiments/new`);
  await page.getByRole('link', { name: 'Log in with OpenID Connect' }).click();
  // oidc-provider's development login and consent pages.
  await page.locator('input[name=login]').fill(name);
  await page.locator('input[name=password]').fill('any password');
  await page.locator('button[type=submit]').click();
  await page.locator('button[type=submit]').click();
  await expect(page).toHaveURL(`${base}/experiments/new`);
  await expect(page.locator('hc-account')).toContainText(`${name} (viewer)`);
  // Back through the provider (its session remembers the user): the same account.
  await page.locator('hc-account').getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('link', { name: 'Log in with OpenID Connect' }).click();
  await expect(page).toHaveURL(`${base}/`);
  await expect(page.locator('hc-account')).toContainText(`${name} (viewer)`);
});
