import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, getText } from '../helpers/http.js';
import { freePort, killAll, runCli } from '../helpers/processes.js';
import { launchBrowser, skipUnlessChromium, type TestBrowser } from './browser.js';
import { startSimulatedFleet, type SimulatedFleet } from './simulated-fleet.js';

// The fleet page with 500 agents pushing every second. Reports how long the page takes to
// show them and what each live update costs the browser; asserts correctness, not timings.

const COUNT = 500;
const INTERVAL_MS = 1000;
const WINDOW_MS = 10_000;

interface Cost {
  updates: number;
  /** Median and worst JS time of applying one `agents` event (fleet.update), ms. */
  medianMs: number;
  maxMs: number;
  /** Main-thread time (script, style, layout) per second of wall time, from Chrome's metrics. */
  busyMsPerSecond: number;
}

describe(`web console: fleet page with ${COUNT} agents`, { skip: skipUnlessChromium() }, () => {
  let httpPort: number;
  let fleet: SimulatedFleet | undefined;
  let browser: TestBrowser | undefined;

  before(async () => {
    httpPort = await freePort();
    const ingestPort = await freePort();
    runCli(['server'], { FLEETPULSE_BIND: '127.0.0.1', FLEETPULSE_HTTP_PORT: String(httpPort), FLEETPULSE_INGEST_PORT: String(ingestPort) });
    await eventually(async () => (await getText(`http://127.0.0.1:${httpPort}/readyz`)).status === 200, 15_000, 'bridge ready');
    fleet = await startSimulatedFleet(ingestPort, COUNT, INTERVAL_MS);
    browser = await launchBrowser();
  });

  after(async () => {
    fleet?.stop();
    await browser?.close();
    await killAll();
  });

  /** Collects every fleet.update duration the page reports, plus Chrome's busy time, for WINDOW_MS. */
  async function measure(): Promise<Cost> {
    const { page, context } = browser!;
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const busy = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
      return (get('ScriptDuration') + get('RecalcStyleDuration') + get('LayoutDuration')) * 1000;
    };
    await page.evaluate(() => {
      const table = document.getElementById('fleet-table')!;
      const samples: number[] = [];
      (window as unknown as { renderSamples: number[] }).renderSamples = samples;
      new MutationObserver(() => samples.push(Number(table.dataset.renderMs))).observe(table, { attributes: true, attributeFilter: ['data-renders'] });
    });
    const busyBefore = await busy();
    const started = Date.now();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const busyMs = (await busy()) - busyBefore;
    const seconds = (Date.now() - started) / 1000;
    const samples = await page.evaluate(() => (window as unknown as { renderSamples: number[] }).renderSamples.splice(0));
    await cdp.detach();
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      updates: samples.length,
      medianMs: sorted[Math.floor(sorted.length / 2)] ?? NaN,
      maxMs: sorted[sorted.length - 1] ?? NaN,
      busyMsPerSecond: busyMs / seconds,
    };
  }

  const describeCost = (c: Cost) =>
    `${c.updates} updates in ${WINDOW_MS / 1000} s; update median ${c.medianMs.toFixed(1)} ms, max ${c.maxMs.toFixed(1)} ms; main thread busy ${c.busyMsPerSecond.toFixed(0)} ms per second`;

  it('shows all agents and keeps up with their updates', async (t) => {
    const { page } = browser!;
    const loadStarted = Date.now();
    await page.goto(`http://127.0.0.1:${httpPort}/`);
    await page.waitForFunction((n) => document.querySelectorAll('#fleet-table tbody tr').length === n, COUNT, { timeout: 30_000, polling: 50 });
    const firstFullMs = Date.now() - loadStarted;
    await page.waitForFunction((n) => document.querySelectorAll('#fleet-table tbody tr .col-cpu .value').length === n && document.getElementById('sum-up')!.textContent === String(n), COUNT, { timeout: 10_000 });
    t.diagnostic(`${COUNT} agents on screen ${firstFullMs} ms after navigation started`);

    const byId = await measure();
    t.diagnostic(`sorted by id: ${describeCost(byId)}`);
    assert.ok(byId.updates >= 5, `the page applied only ${byId.updates} updates in ${WINDOW_MS} ms`);

    // Sorted by CPU the order changes on every update: the worst case for re-ordering.
    await page.click('th.col-cpu button');
    const byCpu = await measure();
    t.diagnostic(`sorted by CPU: ${describeCost(byCpu)}`);
    const cpus = await page.$$eval('#fleet-table tbody tr .col-cpu .value', (tds) => tds.map((td) => parseFloat(td.textContent ?? '')));
    assert.equal(cpus.length, COUNT);
    // Each update re-sorts before the browser yields, so the DOM is sorted whenever it is read.
    const inversions = cpus.filter((v, i) => i > 0 && v > cpus[i - 1]!).length;
    assert.equal(inversions, 0, 'CPU column sorted, highest first');

    const sparkPoints = await page.$eval('#fleet-table tbody tr .spark-cpu polyline', (p) => p.getAttribute('points')!.trim().split(' ').length);
    assert.ok(sparkPoints >= 10, `sparkline has ${sparkPoints} points after 20 s of updates`);
    // Only the first screenful: a 500-row full-page PNG is large and says nothing more.
    await browser!.screenshot('fleet-500.png', false);
    assert.deepEqual(browser!.errors, []);
  });
});
