import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REMOTE_WRITE_DEFAULTS } from '../../src/server/remote-write/remote-write-options.js';
import { startTestBridge, type TestBridge } from '../helpers/bridge.js';
import { eventually, getText } from '../helpers/http.js';
import { LineClient } from '../helpers/line-client.js';
import { skipUnlessInstalled, startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';
import { killAll, runCli, startBridgeProcess } from '../helpers/processes.js';
import { removeAllVictoriaMetrics, skipUnlessVictoriaMetrics, startVictoriaMetrics } from '../helpers/victoria-metrics.js';

// The bridge's remote_write against real receivers: Debian's VictoriaMetrics and Prometheus
// with its remote-write receiver. What they store must be what the agent sent (its values, its
// timestamps, a replayed older batch too) under the labels /metrics shows, plus job.

const statusDir = mkdtempSync(join(tmpdir(), 'fp-rw-e2e-'));
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await killAll();
  await removeAllVictoriaMetrics();
  rmSync(statusDir, { recursive: true, force: true });
});

function metrics(seq: number, timestampMs: number, load: number) {
  return {
    type: 'metrics',
    seq,
    timestamp_ms: timestampMs,
    families: [
      { name: 'node_load1', type: 'gauge', help: 'load', samples: [{ value: load }] },
      { name: 'node_filesystem_avail_bytes', type: 'gauge', help: 'avail', samples: [{ labels: { mountpoint: '/mnt/a "quoted" \\ dir', device: '/dev/sda1' }, value: seq * 1024 }] },
    ],
  };
}

const isAck = (seq: number) => (m: Record<string, unknown>) => m.type === 'ack' && m.seq === seq;

/** A bridge writing to `url`, and a raw agent `web-1` (static label env=prod) connected to it. */
async function bridgeAndAgent(url: string): Promise<{ bridge: TestBridge; agent: LineClient }> {
  const bridge = await startTestBridge({ remoteWrite: { ...REMOTE_WRITE_DEFAULTS, urls: [url], externalLabels: { region: 'eu' }, retryMinMs: 50, retryMaxMs: 500 } });
  cleanup.push(() => bridge.stop());
  const agent = await LineClient.connect(bridge.ingestPort);
  cleanup.push(() => void agent.socket.destroy());
  agent.hello('web-1', { labels: { env: 'prod' } });
  await agent.waitFor((m) => m.type === 'welcome');
  return { bridge, agent };
}

describe('remote_write into VictoriaMetrics', { skip: skipUnlessVictoriaMetrics() }, () => {
  it('stores each batch with the agent\'s timestamps and /metrics labels, a replayed older one too', async () => {
    const vm = await startVictoriaMetrics();
    const { bridge, agent } = await bridgeAndAgent(vm.writeUrl);
    const now = Date.now();
    agent.send(metrics(1, now, 1));
    agent.send(metrics(2, now + 1000, 2));
    agent.send(metrics(3, now - 30_000, 0.5)); // a replay from the agent's outbox
    for (const seq of [1, 2, 3]) await agent.waitFor(isAck(seq), 30_000);
    assert.match((await getText(`${bridge.url}/metrics`)).text, /^node_load1\{instance="web-1",env="prod"\} 2$/m, '/metrics shows the newest batch');
    const window = { fromMs: now - 60_000, toMs: now + 60_000 };
    const [load] = await vm.exportSeries('node_load1{instance="web-1"}', window);
    assert.ok(load, 'VictoriaMetrics has the series');
    assert.deepEqual(load.metric, { __name__: 'node_load1', instance: 'web-1', env: 'prod', job: 'fleetpulse', region: 'eu' });
    const byTime = load.timestamps.map((t, i) => [t, load.values[i]]).sort((a, b) => a[0]! - b[0]!);
    assert.deepEqual(byTime, [[now - 30_000, 0.5], [now, 1], [now + 1000, 2]]);
    const [fs] = await vm.exportSeries('node_filesystem_avail_bytes{instance="web-1"}', window);
    assert.equal(fs?.metric.mountpoint, '/mnt/a "quoted" \\ dir', 'label values arrive unescaped, as the agent sent them');
    assert.equal(fs?.metric.device, '/dev/sda1');
  });

  it('fleetpulse server with FLEETPULSE_REMOTE_WRITE_URL relays a real agent\'s batches', async () => {
    const vm = await startVictoriaMetrics();
    const bridge = await startBridgeProcess({ FLEETPULSE_REMOTE_WRITE_URL: vm.writeUrl, FLEETPULSE_REMOTE_WRITE_EXTERNAL_LABELS: 'site=lab' });
    const started = Date.now();
    runCli(['agent'], {
      FLEETPULSE_SERVER: `127.0.0.1:${bridge.ingestPort}`,
      FLEETPULSE_AGENT_ID: 'rw-agent',
      FLEETPULSE_INTERVAL: '500ms',
      FLEETPULSE_COLLECTOR_TIMEOUT: '10s',
      FLEETPULSE_COLLECTORS: 'loadavg',
      FLEETPULSE_PROBES: 'off',
      FLEETPULSE_STATUS_FILE: join(statusDir, 'rw-agent.json'),
    });
    const stamps = await eventually(async () => {
      const found = await vm.timestampsOf('node_load1{instance="rw-agent",job="fleetpulse",site="lab"}', { fromMs: started - 1000, toMs: Date.now() + 60_000 });
      return found.length >= 3 && found;
    }, 60_000, 'three batches of the agent in VictoriaMetrics');
    assert.equal(new Set(stamps).size, stamps.length, 'each batch has its own timestamp');
    const own = await getText(`http://127.0.0.1:${bridge.httpPort}/metrics`);
    const sent = new RegExp(`^fleetpulse_remote_write_samples_sent_total\\{url="${vm.writeUrl.replace(/[.]/g, '\\.')}"\\} (\\d+)$`, 'm').exec(own.text);
    assert.ok(sent && Number(sent[1]) >= 3, `samples sent counted per URL: ${own.text.split('\n').filter((l) => l.includes('remote_write')).join('\n')}`);
  });
});

