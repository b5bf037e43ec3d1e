import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson } from '../helpers/http.js';
import { killAll, runCli, startBridgeProcess } from '../helpers/processes.js';
import { launchBrowser, skipUnlessChromium, type TestBrowser } from './browser.js';

// The tasks page in a real browser: a bridge with an admin token and three real agents
// (child processes), a latency task created through the form, its results in the matrix.

const ADMIN_TOKEN = 'console-test-admin-token';
const AGENTS = ['probe-a', 'probe-b', 'probe-c'];

interface Task {
  id: string;
  name: string;
  status: string;
  results: { src: string; dst: string; ok: boolean }[];
}

/** A datetime-local value for a Date, in the browser's zone (the test and chromium share TZ). */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

describe('web console: tasks page', { skip: skipUnlessChromium() }, () => {
  let httpPort: number;
  let dataDir: string;
  let browser: TestBrowser | undefined;
  const url = () => `http://127.0.0.1:${httpPort}`;
  const tasks = async () => (await getJson<{ data: Task[] }>(`${url()}/api/tasks`)).data;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fleetpulse-console-tasks-'));
    const bridge = await startBridgeProcess({
      FLEETPULSE_HEARTBEAT: '1s',
      FLEETPULSE_ADMIN_TOKEN: ADMIN_TOKEN,
      FLEETPULSE_DATA_DIR: dataDir,
      FLEETPULSE_GRAFANA_URL: 'http://grafana.example:3000',
      // Every agent here is on loopback, which peers never dial unless allowed.
      FLEETPULSE_PROBE_NETWORKS: '127.0.0.0/8',
    });
    httpPort = bridge.httpPort;
    const ingestPort = bridge.ingestPort;
    for (const id of AGENTS) {
      // Three agents on one host: each its own probe responder port, whichever the kernel gives.
      runCli(['agent'], {
        FLEETPULSE_SERVER: `127.0.0.1:${ingestPort}`,
        FLEETPULSE_AGENT_ID: id,
        FLEETPULSE_INTERVAL: '500ms',
        FLEETPULSE_PROBE_PORT: '0',
        FLEETPULSE_STATUS_FILE: join(dataDir, `${id}.status.json`),
      });
    }
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await killAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function fillForm(name: string, start: Date, end: Date, token = ADMIN_TOKEN): Promise<void> {
    const { page } = browser!;
    await page.fill('input[name="name"]', name);
    await page.fill('textarea[name="description"]', 'Made by the console browser test');
    await page.check('input[name="type"][value="latency"]', { force: true });
    for (const id of AGENTS) await page.check(`#member-list input[value="${id}"]`);
    await page.fill('input[name="start"]', localInput(start));
    await page.fill('input[name="end"]', localInput(end));
    await page.fill('input[name="period"]', '10');
    await page.selectOption('select[name="unit"]', 'seconds');
    await page.fill('input[name="count"]', '5');
    await page.fill('input[name="interval_ms"]', '10');
    await page.fill('#token', token);
  }

  it('lists the connected agents as members to pick', async () => {
    const { page } = browser!;
    await page.goto(`${url()}/#tasks`);
    await page.waitForFunction((n) => document.querySelectorAll('#member-list .member:not(.lost)').length === n, AGENTS.length);
    assert.deepEqual(await page.$$eval('#member-list input', (boxes) => boxes.map((b) => (b as HTMLInputElement).value)), AGENTS);
    assert.equal(await page.textContent('#task-list .empty'), 'No tasks yet. Create one with the form.');
  });

  it('shows the API\'s validation error next to the form when the end is before the start', async () => {
    const { page } = browser!;
    const now = new Date();
    await fillForm('console-bad', now, new Date(now.getTime() - 3600_000));
    await page.click('#task-form button[type="submit"]');
    await page.waitForSelector('#form-error:not([hidden])');
    const text = await page.textContent('#form-error');
    assert.match(text!, /The task was not created/);
    assert.match(text!, /end/i);
    assert.equal(await page.getAttribute('input[name="end"]', 'aria-invalid'), 'true');
    assert.equal((await tasks()).length, 0, 'nothing was created');
    await browser!.screenshot('tasks-validation-error.png');
  });

  it('refuses a wrong admin token with a clear message', async () => {
    const { page } = browser!;
    const now = new Date();
    await fillForm('console-token', now, new Date(now.getTime() + 3600_000), 'not-the-token');
    await page.click('#task-form button[type="submit"]');
    await page.waitForFunction(() => /Not allowed/.test(document.getElementById('form-error')!.textContent ?? ''));
    assert.equal(await page.getAttribute('#token', 'aria-invalid'), 'true');
    assert.equal((await tasks()).length, 0);
  });

  it('creates a latency task through the form and shows its results as a matrix', async () => {
    const { page } = browser!;
    const now = new Date();
    await fillForm('console-latency', now, new Date(now.getTime() + 3600_000));
    await page.click('#task-form button[type="submit"]');
    await page.waitForSelector('#form-notice:not([hidden])');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('fleetpulse.adminToken')), ADMIN_TOKEN, 'token kept for the tab');
    const [task] = await tasks();
    assert.equal(task!.name, 'console-latency');
    const card = `article.task[data-task="${task!.id}"]`;
    await page.waitForSelector(card);
    assert.equal(await page.textContent(`${card} h3`), 'console-latency');
    assert.equal(await page.getAttribute(`${card} a.ext`, 'href'), `http://grafana.example:3000/d/fleetpulse-network?var-task=${task!.id}`);
    // All six ordered pairs measured: every off-diagonal cell holds an RTT and a loss figure.
    await page.waitForFunction((sel) => {
      const cells = [...document.querySelectorAll(`${sel} table.matrix tbody td:not(.diag)`)];
      return cells.length === 6 && cells.every((td) => td.classList.contains('ok') || td.classList.contains('warn'));
    }, card);
    const cells = await page.$$eval(`${card} table.matrix tbody td:not(.diag)`, (tds) => tds.map((td) => td.textContent));
    for (const text of cells) assert.match(text!, /^[\d.]+ ms[\d.]+ % loss$/);
    assert.match(await page.textContent(`${card} .badge.status`) ?? '', /running|scheduled/);
    await browser!.screenshot('tasks-results.png');
  });

  it('deletes a task with the two-step delete button', async () => {
    const { page } = browser!;
    const [task] = await tasks();
    const card = `article.task[data-task="${task!.id}"]`;
    await page.click(`${card} button.danger`);
    // Armed, whether or not new results rebuilt the card meanwhile.
    await page.waitForSelector(`${card} button.danger.armed`);
    assert.equal(await page.textContent(`${card} button.danger`), 'Confirm delete');
    await page.click(`${card} button.danger`);
    await page.waitForSelector(card, { state: 'detached' });
    assert.equal((await tasks()).length, 0);
  });

  it('runs under the strict Content-Security-Policy without errors', async () => {
    // grafana.example does not resolve: the console's check whether Grafana answers fails, as it should.
    assert.deepEqual(browser!.errors.filter((e) => e !== 'console: Failed to load resource: net::ERR_NAME_NOT_RESOLVED'), []);
    assert.equal(await browser!.page.getAttribute('#link-grafana', 'data-answers'), 'no');
  });
});
