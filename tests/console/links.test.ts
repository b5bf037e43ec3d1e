import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { killAll, startBridgeProcess } from '../helpers/processes.js';
import { launchBrowser, skipUnlessChromium, type TestBrowser } from './browser.js';

// The console's Grafana link says so when nothing answers there, instead of leading nowhere.

/** Stands in for Grafana's one file the console loads: its logo, served without a login. */
function grafanaStandIn(): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/public/img/grafana_icon.svg') res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
    else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('web console: Prometheus and Grafana links', { skip: skipUnlessChromium() }, () => {
  let grafana: Server;
  let grafanaUrl: string;
  let base: string;
  let browser: TestBrowser | undefined;

  before(async () => {
    grafana = await grafanaStandIn();
    grafanaUrl = `http://127.0.0.1:${(grafana.address() as AddressInfo).port}`;
    const { httpPort } = await startBridgeProcess({ FLEETPULSE_GRAFANA_URL: grafanaUrl });
    base = `http://127.0.0.1:${httpPort}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await killAll();
    grafana.close();
  });

  const linkState = () => browser!.page.$eval('#link-grafana', (a) => ({ text: a.textContent, unreachable: a.classList.contains('unreachable'), answers: (a as HTMLElement).dataset.answers, href: a.getAttribute('href'), title: a.getAttribute('title') }));

  it('links to the Grafana dashboards while Grafana answers', async () => {
    await browser!.page.goto(base);
    // The check is an image load: wait until it has come back either way.
    await browser!.page.waitForSelector('#link-grafana[data-answers]', { state: 'attached' });
    assert.deepEqual(await linkState(), { text: 'Grafana', unreachable: false, answers: 'yes', href: `${grafanaUrl}/d/fleetpulse-overview`, title: null });
  });

  it('marks the link "not answering" when nothing answers at FLEETPULSE_GRAFANA_URL', async () => {
    await new Promise((resolve) => grafana.close(resolve));
    grafana.closeAllConnections();
    await browser!.page.reload();
    await browser!.page.waitForSelector('#link-grafana[data-answers="no"]', { state: 'attached' });
    const state = await linkState();
    assert.equal(state.text, 'Grafana (not answering)');
    assert.match(state.title!, /nothing answers as Grafana at http:\/\/127\.0\.0\.1:\d+; is it running, and is FLEETPULSE_GRAFANA_URL/);
  });
});
