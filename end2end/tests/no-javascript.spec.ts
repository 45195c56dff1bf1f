import { test, expect } from '@playwright/test';
import { NewExperimentForm, smallWorkflow } from './pages';

test.use({ javaScriptEnabled: false });

test('create works as a plain HTML form without JavaScript', async ({ page }) => {
  const unique = `No-JS evaluation ${Date.now()}`;
  await page.goto('/experiments/new');
  const form = new NewExperimentForm(page);
  await form.fill(unique, 'Evaluation');
  await form.submit();
  await expect(page).toHaveURL(/\/experiments\/e[0-9a-z]{3}$/);
  await expect(page.locator('#description')).toHaveText(unique);
  await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');

  const edited = `${unique} (edited without JS)`;
  await page.locator('#edit-description').getByLabel('Description').fill(edited);
  await page.getByRole('button', { name: 'Save description' }).click();
  await expect(page.locator('#description')).toHaveText(edited);
});

test('a refused form shows its error without JavaScript', async ({ page }) => {
  await page.goto('/experiments/new');
  await new NewExperimentForm(page).fill('   ', 'Experiment');
  await new NewExperimentForm(page).submit();
  await expect(page).toHaveURL(/\/experiments\/new/);
  await expect(page.getByRole('alert')).toContainText('Description: a description is required');
});

test('generating the graph works without JavaScript', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'No-JS workflow' } });
  const expid = (await created.json()).name as string;
  const files = { 'expdef.yml': smallWorkflow.expdef, 'jobs.yml': smallWorkflow.jobs };
  expect((await request.put(`/v4/experiments/${expid}/config`, { data: { files } })).status()).toBe(200);
  await page.goto(`/experiments/${expid}`);
  await expect(page.locator('#no-graph')).toBeVisible();
  await page.locator('#generate').getByRole('button', { name: 'Generate graph' }).click();
  // Leptos sends a plain form back to the page it came from (with an empty query).
  await expect(page).toHaveURL(new RegExp(`/experiments/${expid}\\??$`));
  await expect(page.locator('#workflow')).toContainText('0 of 6 jobs completed');
});
