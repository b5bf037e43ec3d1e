import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { killAll, startBridgeProcess } from '../helpers/processes.js';
import { launchBrowser, skipUnlessChromium, type TestBrowser } from './browser.js';
import { startSimulatedFleet, type SimulatedFleet } from './simulated-fleet.js';

// The fleet page with 500 agents pushing every second. Reports how long the page takes to
// show them and what each live update costs the browser; asserts correctness, not timings:
// each measurement lasts a number of updates, not a number of seconds.

const COUNT = 500;
const INTERVAL_MS = 1000;
/** Updates (agents events applied) per measurement. */
const UPDATES = 8;

interface Cost {
  updates: number;
  seconds: number;
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
    const bridge = await startBridgeProcess();
    httpPort = bridge.httpPort;
    fleet = await startSimulatedFleet(bridge.ingestPort, COUNT, INTERVAL_MS);
    browser = await launchBrowser();
  });

  after(async () => {
    fleet?.stop();
    await browser?.close();
    await killAll();
  });

  /** Collects every fleet.update duration the page reports, plus Chrome's busy time, over UPDATES updates. */
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
    await page.waitForFunction((n) => (window as unknown as { renderSamples: number[] }).renderSamples.length >= n, UPDATES, { polling: 100 });
    const busyMs = (await busy()) - busyBefore;
    const seconds = (Date.now() - started) / 1000;
    const samples = await page.evaluate(() => (window as unknown as { renderSamples: number[] }).renderSamples.splice(0));
    await cdp.detach();
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      updates: samples.length,
      seconds,
      medianMs: sorted[Math.floor(sorted.length / 2)] ?? NaN,
      maxMs: sorted[sorted.length - 1] ?? NaN,
      busyMsPerSecond: busyMs / seconds,
    };
  }

  const describeCost = (c: Cost) =>
    `${c.updates} updates in ${c.seconds.toFixed(1)} s; update median ${c.medianMs.toFixed(1)} ms, max ${c.maxMs.toFixed(1)} ms; main thread busy ${c.busyMsPerSecond.toFixed(0)} ms per second`;

  it('shows all agents and keeps up with their updates, sorted by CPU on every update', async (t) => {
    const { page } = browser!;
    const loadStarted = Date.now();
    await page.goto(`http://127.0.0.1:${httpPort}/`);
    await page.waitForFunction((n) => document.querySelectorAll('#fleet-table tbody tr').length === n, COUNT, { polling: 50 });
    const firstFullMs = Date.now() - loadStarted;
    await page.waitForFunction((n) => document.querySelectorAll('#fleet-table tbody tr .col-cpu .value').length === n && document.getElementById('sum-up')!.textContent === String(n), COUNT);
    t.diagnostic(`${COUNT} agents on screen ${firstFullMs} ms after navigation started`);

    const byId = await measure();
    t.diagnostic(`sorted by id: ${describeCost(byId)}`);

    // Sorted by CPU the order changes on every update: the worst case for re-ordering.
    await page.click('th.col-cpu button');
    // The click has taken effect once the header says so; only then is the order CPU's.
    await page.waitForSelector('th.col-cpu[aria-sort="descending"]');
    const byCpu = await measure();
    t.diagnostic(`sorted by CPU: ${describeCost(byCpu)}`);
    // One read of the rows on screen, in one task: fleet.update re-sorts before the browser
    // yields, so whatever update was last applied, the rows must be in its order. Not $$eval:
    // it finds the elements in one round trip and reads them in a second, and an update landing
    // in between re-sorts the rows, so it reads new values in the old order (the 236 inversions).
    const shown = await page.evaluate(() => ({
      sort: document.querySelector('th.col-cpu')!.getAttribute('aria-sort'),
      renders: Number(document.getElementById('fleet-table')!.dataset.renders),
      cpus: [...document.querySelectorAll('#fleet-table tbody tr .col-cpu .value')].map((td) => parseFloat(td.textContent ?? '')),
    }));
    assert.equal(shown.cpus.length, COUNT);
    assert.deepEqual(browser!.errors, [], 'no page errors (an exception in an update would leave its rows unsorted)');
    const inversions = shown.cpus.flatMap((v, i) => (i > 0 && v > shown.cpus[i - 1]! ? [`row ${i}: ${shown.cpus[i - 1]} then ${v}`] : []));
    assert.deepEqual(inversions, [], `CPU column sorted, highest first (aria-sort ${shown.sort}, ${shown.renders} updates applied)`);

    // One point per batch: wait for ten, rather than for a time.
    await page.waitForFunction(() => document.querySelector('#fleet-table tbody tr .spark-cpu polyline')!.getAttribute('points')!.trim().split(' ').length >= 10);
    // Only the first screenful: a 500-row full-page PNG is large and says nothing more.
    await browser!.screenshot('fleet-500.png', false);
    assert.deepEqual(browser!.errors, []);
  });
});
