import { expect, type Page } from '@playwright/test';

/** Opens a page and waits until the wasm has hydrated it, so clicks reach live handlers. */
export async function openHydrated(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

export class NewExperimentForm {
  constructor(private readonly page: Page) {}

  async fill(description: string, kind: string, hpc = '') {
    await this.page.getByLabel('Description').fill(description);
    await this.page.getByRole('radio', { name: new RegExp(`^${kind}`, 'i') }).check();
    await this.page.getByLabel('HPC').fill(hpc);
  }

  async submit() {
    await this.page.getByRole('button', { name: 'Create experiment' }).click();
  }
}

export class ExperimentList {
  constructor(private readonly page: Page) {}

  async search(text: string) {
    await this.page.getByRole('searchbox', { name: 'Search' }).fill(text);
    await this.page.getByRole('button', { name: 'Search' }).click();
  }

  rows() {
    return this.page.locator('table.data-table tbody tr');
  }
}
