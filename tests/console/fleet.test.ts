import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { killAll, probePortOf, runCli, startBridgeProcess, type RunningProcess } from '../helpers/processes.js';
import { launchBrowser, skipUnlessChromium, type TestBrowser } from './browser.js';

// The fleet page in a real browser against a real bridge and three real agents, all child
// processes from dist/, so the console is served the way an installed bridge serves it.

const AGENTS = ['web-1', 'web-2', 'db-1'];
/** Runs without a probe responder (FLEETPULSE_PROBES=off). */
const NO_PROBES = 'db-1';
const probePorts = new Map<string, number>();

describe('web console: fleet page', { skip: skipUnlessChromium() }, () => {
  let httpPort: number;
  let ingestPort: number;
  let browser: TestBrowser | undefined;
  const agents = new Map<string, RunningProcess>();
  const url = () => `http://127.0.0.1:${httpPort}`;

  const statusDir = mkdtempSync(join(tmpdir(), 'fleetpulse-console-fleet-'));

  before(async () => {
    const bridge = await startBridgeProcess({
      FLEETPULSE_HEARTBEAT: '1s',
      FLEETPULSE_PROMETHEUS_URL: 'http://prometheus.example:9090',
      FLEETPULSE_GRAFANA_URL: 'http://grafana.example:3000/',
      // The agents are on loopback, which peers never dial unless allowed.
      FLEETPULSE_PROBE_NETWORKS: '127.0.0.0/8',
    });
    httpPort = bridge.httpPort;
    ingestPort = bridge.ingestPort;
    for (const [i, id] of AGENTS.entries()) {
      const agent = runCli(['agent'], {
        FLEETPULSE_SERVER: `127.0.0.1:${ingestPort}`,
        FLEETPULSE_AGENT_ID: id,
        FLEETPULSE_INTERVAL: '500ms',
        FLEETPULSE_COLLECTOR_TIMEOUT: '10s', // not 400 ms: a busy machine must not drop a family from a batch
        FLEETPULSE_LABELS: `role=${id.replace(/-\d$/, '')},rack=r${i + 1}`,
        FLEETPULSE_PROBE_BIND: '127.0.0.1',
        FLEETPULSE_PROBE_PORT: '0',
        FLEETPULSE_PROBES: id === NO_PROBES ? 'off' : 'on',
        FLEETPULSE_STATUS_FILE: join(statusDir, `${id}.status.json`),
      });
      agents.set(id, agent);
      // The responder binds whatever port the kernel gives and logs it.
      if (id !== NO_PROBES) probePorts.set(id, await probePortOf(agent));
    }
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await killAll();
    rmSync(statusDir, { recursive: true, force: true });
  });

  it('fills the table with the connected agents, their labels and CPU, memory and disk', async () => {
    const { page } = browser!;
    await page.goto(url());
    await page.waitForFunction((n) => document.querySelectorAll('#fleet-table tbody tr:not([hidden])').length === n, AGENTS.length);
    // Figures arrive with the first batch; the first CPU % needs two.
    await page.waitForFunction(() => [...document.querySelectorAll('#fleet-table tbody tr td.col-cpu .value')].every((td) => /%$/.test(td.textContent ?? '')));
    const rows = await page.$$eval('#fleet-table tbody tr', (trs) =>
      trs.map((tr) => ({
        id: tr.querySelector('.agent-id')?.textContent,
        address: tr.querySelector('.col-address')?.textContent,
        probe: tr.querySelector('.col-address')?.getAttribute('title'),
        labels: [...tr.querySelectorAll('.chip')].map((c) => c.textContent),
        cpu: tr.querySelector('.col-cpu .value')?.textContent,
        memory: tr.querySelector('.col-memory .value')?.textContent,
        disk: tr.querySelector('.col-disk .value')?.textContent,
        lost: tr.classList.contains('lost'),
      })),
    );
    assert.deepEqual(rows.map((r) => r.id), [...AGENTS].sort(), 'sorted by id');
    for (const r of rows) {
      assert.equal(r.address, '127.0.0.1');
      assert.equal(r.lost, false);
      assert.match(r.cpu!, /^\d+\.\d %$/);
      assert.match(r.memory!, /^\d+\.\d %$/);
      assert.match(r.disk!, /^\d+\.\d %$/);
    }
    assert.deepEqual(rows.find((r) => r.id === 'db-1')!.labels, ['rack=r3', 'role=db']);
    // The address tooltip says where peers reach each agent for measurement tasks.
    for (const r of rows) {
      const port = probePorts.get(r.id!);
      assert.equal(r.probe, port === undefined ? 'no probe responder: takes no part in measurement tasks' : `probe responder (measurement tasks): 127.0.0.1:${port}`, r.id!);
    }
    assert.equal(await page.textContent('#sum-up'), '3');
    assert.equal(await page.getAttribute('#link-prometheus', 'href'), 'http://prometheus.example:9090');
    assert.equal(await page.getAttribute('#link-grafana', 'href'), 'http://grafana.example:3000/d/fleetpulse-overview');
    assert.equal(await page.textContent('#conn-status'), 'Live');
  });

  it('updates live without a reload: last seen, sparklines and render count move', async () => {
    const { page } = browser!;
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const before = await page.evaluate(() => ({
      renders: Number(document.getElementById('fleet-table')!.dataset.renders),
      points: document.querySelector('tr[data-agent="web-1"] .spark-cpu polyline')!.getAttribute('points')!.trim().split(' ').length,
    }));
    await page.waitForFunction(
      (b) => Number(document.getElementById('fleet-table')!.dataset.renders) >= b.renders + 3 &&
        document.querySelector('tr[data-agent="web-1"] .spark-cpu polyline')!.getAttribute('points')!.trim().split(' ').length > b.points,
      before,
    );
    const after = await page.evaluate(() => ({
      marker: (window as unknown as { marker?: number }).marker,
      navigations: performance.getEntriesByType('navigation').length,
      seen: document.querySelector('tr[data-agent="web-1"] .col-last_seen')!.textContent,
    }));
    assert.equal(after.marker, 42, 'the page was not reloaded');
    assert.equal(after.navigations, 1);
    assert.match(after.seen!, /^(just now|\d+ s ago)$/);
    await browser!.screenshot('fleet.png');
  });

  it('sorts by a column and filters by text', async () => {
    const { page } = browser!;
    await page.click('th.col-id button');
    await page.waitForSelector('th.col-id[aria-sort="descending"]');
    const desc = await page.$$eval('#fleet-table tbody tr', (trs) => trs.map((tr) => tr.dataset.agent));
    assert.deepEqual(desc, [...AGENTS].sort().reverse());
    await page.click('th.col-id button');
    await page.waitForSelector('th.col-id[aria-sort="ascending"]');
    await page.fill('#fleet-filter', 'role=web');
    await page.waitForFunction(() => document.querySelectorAll('#fleet-table tbody tr:not([hidden])').length === 2);
    assert.equal(await page.textContent('#fleet-shown'), '2 of 3 agents');
    await page.fill('#fleet-filter', '');
    await page.waitForFunction(() => document.querySelectorAll('#fleet-table tbody tr:not([hidden])').length === 3);
  });

  it('shows a killed agent as disconnected, greyed, with how long ago it was lost', async () => {
    const { page } = browser!;
    await agents.get('db-1')!.kill('SIGKILL');
    await page.waitForSelector('tr[data-agent="db-1"].lost');
    await page.waitForFunction(() => /^lost (just now|\d+ s ago)$/.test(document.querySelector('tr[data-agent="db-1"] .col-last_seen')!.textContent ?? ''));
    assert.equal(await page.textContent('#sum-up'), '2');
    assert.equal(await page.textContent('#sum-lost'), '1');
    // The others keep updating, and db-1 stays lost through those updates.
    const renders = await page.evaluate(() => Number(document.getElementById('fleet-table')!.dataset.renders));
    await page.waitForFunction((n) => Number(document.getElementById('fleet-table')!.dataset.renders) >= n + 2, renders);
    assert.deepEqual(await page.$$eval('#fleet-table tbody tr.lost', (trs) => trs.map((tr) => tr.dataset.agent)), ['db-1']);
    await browser!.screenshot('fleet-agent-lost.png');
    // Hiding disconnected agents leaves the two live ones.
    await page.uncheck('#show-lost');
    await page.waitForFunction(() => document.querySelectorAll('#fleet-table tbody tr:not([hidden])').length === 2);
    await page.check('#show-lost');
  });

  it('runs under the strict Content-Security-Policy without errors', async () => {
    // grafana.example does not resolve: the console's check whether Grafana answers fails, as it should.
    assert.deepEqual(browser!.errors.filter((e) => e !== 'console: Failed to load resource: net::ERR_NAME_NOT_RESOLVED'), []);
    assert.equal(await browser!.page.getAttribute('#link-grafana', 'data-answers'), 'no');
  });

  it('falls back to polling /api/agents when its event stream is refused (per-address stream limit)', async () => {
    const { page } = browser!;
    // Take all of this address's event-stream slots while the page holds none.
    await page.goto('about:blank');
    const held: AbortController[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const abort = new AbortController();
        const res = await fetch(`${url()}/api/events`, { signal: abort.signal });
        if (res.status === 429) {
          assert.match(((await res.json()) as { error: string }).error, /at most 4 per address/);
          break;
        }
        held.push(abort);
      }
      assert.ok(held.length < 10, 'the per-address limit refused a stream');
      await page.goto(url());
      await page.waitForFunction(() => document.getElementById('conn-status')?.textContent === 'Polling', undefined, { timeout: 15_000 });
      await page.waitForFunction(() => document.querySelectorAll('#fleet-table tbody tr:not([hidden])').length === 3, undefined, { timeout: 15_000 });
      assert.equal(await page.textContent('#sum-up'), '2');
    } finally {
      for (const abort of held) abort.abort();
    }
  });

  it('shows an agent stopped cleanly (goodbye) as departed, apart from a lost one (which keeps the alarm)', async () => {
    const { page } = browser!;
    assert.equal(await agents.get('web-2')!.kill('SIGTERM'), 0);
    await page.waitForSelector('tr[data-agent="web-2"].departed', { timeout: 10_000 });
    await page.waitForFunction(() => /^departed (just now|\d+ s ago)$/.test(document.querySelector('tr[data-agent="web-2"] .col-last_seen')!.textContent ?? ''), undefined, { timeout: 5000 });
    assert.equal(await page.$$eval('#fleet-table tbody tr.departed', (trs) => trs.length), 1, 'the killed db-1 is lost, not departed');
    assert.equal(await page.textContent('#sum-lost'), '2');
    assert.equal(await page.evaluate(() => document.getElementById('sum-lost')!.closest('.card')!.classList.contains('alert')), true, 'db-1 is still lost');
  });
});
