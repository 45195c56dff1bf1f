import { test, expect } from '@playwright/test';
import { openHydrated, NewExperimentForm, ExperimentList } from './pages';

test('create, find, open and edit an experiment after hydration', async ({ page }) => {
  const unique = `Sea ice spin-up ${Date.now()}`;
  await openHydrated(page, '/experiments');
  await page.getByRole('link', { name: 'New experiment' }).first().click();
  await expect(page).toHaveURL(/\/experiments\/new$/);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  const form = new NewExperimentForm(page);
  await form.fill(unique, 'Test', 'MN5');
  await form.submit();
  await expect(page).toHaveURL(/\/experiments\/t[0-9a-z]{3}$/);
  const expid = (await page.locator('#expid').textContent())!.trim();
  expect(expid).toMatch(/^t[0-9a-z]{3}$/);
  await expect(page.locator('#description')).toHaveText(unique);

  await openHydrated(page, '/experiments');
  const list = new ExperimentList(page);
  await list.search(unique);
  await expect(page).toHaveURL(/query=/);
  await expect(list.rows()).toHaveCount(1);
  await list.rows().first().getByRole('link', { name: expid }).click();
  await expect(page).toHaveURL(new RegExp(`/experiments/${expid}$`));

  const edited = `${unique} (edited)`;
  const editor = page.locator('#edit-description');
  await editor.getByLabel('Description').fill(edited);
  await editor.getByRole('button', { name: 'Save description' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved.');
  await expect(page.locator('#description')).toHaveText(edited);

  // The URL holds the whole view: reloading it shows the same result.
  await openHydrated(page, `/experiments?query=${encodeURIComponent('(edited)')}&exp_type=test`);
  await expect(new ExperimentList(page).rows().filter({ hasText: expid })).toHaveCount(1);
});

test('a blank description is refused with a message naming the field', async ({ page }) => {
  await openHydrated(page, '/experiments/new');
  await new NewExperimentForm(page).fill('   ', 'Experiment');
  await new NewExperimentForm(page).submit();
  await expect(page.getByRole('alert')).toContainText('Description: a description is required');
  await expect(page).toHaveURL(/\/experiments\/new/);
});

test('unknown experiments answer 404', async ({ page }) => {
  const response = await page.goto('/experiments/zzzz');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText("Experiment with expid 'zzzz' not found.");
});
