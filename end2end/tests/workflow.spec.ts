import { test, expect } from '@playwright/test';
import { openHydrated, smallWorkflow } from './pages';

const { expdef, jobs } = smallWorkflow;

test('configure through the forms, preview, generate and read the jobs', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'Workflow from the GUI' } });
  expect(created.status()).toBe(201);
  const expid = (await created.json()).name as string;

  await openHydrated(page, `/experiments/${expid}/config`);
  await expect(page.locator('#no-files')).toBeVisible();
  const add = page.locator('#add-file');
  await add.getByLabel('File name').fill('jobs.yml');
  const broken = 'JOBS:\n  SIM:\n    RUNNING: [chunk\n';
  await add.getByLabel('Content').fill(broken);
  await add.getByRole('button', { name: 'Add file' }).click();
  await expect(add.getByRole('alert')).toContainText('jobs.yml: not valid YAML: line');
  // Nothing typed is lost on an error.
  await expect(add.getByLabel('Content')).toHaveValue(broken);

  await add.getByLabel('Content').fill(jobs);
  await add.getByRole('button', { name: 'Add file' }).click();
  await expect(page.locator('#file-jobs-yml')).toBeVisible();
  await add.getByLabel('File name').fill('expdef.yml');
  await add.getByLabel('Content').fill(expdef);
  await add.getByRole('button', { name: 'Add file' }).click();
  await expect(page.locator('#file-expdef-yml')).toBeVisible();

  await page.getByRole('navigation', { name: 'Experiment' }).getByRole('link', { name: 'Overview' }).click();
  await expect(page.locator('#no-graph')).toBeVisible();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const generate = page.locator('#generate');
  await generate.getByLabel('Preview only (dry run)').check();
  await generate.getByRole('button', { name: 'Generate graph' }).click();
  await expect(page.locator('#generate-outcome')).toContainText('Preview: 6 jobs and 4 edges. Nothing was stored.');
  await expect(page.locator('#no-graph')).toBeVisible();

  await generate.getByLabel('Preview only (dry run)').uncheck();
  await generate.getByRole('button', { name: 'Generate graph' }).click();
  await expect(page.locator('#generate-outcome')).toContainText('Generated graph version 1: 6 jobs and 4 edges');
  await expect(page.locator('#workflow')).toContainText('0 of 6 jobs completed');

  await page.getByRole('navigation', { name: 'Experiment' }).getByRole('link', { name: 'Jobs' }).click();
  await expect(page.locator('table.jobs-table tbody tr')).toHaveCount(6);
  await expect(page.locator('.pager-info')).toContainText('Jobs 1–6 of 6');
  await page.getByLabel('Status').selectOption('READY');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/status=READY/);
  await expect(page.locator('table.jobs-table tbody tr')).toHaveCount(2);
  await expect(page.locator('table.jobs-table tbody')).toContainText(`${expid}_20000101_fc1_INI`);
  const csv = await request.get(await page.locator('#csv-export').getAttribute('href') ?? '');
  expect((await csv.text()).trim().split('\n')).toHaveLength(3);

  // Saving a broken file keeps the text and the stored version.
  await openHydrated(page, `/experiments/${expid}/config`);
  const editor = page.locator('#file-jobs-yml');
  await editor.getByLabel('Content of jobs.yml').fill('JOBS: [');
  await editor.getByRole('button', { name: 'Save' }).click();
  await expect(editor.getByRole('alert')).toContainText('jobs.yml: not valid YAML');
  await expect(editor.getByLabel('Content of jobs.yml')).toHaveValue('JOBS: [');
  const stored = await request.get(`/v4/experiments/${expid}/config`);
  expect((await stored.json()).files['jobs.yml']).toBe(jobs);

  // In-app navigation to a list without a query (its server function gets no parameters).
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Experiments' }).click();
  await expect(page.locator('table.data-table tbody tr').first()).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('the graph view draws the jobs, finds, selects and collapses', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'Graph view' } });
  const expid = (await created.json()).name as string;
  const config = await request.put(`/v4/experiments/${expid}/config`, {
    data: { files: { 'expdef.yml': expdef, 'jobs.yml': jobs } },
  });
  expect(config.status()).toBe(200);
  expect((await request.post(`/v4/experiments/${expid}?action=generate`)).status()).toBe(200);

  // From the job table (in-app navigation): a job's name opens the graph on that job.
  await openHydrated(page, `/experiments/${expid}/jobs`);
  await page.getByRole('link', { name: `${expid}_20000101_fc0_2_SIM` }).click();
  const graph = page.locator('hc-graph');
  await expect(graph).toHaveAttribute('data-state', 'ready');
  await expect(graph).toHaveAttribute('data-jobs', '6');
  const panel = graph.locator('aside');
  await expect(panel.locator('h3')).toHaveText(`${expid}_20000101_fc0_2_SIM`);
  await expect(panel).toContainText('WAITING');
  await expect(panel).toContainText('LOCAL');
  await panel.locator('details.parameters summary').click();
  await expect(panel.locator('details.parameters')).toContainText('CHUNK_START_DATE');

  // A parent in the panel selects it; search moves through the matches.
  await panel.getByRole('button', { name: `${expid}_20000101_fc0_1_SIM` }).click();
  await expect(panel.locator('h3')).toHaveText(`${expid}_20000101_fc0_1_SIM`);
  const find = graph.getByRole('searchbox', { name: 'Find a job' });
  await find.fill('fc1_INI');
  await find.press('Enter');
  await expect(panel.locator('h3')).toHaveText(`${expid}_20000101_fc1_INI`);
  await expect(panel).toContainText('READY');
  await expect(graph.locator('.info')).toContainText('1 of 1 matches');

  // A click on the canvas hits the job under the pointer.
  await graph.getByRole('button', { name: 'Fit' }).click();
  const point = await graph.evaluate((el: any, name: string) => {
    const job = el.layout.names.indexOf(name);
    const box = el.canvas.getBoundingClientRect();
    return { x: box.left + el.view.x + el.layout.x[job] * el.view.scale, y: box.top + el.view.y + el.layout.y[job] * el.view.scale };
  }, `${expid}_20000101_fc0_2_SIM`);
  await page.mouse.click(point.x, point.y);
  await expect(panel.locator('h3')).toHaveText(`${expid}_20000101_fc0_2_SIM`);

  await graph.getByRole('button', { name: 'Collapse groups' }).click();
  await graph.getByRole('button', { name: 'Expand groups' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);

  // Loaded directly, and for an experiment without a graph.
  await page.goto(`/experiments/${expid}/graph`);
  await expect(graph).toHaveAttribute('data-state', 'ready');
  const bare = await request.post('/v4/experiments', { data: { description: 'No graph' } });
  await page.goto(`/experiments/${(await bare.json()).name}/graph`);
  await expect(page.locator('#no-graph')).toBeVisible();
});

