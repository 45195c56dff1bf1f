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

/** A workflow of 6 jobs and 4 edges: 2 members × (INI, then SIM chunks 1 and 2). */
export const smallWorkflow = {
  expdef: `EXPERIMENT:
  DATELIST: '20000101'
  MEMBERS: 'fc0 fc1'
  CHUNKSIZEUNIT: month
  CHUNKSIZE: 1
  NUMCHUNKS: 2
`,
  jobs: `JOBS:
  INI:
    FILE: INI.sh
    RUNNING: member
  SIM:
    FILE: SIM.sh
    RUNNING: chunk
    DEPENDENCIES: INI SIM-1
`,
};