describe('remote_write into Prometheus (--web.enable-remote-write-receiver)', { skip: skipUnlessInstalled('prometheus') }, () => {
  async function receiver(outOfOrderWindow: string | undefined): Promise<TestPrometheus> {
    const config = outOfOrderWindow === undefined ? '' : `storage:\n  tsdb:\n    out_of_order_time_window: ${outOfOrderWindow}\n`;
    const prometheus = await startPrometheus(undefined, config, ['--web.enable-remote-write-receiver']);
    cleanup.push(() => prometheus.stop());
    return prometheus;
  }

  async function rawSamples(prometheus: TestPrometheus, atMs: number): Promise<[number, number][]> {
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('node_load1{instance="web-1",job="fleetpulse"}[10m]')}&time=${atMs / 1000}`);
    const body = (await res.json()) as { data: { result: { values: [number, string][] }[] } };
    return (body.data.result[0]?.values ?? []).map(([t, v]) => [Math.round(t * 1000), Number(v)]);
  }

  it('with an out_of_order_time_window, a replayed older batch fills in behind the newer one', async () => {
    const prometheus = await receiver('30m');
    const { agent } = await bridgeAndAgent(`${prometheus.url}/api/v1/write`);
    const now = Date.now();
    agent.send(metrics(1, now, 1));
    await agent.waitFor(isAck(1), 30_000);
    agent.send(metrics(2, now - 60_000, 0.25));
    await agent.waitFor(isAck(2), 30_000);
    assert.deepEqual(await rawSamples(prometheus, now + 1000), [[now - 60_000, 0.25], [now, 1]]);
  });

  it('without one, Prometheus refuses the older batch (400): dropped, counted, acked, and the next goes through', async () => {
    const prometheus = await receiver(undefined);
    const { bridge, agent } = await bridgeAndAgent(`${prometheus.url}/api/v1/write`);
    const now = Date.now();
    agent.send(metrics(1, now, 1));
    await agent.waitFor(isAck(1), 30_000);
    agent.send(metrics(2, now - 60_000, 0.25));
    await agent.waitFor(isAck(2), 30_000);
    agent.send(metrics(3, now + 1000, 3));
    await agent.waitFor(isAck(3), 30_000);
    assert.deepEqual(await rawSamples(prometheus, now + 2000), [[now, 1], [now + 1000, 3]]);
    const own = (await getText(`${bridge.url}/metrics`)).text;
    assert.match(own, /^fleetpulse_remote_write_samples_dropped_total\{url="[^"]+",reason="rejected"\} 2$/m, 'both samples of the refused batch counted');
  });
});
