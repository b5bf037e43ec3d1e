import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { Agent, type ProbeSettings } from '../../src/agent/agent.js';
import { createLogger } from '../../src/log.js';
import type { MetricFamily } from '../../src/protocol/messages.js';
import { fixturePaths } from './collectors/golden.js';

/**
 * An agent over the fixture host whose snapshots are caught at connection.offer(); its bridge
 * address refuses connections, which the agent shrugs off, so no bridge is needed.
 */
async function snapshotsOf(probes: ProbeSettings | undefined, until: (families: MetricFamily[]) => boolean): Promise<MetricFamily[]> {
  const log = createLogger('error');
  const agent = new Agent({
    connection: { bridges: [{ host: '127.0.0.1', port: 1 }], agentId: 'agent-test', agentVersion: 'test', labels: {}, token: undefined, intervalMs: 50, backoff: { initialMs: 1000, maxMs: 1000 }, handshakeTimeoutMs: 1000, log },
    intervalMs: 50,
    collectorTimeoutMs: 1000,
    paths: fixturePaths,
    collectors: ['loadavg'],
    statusFile: undefined,
    probes,
    log,
  });
  let last: MetricFamily[] = [];
  agent.connection.offer = (families) => void (last = families);
  agent.start();
  try {
    const deadline = Date.now() + 5000;
    while (!until(last) && Date.now() < deadline) await sleep(20);
    return last;
  } finally {
    await agent.stop();
  }
}

const collectorsIn = (families: MetricFamily[]): string[] =>
  families.find((f) => f.name === 'node_scrape_collector_success')?.samples.map((s) => s.labels?.collector ?? '') ?? [];
const responderFamilies = (families: MetricFamily[]): string[] => families.map((f) => f.name).filter((n) => n.startsWith('fleetpulse_responder_'));

it('with probes on, the agent sends the responder collector and its families once the responder is bound', async () => {
  const families = await snapshotsOf({ bind: '127.0.0.1', port: 0, advertise: undefined }, (f) => responderFamilies(f).length > 0);
  assert.deepEqual(collectorsIn(families), ['loadavg', 'responder']);
  assert.deepEqual(responderFamilies(families), ['fleetpulse_responder_udp_packets_total', 'fleetpulse_responder_tcp_connections_total', 'fleetpulse_responder_received_bytes_total']);
  const success = families.find((f) => f.name === 'node_scrape_collector_success')!.samples.find((s) => s.labels?.collector === 'responder');
  assert.equal(success?.value, 1);
});

it('with probes off, the agent has no responder collector', async () => {
  const families = await snapshotsOf(undefined, (f) => f.length > 0);
  assert.deepEqual(collectorsIn(families), ['loadavg']);
  assert.deepEqual(responderFamilies(families), []);
});
