import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { getText } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';

// Hostile finding: an agent could advertise any probe.address (a victim, loopback, link-local)
// and peers would dial it. Now peers dial what the bridge observed, unless the operator allows
// more in FLEETPULSE_PROBE_NETWORKS; the real agent's series stay intact throughout.

const bridges: TestBridge[] = [];
after(() => Promise.all(bridges.map((b) => b.stop())));

async function hello(t: TestBridge, id: string, probe: Record<string, unknown>, from: string): Promise<LineClient> {
  const c = await LineClient.connect(t.ingestPort, '127.0.0.1', from);
  c.hello(id, { probe });
  await c.waitFor((m) => m.type === 'welcome');
  return c;
}

it('peers never dial an advertised third party, nor loopback, unless the operator allows it', async () => {
  const strict = await startTestBridge({ probeNetworks: [] });
  bridges.push(strict);
  const real = await hello(strict, 'real', {}, '127.0.0.40');
  real.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [{ name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value: 0.5 }] }] });
  await real.waitFor((m) => m.type === 'ack');

  const abuser = await hello(strict, 'abuser', { address: '203.0.113.9', port: 22 }, '127.0.0.41');
  const notes = await abuser.waitFor((m) => m.code === 'FP_PROBE_ADDRESS' && /loopback/.test(String(m.message)));
  assert.equal(notes.fatal, false);
  assert.ok(abuser.received.some((m) => m.code === 'FP_PROBE_ADDRESS' && /203\.0\.113\.9 is not used/.test(String(m.message))));
  assert.equal(strict.bridge.store.get('abuser')!.probe, undefined, 'no tasks: the observed address is loopback and not allowed');
  assert.equal(abuser.closed, false, 'the agent keeps pushing metrics');
  assert.match((await getText(`${strict.url}/metrics`)).text, /^node_load1\{instance="real"\} 0\.5$/m);
  abuser.close();
  real.close();
});

it('with the network allowed, peers dial the observed address; an advertised one only inside the allowed networks', async () => {
  const t = await startTestBridge({ probeNetworks: ['127.0.0.0/8'] });
  bridges.push(t);
  const liar = await hello(t, 'liar', { address: '169.254.169.254', port: 80 }, '127.0.0.42');
  await liar.waitFor((m) => m.code === 'FP_PROBE_ADDRESS');
  assert.deepEqual(t.bridge.store.get('liar')!.probe, { address: '127.0.0.42', port: 80 }, 'the observed address, never the metadata service');
  const relayed = await hello(t, 'relayed', { address: '127.0.0.99', port: 9702 }, '127.0.0.43');
  assert.deepEqual(t.bridge.store.get('relayed')!.probe, { address: '127.0.0.99', port: 9702 }, 'advertised inside the allowed network');
  assert.ok(!relayed.received.some((m) => m.code === 'FP_PROBE_ADDRESS'));
  liar.close();
  relayed.close();
});
