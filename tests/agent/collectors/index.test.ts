import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectorFactories, createCollectors } from '../../../src/agent/collectors/index.js';
import { COLLECTOR_NAMES } from '../../../src/config/settings.js';
import { fixturePaths } from './golden.js';

test('every factory builds a collector named after its registry key', () => {
  for (const [name, factory] of Object.entries(collectorFactories)) assert.equal(factory(fixturePaths).name, name);
});

test('createCollectors builds all by default, the named ones otherwise, and refuses unknown names', () => {
  assert.equal(createCollectors(fixturePaths).length, Object.keys(collectorFactories).length);
  assert.deepEqual(createCollectors(fixturePaths, ['meminfo', 'cpu']).map((c) => c.name), ['meminfo', 'cpu']);
  assert.throws(() => createCollectors(fixturePaths, ['cpu', 'gpu']), /unknown collector "gpu"; known: arp, conntrack, cpu, /);
  assert.throws(() => createCollectors(fixturePaths, ['toString']), /unknown collector "toString"/);
});

test('FLEETPULSE_COLLECTORS accepts exactly the host collectors; responder follows FLEETPULSE_PROBES instead', () => {
  assert.deepEqual([...COLLECTOR_NAMES].sort(), Object.keys(collectorFactories).sort());
  assert.ok(!(COLLECTOR_NAMES as readonly string[]).includes('responder'));
});

test('createCollectors hands the field filters to netstat and vmstat', async () => {
  const [netstat, vmstat] = createCollectors(fixturePaths, ['netstat', 'vmstat'], { netstatFields: /^Tcp_MaxConn$/, vmstatFields: /^nr_free_pages$/ });
  const names = async (c: typeof netstat): Promise<string[]> => (await c!.collect(new AbortController().signal)).map((f) => f.name);
  assert.deepEqual(await names(netstat), ['node_netstat_Tcp_MaxConn']);
  assert.deepEqual(await names(vmstat), ['node_vmstat_nr_free_pages']);
});