test('the tree opens date, member and section folders lazily, with counters', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'Tree view' } });
  const expid = (await created.json()).name as string;
  await request.put(`/v4/experiments/${expid}/config`, { data: { files: { 'expdef.yml': expdef, 'jobs.yml': jobs } } });
  expect((await request.post(`/v4/experiments/${expid}?action=generate`)).status()).toBe(200);

  await openHydrated(page, `/experiments/${expid}/tree`);
  const tree = page.locator('hc-tree');
  await expect(tree).toHaveAttribute('data-state', 'ready');
  await expect(tree.locator('.info')).toHaveText('6 jobs');
  const date = tree.locator('summary', { hasText: '20000101' });
  await expect(date).toContainText('0/6');
  await date.click();
  const member = tree.locator('summary', { hasText: 'fc1' });
  await expect(member).toContainText('0/3');
  await member.click();
  const section = tree.locator('summary', { hasText: 'SIM' });
  await expect(section).toContainText('0/2');
  await section.click();
  await expect(tree.locator('li.job')).toHaveCount(2);
  await expect(tree.locator('li.job').first()).toContainText('WAITING');
  await tree.getByRole('link', { name: `${expid}_20000101_fc1_1_SIM` }).click();
  await expect(page.locator('hc-graph')).toHaveAttribute('data-state', 'ready');

  // Before any generation, and for an experiment that does not exist.
  const bare = await request.post('/v4/experiments', { data: { description: 'No tree' } });
  await page.goto(`/experiments/${(await bare.json()).name}/tree`);
  await expect(tree.locator('.info')).toContainText('No jobs yet');
  const missing = await page.goto('/experiments/a9zz/tree');
  expect(missing?.status()).toBe(404);
});

