import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestBridge } from '../../helpers/bridge.js';

describe('GET /api/console-config', () => {
  it('gives the console its links and the bridge clock', async () => {
    const bridge = await startTestBridge({ prometheusUrl: 'http://prom.example:9090', grafanaUrl: 'https://grafana.example' });
    try {
      const before = Date.now();
      const body = (await (await fetch(`${bridge.url}/api/console-config`)).json()) as { status: string; data: Record<string, string> };
      assert.equal(body.status, 'success');
      assert.equal(body.data.prometheus_url, 'http://prom.example:9090');
      assert.equal(body.data.grafana_url, 'https://grafana.example');
      assert.match(body.data.version!, /^\d+\.\d+\.\d+/);
      assert.ok(Math.abs(Date.parse(body.data.server_time!) - before) < 5000);
    } finally {
      await bridge.stop();
    }
  });

  it('says null for links that are not configured', async () => {
    const bridge = await startTestBridge();
    try {
      const { data } = (await (await fetch(`${bridge.url}/api/console-config`)).json()) as { data: Record<string, unknown> };
      assert.equal(data.prometheus_url, null);
      assert.equal(data.grafana_url, null);
    } finally {
      await bridge.stop();
    }
  });
});
