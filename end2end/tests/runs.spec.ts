import { test, expect } from '@playwright/test';
import { openHydrated } from './pages';

const expdef = `EXPERIMENT:
  DATELIST: '20000101'
  MEMBERS: 'fc0'
  CHUNKSIZEUNIT: month
  CHUNKSIZE: 1
  NUMCHUNKS: 2
`;
const jobs = `JOBS:
  INI:
    RUNNING: member
    SCRIPT: echo "hello from %JOBNAME% with $GREETING"
  SIM:
    RUNNING: chunk
    DEPENDENCIES: INI SIM-1
    SCRIPT: |
      sleep \${NAP:-1}
      echo "chunk %CHUNK%"
`;

test('the runs page starts a run, follows it live, shows attempts and logs, and stops', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'Runs from the GUI' } });
  const expid = (await created.json()).name as string;
  await request.put(`/v4/experiments/${expid}/config`, { data: { files: { 'expdef.yml': expdef, 'jobs.yml': jobs } } });
  expect((await request.post(`/v4/experiments/${expid}?action=generate`)).status()).toBe(200);

  await openHydrated(page, `/experiments/${expid}`);
  await page.getByRole('navigation', { name: 'Experiment' }).getByRole('link', { name: 'Runs' }).click();
  const runs = page.locator('hc-runs');
  await expect(runs).toHaveAttribute('data-state', 'ready');
  await expect(runs.locator('.live')).toHaveText('Live');
  await expect(runs.locator('tbody.runs')).toContainText('No runs yet.');

  // A selection without jobs is refused with the server's message; nothing starts.
  await runs.getByLabel('Mode').selectOption('selected_only');
  await runs.getByRole('button', { name: 'Start run' }).click();
  await expect(runs.locator('.message')).toHaveText('jobs: mode selected_only needs at least one job');

  await runs.getByLabel('Mode').selectOption('all');
  await runs.getByLabel('Environment (NAME=value per line)').fill('GREETING=Hindcast');
  await runs.getByLabel('Per job (JOB NAME=value or JOB --switch, per line)').fill(`${expid}_20000101_fc0_INI GREETING=you`);
  await runs.getByRole('button', { name: 'Start run' }).click();
  await expect(runs.locator('.message')).toContainText('Run #');
  const row = runs.locator('tbody.runs tr').first();
  // Live: the row turns passed without a reload.
  await expect(row.locator('.chip')).toHaveText('passed', { timeout: 20_000 });
  await expect(row).toContainText('3');

  await row.click();
  const attempts = runs.locator('tbody.attempts tr');
  await expect(attempts).toHaveCount(3);
  await expect(runs.locator('.log')).toContainText('ended passed');
  await attempts.filter({ hasText: `${expid}_20000101_fc0_INI` }).getByRole('button', { name: 'out' }).click();
  await expect(runs.locator('.log-title')).toContainText('INI attempt 1 stdout');
  // The job's own setting wins over the run's.
  await expect(runs.locator('.log')).toHaveText(`hello from ${expid}_20000101_fc0_INI with you\n`);
  const download = await request.get((await runs.locator('a.download').getAttribute('href')) ?? '');
  expect(await download.text()).toBe(`hello from ${expid}_20000101_fc0_INI with you\n`);
  await runs.getByLabel('Search (Enter: the whole log)').fill('WITH YOU');
  await runs.getByLabel('Search (Enter: the whole log)').press('Enter');
  await expect(runs.locator('.log')).toHaveText(`@0 hello from ${expid}_20000101_fc0_INI with you\n`);

  // Statuses by hand: a preview first, then applied (and the children follow).
  const status = runs.locator('form.set-status');
  await status.getByLabel('Jobs (one per line)').fill(`${expid}_20000101_fc0_1_SIM`);
  await status.getByLabel('New status').selectOption('WAITING');
  await status.getByRole('button', { name: 'Preview' }).click();
  await expect(status.locator('.status-message')).toHaveText(`Would set 1 job(s) to WAITING: ${expid}_20000101_fc0_1_SIM.`);
  expect((await (await request.get(`/v4/experiments/${expid}/jobs/${expid}_20000101_fc0_1_SIM`)).json()).status).toBe('COMPLETED');
  await status.getByRole('button', { name: 'Apply' }).click();
  await expect(status.locator('.status-message')).toHaveText(`Set 1 job(s) to WAITING: ${expid}_20000101_fc0_1_SIM.`);
  await status.getByLabel('Jobs (one per line)').fill('NOPE');
  await status.getByRole('button', { name: 'Apply' }).click();
  await expect(status.locator('.status-message')).toContainText('job_names: no such job');

  // Force a re-run of SIM_1 and everything below it, then stop it while it sleeps.
  await runs.getByLabel('Mode').selectOption('with_downstream');
  await runs.locator('form.start').getByLabel('Jobs (one per line)').fill(`${expid}_20000101_fc0_1_SIM`);
  await runs.getByLabel('Re-run completed jobs (force)').check();
  await runs.getByLabel('…and their downstream').check();
  await runs.getByLabel('Environment (NAME=value per line)').fill('NAP=30');
  await runs.getByLabel('Per job (JOB NAME=value or JOB --switch, per line)').fill('');
  await runs.getByRole('button', { name: 'Start run' }).click();
  await expect(runs.locator('tbody.runs tr').first().locator('.chip')).toHaveText('running');
  await runs.getByRole('button', { name: 'Stop the experiment' }).click();
  await expect(runs.locator('.message')).toContainText('Run #');
  await expect(runs.locator('.message')).toContainText('stopped');
  await expect(runs.locator('tbody.runs tr').first().locator('.chip')).toHaveText('cancelled');
  await page.screenshot({ path: 'test-results/screens/runs.png', fullPage: true });
});