test('the quick view toggles statuses over a dense list, with the filters, and follows live changes', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'Quick view' } });
  const expid = (await created.json()).name as string;
  await request.put(`/v4/experiments/${expid}/config`, { data: { files: { 'expdef.yml': expdef, 'jobs.yml': jobs } } });
  expect((await request.post(`/v4/experiments/${expid}?action=generate`)).status()).toBe(200);
  const job = (suffix: string) => `${expid}_20000101_${suffix}`;
  expect((await request.patch(`/v4/experiments/${expid}/jobs/${job('fc0_1_SIM')}?status=FAILED`)).status()).toBe(200);

  await openHydrated(page, `/experiments/${expid}/jobs`);
  await page.getByRole('navigation', { name: 'Experiment' }).getByRole('link', { name: 'Quick view' }).click();
  await expect(page).toHaveURL(/view=quick/);
  const list = page.locator('#quick-list li');
  await expect(list).toHaveCount(6);
  const toggles = page.getByRole('navigation', { name: 'Show jobs in these statuses' });
  await expect(toggles).toContainText('All 6');
  await toggles.getByRole('link', { name: /READY/ }).click();
  await expect(page).toHaveURL(/status=READY/);
  await expect(list).toHaveCount(2);
  await toggles.getByRole('link', { name: /FAILED/ }).click();
  await expect(list).toHaveCount(3);
  await expect(toggles.getByRole('link', { name: /FAILED/ })).toHaveAttribute('aria-pressed', 'true');
  // The form's filters keep the toggled statuses.
  await page.getByLabel('Name').fill('*_INI');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/job_name=/);
  await expect(list).toHaveCount(2);
  await expect(page.locator('#quick-list')).not.toContainText('SIM');

  // A status set elsewhere shows without a reload.
  await request.patch(`/v4/experiments/${expid}/jobs/${job('fc1_INI')}?status=COMPLETED`);
  await expect(page.locator(`li[data-job="${job('fc1_INI')}"] .job-status`)).toHaveText('COMPLETED');
  // Without toggles every status shows again.
  await toggles.getByRole('link', { name: /All/ }).click();
  await expect(list).toHaveCount(2);
  await expect(page).not.toHaveURL(/status=/);
});

test('configuration files upload through the form, all checked together', async ({ page, request }) => {
  const created = await request.post('/v4/experiments', { data: { description: 'Upload' } });
  const expid = (await created.json()).name as string;
  await openHydrated(page, `/experiments/${expid}/config`);
  const input = page.getByLabel('YAML files');
  await input.setInputFiles([
    { name: 'expdef.yml', mimeType: 'application/x-yaml', buffer: Buffer.from(expdef) },
    { name: 'jobs.yml', mimeType: 'application/x-yaml', buffer: Buffer.from('JOBS: [\n') },
  ]);
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.locator('#upload-outcome')).toContainText('Upload refused: jobs.yml: not valid YAML');
  await expect(page.locator('#no-files')).toBeVisible();

  await page.getByLabel('YAML files').setInputFiles([
    { name: 'expdef.yml', mimeType: 'application/x-yaml', buffer: Buffer.from(expdef) },
    { name: 'jobs.yml', mimeType: 'application/x-yaml', buffer: Buffer.from(jobs) },
  ]);
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.locator('#upload-outcome')).toHaveText('Uploaded 2 file(s).');
  await expect(page.locator('#file-expdef-yml')).toBeVisible();
  await expect(page.locator('#file-jobs-yml textarea')).toHaveValue(jobs);
});
