import { test, expect } from '@playwright/test';
import * as http from 'node:http';
import { authAdmin, authPort } from '../playwright.config';

// Against the server where everything needs a login (PROTECTION_LEVEL=ALL) and one portal,
// http://localhost:4999 (another origin than 127.0.0.1, on loopback as browsers require), may frame the embedded views (EMBED_FRAME_ANCESTORS).
const base = `http://127.0.0.1:${authPort}`;
const EXPDEF = "DEFAULT:\n  EXPID: a000\n  HPCARCH: LOCAL\nEXPERIMENT:\n  DATELIST: '20000101'\n  MEMBERS: fc0 fc1\n  CHUNKSIZEUNIT: month\n  CHUNKSIZE: 1\n  NUMCHUNKS: 2\n  CALENDAR: standard\nPLATFORMS: {}\n";
const JOBS = "JOBS:\n  INI:\n    RUNNING: member\n    SCRIPT: echo ini\n  SIM:\n    RUNNING: chunk\n    DEPENDENCIES: INI SIM-1\n    SCRIPT: echo sim\n";

/** A portal on loopback port `port` (browsers let only local pages frame local servers)
 *  whose page frames `src`; opened in `page` as http://localhost:`port`. */
async function portal(page, port: number, src: string) {
  const server = http.createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<!DOCTYPE html><title>Portal</title><h1>Project portal</h1><iframe id="hindcast" src="${src}" width="900" height="500"></iframe>`);
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  page.on('close', () => server.close());
  await page.goto(`http://localhost:${port}/experiments.html`);
}

test('a signed link shows a private experiment in an allowed portal, and no other site may frame it', async ({ page, browser }) => {
  await page.goto(`${base}/login`);
  await page.getByLabel('Name').fill(authAdmin.name);
  await page.getByLabel('Password').fill(authAdmin.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(`${base}/`);
  const created = await page.request.post(`${base}/v4/experiments`, { data: { description: 'embedded in e2e' } });
  const expid = (await created.json()).name;
  expect((await page.request.put(`${base}/v4/experiments/${expid}/config`, { data: { files: { 'expdef.yml': EXPDEF, 'jobs.yml': JOBS } } })).status()).toBe(200);
  expect((await page.request.post(`${base}/v4/experiments/${expid}?action=generate`)).status()).toBe(200);

  await page.goto(`${base}/experiments/${expid}/access`);
  await page.getByLabel(/^Valid for/).fill('7');
  await page.getByRole('button', { name: 'Create an embed link' }).click();
  const shown = (await page.locator('#embed-link code').first().textContent()) ?? '';
  expect(shown).toContain(`/embed/experiments/${expid}/summary?embed=`);
  const grant = shown.slice(shown.indexOf('?'));

  // Someone who never logged in, in a portal that is allowed: the views, read-only.
  const visitor = await browser.newPage();
  await portal(visitor, 4999, `${base}/embed/experiments/${expid}/summary${grant}`);
  const frame = visitor.frameLocator('#hindcast');
  await expect(frame.locator('.progress-text')).toHaveText('0 of 6 jobs completed (0%)');
  await frame.getByRole('link', { name: 'graph' }).click();
  await expect(frame.locator('hc-graph')).toHaveAttribute('data-state', 'ready');
  await expect(frame.locator('hc-graph')).toHaveAttribute('data-jobs', '6');
  await frame.getByRole('link', { name: 'jobs' }).click();
  await expect(frame.locator('#embed-jobs tbody tr')).toHaveCount(6);
  await expect(frame.locator('form, button[type=submit]')).toHaveCount(0);
  await visitor.screenshot({ path: 'test-results/screens/embed-portal.png' });

  // The same link framed by another site: the browser refuses to show it.
  const other = await browser.newPage();
  await portal(other, 4998, `${base}/embed/experiments/${expid}/summary${grant}`);
  await other.waitForTimeout(1000);
  const framed = other.frames().find((f) => f !== other.mainFrame());
  expect(await framed?.locator('.progress-text').count()).toBe(0);

  // Without the link, or with it tampered with, nothing is shown.
  const bare = await visitor.request.get(`${base}/embed/experiments/${expid}/summary`, { maxRedirects: 0 });
  expect(bare.status()).toBe(303);
  // The same signature with a later expiry.
  const stretched = grant.replace(/\.(\d{9,})\./, (_, expiry) => `.${Number(expiry) + 86400 * 365}.`);
  expect(stretched).not.toBe(grant);
  const forged = await visitor.request.get(`${base}/embed/experiments/${expid}/summary${stretched}`);
  expect(forged.status()).toBe(401);
  expect((await forged.json()).error_message).toContain('forged');
  await visitor.close();
  await other.close();
});
