// The graph page at scale, in Chromium: time from navigation to the graph being drawn and
// ready for input (the <hc-graph> element sets data-state="ready" after its first paint is
// scheduled; we wait one more animation frame). Usage: node bench/graph-page.cjs URL [runs]
const path = require('path');
const { chromium } = require(path.join(__dirname, '../end2end/node_modules/playwright'));

(async () => {
  const [url, runs = '3'] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const times = [];
  for (let i = 0; i < Number(runs); i++) {
    const started = Date.now();
    await page.goto(url);
    await page.waitForSelector('hc-graph[data-state="ready"]', { state: 'attached', timeout: 30000 });
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    times.push(Date.now() - started);
  }
  const jobs = await page.getAttribute('hc-graph', 'data-jobs');
  // A redraw after a zoom, as a user feels it while panning at full view.
  const redraw = await page.evaluate(() => {
    const el = document.querySelector('hc-graph');
    const t = performance.now();
    el.paint();
    return performance.now() - t;
  });
  console.log(`graph page in Chromium (${jobs} jobs): ready and drawn in ${times.join(', ')} ms; one full redraw ${redraw.toFixed(0)} ms`);
  await browser.close();
})();
