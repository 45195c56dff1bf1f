import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { openHydrated } from './pages';

// The one-node Slurm cluster the Rust tests use (started here if they did not).
test.beforeAll(() => {
  execFileSync('bash', [`${__dirname}/../../scripts/slurm-cluster`, 'start'], { stdio: 'inherit' });
});

const expdef = `DEFAULT:
  HPCARCH: HPC
EXPERIMENT:
  DATELIST: '20000101'
  MEMBERS: 'fc0'
  NUMCHUNKS: 1
PLATFORMS:
  HPC:
    TYPE: slurm
    PARTITION: debug
`;
const jobs = `JOBS:
  SIM:
    RUNNING: once
    PLATFORM: HPC
    SCRIPT: echo "simulating in Slurm job $SLURM_JOB_ID"
`;

test('a Slurm job shows its Slurm id, partition and node in the runs page', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'On Slurm' } });
  const expid = (await created.json()).name as string;
  await request.put(`/v4/experiments/${expid}/config`, { data: { files: { 'expdef.yml': expdef, 'jobs.yml': jobs } } });
  expect((await request.post(`/v4/experiments/${expid}?action=generate`)).status()).toBe(200);
  const run = await (await request.post(`/v4/experiments/${expid}/runs`, { data: {} })).json();

  await openHydrated(page, `/experiments/${expid}/runs`);
  const runs = page.locator('hc-runs');
  const row = runs.locator('tbody.runs tr').first();
  await expect(row.locator('.chip')).toHaveText('passed', { timeout: 60_000 });
  await row.click();
  const attempt = runs.locator('tbody.attempts tr').first();
  const attempts = await (await request.get(`/v4/experiments/${expid}/runs/${run.id}/attempts`)).json();
  const slurmId = (attempts.attempts[0].executor_id as string).replace('slurm:', '');
  await expect(attempt).toContainText(`Slurm ${slurmId} · debug · ${hostname().split('.')[0]}`);
  await attempt.getByRole('button', { name: 'out' }).click();
  await expect(runs.locator('.log')).toHaveText(`simulating in Slurm job ${slurmId}\n`);
  await page.screenshot({ path: 'test-results/screens/runs-slurm.png', fullPage: true });
});