test('a running job\'s log follows live on the event stream until the job ends', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'A log followed live' } });
  const expid = (await created.json()).name as string;
  const slow = `JOBS:
  TALK:
    RUNNING: once
    SCRIPT: |
      for i in 1 2 3 4 5 6; do echo "line $i"; sleep 0.5; done
`;
  await request.put(`/v4/experiments/${expid}/config`, { data: { files: { 'expdef.yml': expdef, 'jobs.yml': slow } } });
  expect((await request.post(`/v4/experiments/${expid}?action=generate`)).status()).toBe(200);
  await openHydrated(page, `/experiments/${expid}/runs`);
  const runs = page.locator('hc-runs');
  await expect(runs).toHaveAttribute('data-state', 'ready');
  expect((await request.post(`/v4/experiments/${expid}/runs`, { data: {} })).status()).toBe(201);
  await runs.locator('tbody.runs tr').first().click();
  const attempt = runs.locator('tbody.attempts tr').filter({ hasText: `${expid}_TALK` });
  await expect(attempt.locator('.chip')).toHaveText('RUNNING', { timeout: 10_000 });
  await attempt.getByRole('button', { name: 'out' }).click();
  const log = runs.locator('.log');
  // Shown while the job still runs, then the lines keep coming without a reload.
  await expect(log).toContainText('line 1');
  await expect(attempt.locator('.chip')).toHaveText('RUNNING');
  await expect(log).toHaveText('line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n', { timeout: 10_000 });
  await expect(runs.locator('.log-size')).toContainText('(ended)');
});

test('a run is scheduled from the runs page, shown as such, and cancelled', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'A scheduled run' } });
  const expid = (await created.json()).name as string;
  await request.put(`/v4/experiments/${expid}/config`, { data: { files: { 'expdef.yml': expdef, 'jobs.yml': jobs } } });
  expect((await request.post(`/v4/experiments/${expid}?action=generate`)).status()).toBe(200);
  await openHydrated(page, `/experiments/${expid}/runs`);
  const runs = page.locator('hc-runs');
  await expect(runs).toHaveAttribute('data-state', 'ready');
  await runs.getByLabel('Start at (optional, your time)').fill('2099-01-01T06:00');
  await runs.getByRole('button', { name: 'Start run' }).click();
  await expect(runs.locator('.message')).toHaveText('start_at: must be within 366 days');
  const tomorrow = new Date(Date.now() + 86_400_000);
  const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await runs.getByLabel('Start at (optional, your time)').fill(local);
  await runs.getByLabel('Repeat every (optional: 30m, 6h, 1d)').fill('6h');
  await runs.getByRole('button', { name: 'Start run' }).click();
  await expect(runs.locator('.message')).toContainText('queued, scheduled for');
  const row = runs.locator('tbody.runs tr').first();
  await expect(row).toContainText('scheduled');
  await expect(row).toContainText('every 6h');
  await page.screenshot({ path: 'test-results/screens/runs-scheduled.png', fullPage: true });
  await row.getByRole('button', { name: 'Cancel' }).click();
  await expect(row.locator('.chip')).toHaveText('cancelled');
});

