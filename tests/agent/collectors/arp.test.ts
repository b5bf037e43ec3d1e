import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createArpCollector, parseArp } from '../../../src/agent/collectors/arp.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

const HEADER = 'IP address       HW type     Flags       HW address            Mask     Device\n';

test('parseArp counts entries per device', () => {
  assert.deepEqual([...parseArp(`${HEADER}10.0.0.1 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n10.0.0.2 0x1 0x0 00:00:00:00:00:00 * eth0\n10.1.0.1 0x1 0x2 aa:bb:cc:dd:ee:01 * br-lan\n`)], [
    ['eth0', 2],
    ['br-lan', 1],
  ]);
  assert.deepEqual([...parseArp(HEADER)], []);
  assert.throws(() => parseArp('garbage\n'), /arp: unexpected header/);
  assert.throws(() => parseArp(`${HEADER}10.0.0.1 0x1 0x2 * eth0\n`), /arp: line 2: expected 6 columns/);
});

test('arp collector on this machine and on node_exporter\'s two-device fixture', async () => {
  await assertGolden('arp', await run(createArpCollector(fixturePaths)));
  const families = await run(createArpCollector(nodeExporterPaths));
  assert.equal(valueOf(families, 'node_arp_entries', { device: 'eth0' }), 3);
  assert.equal(valueOf(families, 'node_arp_entries', { device: 'eth1' }), 3);
  assert.equal(families[0]?.help, 'ARP entries by device');
});
