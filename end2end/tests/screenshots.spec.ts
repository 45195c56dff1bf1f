import { test, expect } from '@playwright/test';
import { openHydrated } from './pages';

// Screenshots for people to look at (light, dark, phone); they assert only that pages render.
test.beforeAll(async ({ request }) => {
  const response = await request.post('/v4/experiments', {
    data: { description: 'Screenshot sample: coupled sea ice spin-up', kind: 'experiment', hpc: 'MN5' },
  });
  expect(response.status()).toBe(201);
});
const views = [
  { name: 'list', path: '/experiments' },
  { name: 'new', path: '/experiments/new' },
];

for (const scheme of ['light', 'dark'] as const) {
  for (const view of views) {
    test(`screenshot ${view.name} ${scheme}`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: scheme });
      await openHydrated(page, view.path);
      await expect(page.locator('main h1')).toBeVisible();
      await page.screenshot({ path: `test-results/screens/${view.name}-${scheme}.png`, fullPage: true });
    });
  }
}

test('screenshot workflow pages', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'Screenshot sample: workflow' } });
  const expid = (await created.json()).name as string;
  const files = {
    'expdef.yml': "EXPERIMENT:\n  DATELIST: '20000101 20000201'\n  MEMBERS: 'fc0 fc1 fc2'\n  NUMCHUNKS: 4\n",
    'jobs.yml': 'JOBS:\n  INI:\n    RUNNING: member\n  SIM:\n    RUNNING: chunk\n    DEPENDENCIES: INI SIM-1\n    WALLCLOCK: 02:00\n  POST:\n    RUNNING: chunk\n    DEPENDENCIES: SIM\n',
  };
  expect((await request.put(`/v4/experiments/${expid}/config`, { data: { files } })).status()).toBe(200);
  expect((await request.post(`/v4/experiments/${expid}?action=generate`)).status()).toBe(200);
  for (const [name, path] of [['overview', ''], ['config', '/config'], ['jobs', '/jobs'], ['graph', '/graph'], ['tree', '/tree']]) {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await openHydrated(page, `/experiments/${expid}${path}`);
      if (name === 'graph') await expect(page.locator('hc-graph')).toHaveAttribute('data-state', 'ready');
      if (name === 'tree') {
        await expect(page.locator('hc-tree')).toHaveAttribute('data-state', 'ready');
        await page.locator('hc-tree summary', { hasText: '20000101' }).click();
        await page.locator('hc-tree summary', { hasText: 'fc0' }).first().click();
        await page.locator('hc-tree summary', { hasText: 'SIM' }).first().click();
        await expect(page.locator('hc-tree li.job').first()).toBeVisible();
      }
      await page.screenshot({ path: `test-results/screens/${name}-${scheme}.png`, fullPage: true });
    }
  }
  await page.setViewportSize({ width: 390, height: 800 });
  await openHydrated(page, `/experiments/${expid}/jobs`);
  await page.screenshot({ path: 'test-results/screens/jobs-phone.png', fullPage: true });
});

test('screenshot detail and phone list', async ({ page }) => {
  await openHydrated(page, '/experiments');
  const first = page.locator('table.data-table tbody tr a').first();
  await first.click();
  await expect(page.locator('#expid')).toBeVisible();
  await page.screenshot({ path: 'test-results/screens/detail-light.png', fullPage: true });
  await page.setViewportSize({ width: 390, height: 800 });
  await openHydrated(page, '/experiments');
  await page.screenshot({ path: 'test-results/screens/list-phone.png', fullPage: true });
});
