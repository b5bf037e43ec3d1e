import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDiskstatsCollector, DEFAULT_DEVICE_EXCLUDE, parseDiskstats } from '../../../src/agent/collectors/diskstats.js';
import { assertGolden, fixturePaths, run, valueOf } from './golden.js';

test('parseDiskstats keeps every kernel column after the name', () => {
  const [disk] = parseDiskstats('   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n');
  assert.deepEqual(disk, { device: 'sda', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] });
});

test('parseDiskstats rejects short or non-numeric lines', () => {
  assert.throws(() => parseDiskstats('8 0 sda 1 2 3\n'), /line 1: expected major, minor, name and at least 11 counters/);
  assert.throws(() => parseDiskstats('8 0 sda 1 2 3 4 5 6 7 8 9 10 -\n'), /line 1 \(sda field 11\): expected a number, got "-"/);
});

test("the default exclude is node_exporter's: partitions, ram, loop, floppy", () => {
  for (const dev of ['sda1', 'vda1', 'xvda2', 'nvme0n1p1', 'ram0', 'zram0', 'loop7', 'fd0']) assert.ok(DEFAULT_DEVICE_EXCLUDE.test(dev), dev);
  for (const dev of ['sda', 'vda', 'nvme0n1', 'dm-0', 'mmcblk0', 'md0']) assert.ok(!DEFAULT_DEVICE_EXCLUDE.test(dev), dev);
});

test('diskstats collector matches the golden file', async () => {
  const families = await run(createDiskstatsCollector(fixturePaths));
  // Hand checks against tests/fixtures/proc/diskstats.
  assert.equal(valueOf(families, 'node_disk_read_bytes_total', { device: 'sda' }), 1003346126 * 512);
  assert.equal(valueOf(families, 'node_disk_read_time_seconds_total', { device: 'sda' }), 18492.372);
  assert.equal(valueOf(families, 'node_disk_io_now', { device: 'sdc' }), 3);
  assert.equal(valueOf(families, 'node_disk_discarded_sectors_total', { device: 'sdb' }), 1925173784);
  assert.equal(valueOf(families, 'node_disk_flush_requests_total', { device: 'sdb' }), undefined, 'sdb has no flush columns');
  assert.equal(valueOf(families, 'node_disk_flush_requests_time_seconds_total', { device: 'vda' }), 0.066);
  assert.equal(valueOf(families, 'node_disk_reads_completed_total', { device: 'sda1' }), undefined, 'partitions excluded');
  await assertGolden('diskstats', families);
});
