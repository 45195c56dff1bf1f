import { test, expect } from '@playwright/test';
import { NewExperimentForm } from './pages';

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
