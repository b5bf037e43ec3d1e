import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNetdevCollector, parseNetDev } from '../../../src/agent/collectors/netdev.js';
import { assertGolden, fixturePaths, run, valueOf } from './golden.js';

const HEADER =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
const ZEROS = ' 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0';

test('parseNetDev handles names with ":" and no space after the colon', () => {
  const devs = parseNetDev(`${HEADER}ibr10:30:${ZEROS}\n  eth0:181234567 2 0 0 0 0 0 0 9 1 0 0 0 0 0 0\n`);
  assert.deepEqual(devs.map((d) => d.device), ['ibr10:30', 'eth0']);
  assert.equal(devs[1]?.stats.get('receive_bytes'), 181234567);
  assert.equal(devs[1]?.stats.get('transmit_bytes'), 9);
  assert.equal(devs[1]?.stats.size, 16);
});

test('parseNetDev rejects a bad header, a short line or a non-number', () => {
  assert.throws(() => parseNetDev('nonsense\nmore nonsense\n'), /unexpected header/);
  assert.throws(() => parseNetDev(`${HEADER}eth0: 1 2 3\n`), /line 3: expected "name: 16 counters"/);
  assert.throws(() => parseNetDev(`${HEADER}eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n`), /line 3/);
  assert.throws(() => parseNetDev(`${HEADER}eth0:${ZEROS.replace(/0$/, 'x')}\n`), /eth0 transmit_compressed\): expected a number, got "x"/);
});

test('netdev collector matches the golden file (lo is kept, as node_exporter does; receive_nohandler from sysfs)', async () => {
  const families = await run(createNetdevCollector(fixturePaths));
  assert.equal(valueOf(families, 'node_network_receive_bytes_total', { device: 'eth0' }), 68210035552);
  assert.equal(valueOf(families, 'node_network_transmit_colls_total', { device: 'eth0' }), 10);
  assert.equal(valueOf(families, 'node_network_transmit_carrier_total', { device: 'eth0' }), 11);
  assert.equal(valueOf(families, 'node_network_receive_bytes_total', { device: 'lo' }), 435303245);
  // rx_nohandler comes from <sys>/class/net/<dev>/statistics; tun0 and ibr10:30 have no such directory there.
  assert.deepEqual(families.find((f) => f.name === 'node_network_receive_nohandler_total')?.samples.map((s) => s.labels?.device).sort(), ['docker0', 'eth0', 'lo']);
  assert.equal(families.length, 17);
  await assertGolden('netdev', families);
});