test('the runs page of an unknown experiment answers 404', async ({ page }) => {
  const missing = await page.goto('/experiments/a9zz/runs');
  expect(missing?.status()).toBe(404);
});

test('the job table, summary, badge, tree and graph follow the experiment live', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'Live views' } });
  const expid = (await created.json()).name as string;
  await request.put(`/v4/experiments/${expid}/config`, { data: { files: { 'expdef.yml': expdef, 'jobs.yml': jobs } } });
  expect((await request.post(`/v4/experiments/${expid}?action=generate`)).status()).toBe(200);
  const ini = `${expid}_20000101_fc0_INI`;

  await openHydrated(page, `/experiments/${expid}/jobs`);
  const row = page.locator(`tr[data-job="${ini}"] .job-status`);
  await expect(row).toHaveText('READY');
  // Give the page's event stream a moment to connect, then change a status elsewhere.
  await page.waitForTimeout(500);
  expect((await request.patch(`/v4/experiments/${expid}/jobs/${ini}?status=COMPLETED`)).status()).toBe(200);
  await expect(row).toHaveText('COMPLETED');
  await expect(page.locator(`tr[data-job="${expid}_20000101_fc0_1_SIM"] .job-status`)).toHaveText('READY');

  await page.getByRole('navigation', { name: 'Experiment' }).getByRole('link', { name: 'Overview' }).click();
  await expect(page.locator('[data-live-summary] .progress-text')).toHaveText('1 of 3 jobs completed (33%)');
  await page.waitForTimeout(500);
  expect((await request.post(`/v4/experiments/${expid}?action=run`)).status()).toBe(201);
  await expect(page.locator('[data-live-state] .badge')).toHaveText('Running');
  await expect(page.locator('[data-live-summary] .progress-text')).toHaveText('3 of 3 jobs completed (100%)', { timeout: 20_000 });
  await expect(page.locator('[data-live-state] .badge')).toHaveText('Idle');

  // The tree keeps its open folders while counters change; the graph recolours in place.
  await page.getByRole('navigation', { name: 'Experiment' }).getByRole('link', { name: 'Tree' }).click();
  const tree = page.locator('hc-tree');
  await expect(tree).toHaveAttribute('data-state', 'ready');
  await tree.locator('summary', { hasText: '20000101' }).click();
  await expect(tree.locator('summary', { hasText: 'fc0' })).toContainText('3/3');
  await page.waitForTimeout(500);
  expect((await request.patch(`/v4/experiments/${expid}/jobs/${ini}?status=FAILED`)).status()).toBe(200);
  await expect(tree.locator('summary', { hasText: 'fc0' })).toContainText('2/3');
  await expect(tree.locator('summary', { hasText: 'fc0' })).toContainText('1 failed');
  await page.getByRole('navigation', { name: 'Experiment' }).getByRole('link', { name: 'Graph' }).click();
  const graph = page.locator('hc-graph');
  await expect(graph).toHaveAttribute('data-state', 'ready');
  const statusOf = (name: string) => graph.evaluate((g: any, n) => g.statuses[g.byName.get(n)], name);
  expect(await statusOf(ini)).toBe(-1);
  await page.waitForTimeout(500);
  expect((await request.patch(`/v4/experiments/${expid}/jobs/${ini}?status=COMPLETED`)).status()).toBe(200);
  await expect.poll(() => statusOf(ini)).toBe(5);
});
