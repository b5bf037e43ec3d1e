import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createNetclassCollector, netClassFamilies } from '../../../src/agent/collectors/netclass.js';
import { assertGolden, fixturePaths, run, valueOf } from './golden.js';

test('netclass: speed in bytes/s, -1 (unknown) kept as node_exporter does, missing attributes left out', () => {
  const families = netClassFamilies(new Map([
    ['eth1', new Map([['speed', '1000'], ['operstate', 'up'], ['flags', '0x1003'], ['mtu', '9000']])],
    ['eth2', new Map([['speed', '-1'], ['operstate', 'down'], ['flags', '0x1002']])],
    ['lo', new Map([['operstate', 'unknown']])],
  ]));
  assert.equal(valueOf(families, 'node_network_speed_bytes', { device: 'eth1' }), 125_000_000);
  assert.equal(valueOf(families, 'node_network_speed_bytes', { device: 'eth2' }), -125_000);
  assert.equal(valueOf(families, 'node_network_speed_bytes', { device: 'lo' }), undefined);
  assert.equal(valueOf(families, 'node_network_up', { device: 'eth1' }), 1);
  assert.equal(valueOf(families, 'node_network_up', { device: 'lo' }), 0);
  assert.equal(valueOf(families, 'node_network_info', { device: 'eth1', adminstate: 'up', operstate: 'up', duplex: '' }), 1);
  assert.equal(valueOf(families, 'node_network_info', { device: 'eth2', adminstate: 'down' }), 1);
  assert.equal(valueOf(families, 'node_network_info', { device: 'lo', adminstate: 'unknown' }), 1);
  assert.equal(families.find((f) => f.name === 'node_network_mtu_bytes')?.samples.length, 1);
  assert.equal(families.find((f) => f.name === 'node_network_carrier'), undefined, 'no family without samples');
});

test('netclass: a non-numeric attribute fails the collector with the file named', () => {
  assert.throws(() => netClassFamilies(new Map([['eth0', new Map([['mtu', 'lots']])]])), /eth0\/mtu: expected an integer, got "lots"/);
});

test('netclass collector matches the golden file (this host\'s /sys/class/net: virtio eth0, lo, docker0, ifb0)', async () => {
  const families = await run(createNetclassCollector(fixturePaths));
  assert.equal(valueOf(families, 'node_network_mtu_bytes', { device: 'eth0' }), 1400);
  assert.equal(valueOf(families, 'node_network_up', { device: 'eth0' }), 1);
  assert.equal(valueOf(families, 'node_network_carrier', { device: 'ifb0' }), undefined, 'carrier of a down ifb reads EINVAL: left out');
  assert.equal(families.find((f) => f.name === 'node_network_carrier_changes_total')?.type, 'counter');
  await assertGolden('netclass', families);
});

test('netclass reads through the class/net symlinks of a real sysfs the same as through directories', async () => {
  // Real sysfs: class/net/<iface> -> ../../devices/.../net/<iface>; the fixture tree has plain
  // directories. The same attributes behind a symlink must give the same families.
  const root = mkdtempSync(join(tmpdir(), 'fleetpulse-netclass-'));
  try {
    const classNet = join(root, 'class', 'net');
    mkdirSync(classNet, { recursive: true });
    mkdirSync(join(root, 'devices', 'virtual', 'net'), { recursive: true });
    for (const iface of readdirSync(join(fixturePaths.sys, 'class', 'net'))) {
      const device = join(root, 'devices', 'virtual', 'net', iface);
      cpSync(join(fixturePaths.sys, 'class', 'net', iface), device, { recursive: true });
      symlinkSync(join('..', '..', 'devices', 'virtual', 'net', iface), join(classNet, iface));
    }
    const viaLinks = await run(createNetclassCollector({ ...fixturePaths, sys: root }));
    assert.deepEqual(viaLinks, await run(createNetclassCollector(fixturePaths)));
    assert.ok(viaLinks.length > 5);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
