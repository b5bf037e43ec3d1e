import assert from 'node:assert/strict';
import { statfsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  createFilesystemCollector,
  decodeMountField,
  isExcluded,
  parseMounts,
  stripRoot,
  type FsStats,
  type StatfsFn,
} from '../../../src/agent/collectors/filesystem.js';
import { assertGolden, fixturePaths, run, valueOf } from './golden.js';

const STATS: FsStats = { bsize: 4096, blocks: 2621440, bfree: 1310720, bavail: 1200000, files: 655360, ffree: 600000 };
const never = new Promise<FsStats>(() => {});

test('decodeMountField decodes the kernel octal escapes', () => {
  assert.equal(decodeMountField('/mnt/My\\040Disk'), '/mnt/My Disk');
  assert.equal(decodeMountField('/a\\011b\\012c\\134d'), '/a\tb\nc\\d');
  assert.equal(decodeMountField('/plain'), '/plain');
});

test('parseMounts reads fields and rejects short lines', () => {
  assert.deepEqual(parseMounts('/dev/sda1 /mnt/a\\040b ext4 ro,relatime 0 0\n\n'), [
    { device: '/dev/sda1', mountPoint: '/mnt/a b', fsType: 'ext4', options: ['ro', 'relatime'] },
  ]);
  assert.throws(() => parseMounts('/dev/sda1 /mnt ext4\n'), /line 1: expected at least 4 fields/);
});

test('stripRoot reports mount points relative to the root, on whole path components only', () => {
  assert.equal(stripRoot('/data', '/'), '/data');
  assert.equal(stripRoot('/host/root', '/host/root'), '/');
  assert.equal(stripRoot('/host/root/data', '/host/root/'), '/data');
  assert.equal(stripRoot('/host/rootless', '/host/root'), '/host/rootless');
  assert.equal(stripRoot('/data', '/host/root'), '/data');
});

test("isExcluded uses node_exporter's default fs types and mount points", () => {
  for (const [mp, type] of [['/', 'overlay'], ['/x', 'cgroup2'], ['/x', 'erofs'], ['/dev/shm', 'tmpfs'], ['/sys', 'sysfs'], ['/run/credentials/a.service', 'tmpfs'], ['/var/lib/docker/overlay2/x', 'ext4']]) {
    assert.ok(isExcluded(mp!, type!), `${mp} ${type}`);
  }
  for (const [mp, type] of [['/', 'ext4'], ['/run', 'tmpfs'], ['/var/lib/docker', 'ext4'], ['/device', 'ext4'], ['/run/credentials', 'tmpfs']]) {
    assert.ok(!isExcluded(mp!, type!), `${mp} ${type}`);
  }
});

test('filesystem collector matches the golden file (fake statfs: one error, one hung NFS mount)', async () => {
  const statfs: StatfsFn = async (path) => {
    if (path === '/mnt/nfs') return never;
    if (path === '/boot') throw new Error('ENOENT: no such file or directory');
    if (path === '/var/lib/docker') return { bsize: 1024, blocks: 500, bfree: 100, bavail: 50, files: 10, ffree: 5 };
    return STATS;
  };
  const families = await run(createFilesystemCollector({ ...fixturePaths, root: '/' }, { statfs, mountTimeoutMs: 20 }));
  const root = { device: '/dev/dm-2', fstype: 'ext4', mountpoint: '/' };
  assert.equal(valueOf(families, 'node_filesystem_size_bytes', root), 2621440 * 4096);
  assert.equal(valueOf(families, 'node_filesystem_avail_bytes', root), 1200000 * 4096);
  assert.equal(valueOf(families, 'node_filesystem_free_bytes', { mountpoint: '/var/lib/docker' }), 100 * 1024);
  assert.equal(valueOf(families, 'node_filesystem_readonly', { mountpoint: '/mnt/My Disk' }), 1);
  assert.equal(valueOf(families, 'node_filesystem_device_error', { mountpoint: '/mnt/nfs' }), 1);
  assert.equal(valueOf(families, 'node_filesystem_size_bytes', { mountpoint: '/mnt/nfs' }), undefined);
  assert.equal(families.find((f) => f.name === 'node_filesystem_device_error')?.samples.filter((s) => s.labels?.mountpoint === '/boot').length, 1, 'stacked mount reported once');
  await assertGolden('filesystem', families);
});

test('a statfs that never returns marks the mount stuck until the call returns', async () => {
  let release: (s: FsStats) => void = () => {};
  const hung = new Promise<FsStats>((resolve) => (release = resolve));
  const calls: string[] = [];
  const statfs: StatfsFn = (path) => {
    calls.push(path);
    return path === '/host/mnt/nfs' ? hung : Promise.resolve(STATS);
  };
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-fs-'));
  try {
    await mkdir(join(dir, '1'));
    await writeFile(join(dir, '1', 'mounts'), '/dev/vda / ext4 rw 0 0\nsrv:/x /mnt/nfs nfs4 rw 0 0\n');
    const collector = createFilesystemCollector({ proc: dir, sys: dir, root: '/host' }, { statfs, mountTimeoutMs: 30 });
    const nfs = { device: 'srv:/x', fstype: 'nfs4', mountpoint: '/mnt/nfs' };

    const first = await run(collector);
    assert.equal(valueOf(first, 'node_filesystem_device_error', nfs), 1);
    assert.equal(valueOf(first, 'node_filesystem_size_bytes', { mountpoint: '/' }), 2621440 * 4096);

    const second = await run(collector);
    assert.equal(valueOf(second, 'node_filesystem_device_error', nfs), 1);
    assert.equal(calls.filter((p) => p === '/host/mnt/nfs').length, 1, 'no second statfs on a stuck mount');

    release(STATS);
    await hung;
    await new Promise((r) => setImmediate(r));
    const third = await run(collector);
    assert.equal(valueOf(third, 'node_filesystem_device_error', nfs), 0);
    assert.equal(valueOf(third, 'node_filesystem_size_bytes', nfs), 2621440 * 4096);
    assert.equal(calls.filter((p) => p === '/host/mnt/nfs').length, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an aborted run leaves pending statfs calls marked stuck', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-fs-'));
  try {
    await writeFile(join(dir, 'mounts'), 'srv:/x /mnt/nfs nfs4 rw 0 0\n'); // no 1/mounts: the fallback
    const calls: string[] = [];
    let statfsCalled!: () => void;
    const reachedStatfs = new Promise<void>((resolve) => { statfsCalled = resolve; });
    const collector = createFilesystemCollector({ proc: dir, sys: dir, root: '/' }, {
      statfs: (p) => (calls.push(p), statfsCalled(), never),
      mountTimeoutMs: 60_000,
    });
    const controller = new AbortController();
    const pending = collector.collect(controller.signal);
    // Abort once the run waits on statfs: a fixed delay could fire while mounts is still being read.
    await reachedStatfs;
    controller.abort(new Error('collector timeout'));
    await assert.rejects(pending, /collector timeout/);
    const families = await run(collector);
    assert.equal(valueOf(families, 'node_filesystem_device_error', { mountpoint: '/mnt/nfs' }), 1);
    assert.equal(calls.length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('statfs of the real "/" matches statfsSync', async () => {
  const families = await run(createFilesystemCollector({ proc: '/proc', sys: '/sys', root: '/' }));
  const sizes = families.find((f) => f.name === 'node_filesystem_size_bytes')?.samples.filter((s) => s.labels?.mountpoint === '/') ?? [];
  if (sizes.length === 0) {
    // e.g. a container whose "/" is overlay, which node_exporter's defaults exclude.
    const rootType = parseMounts(await readFile('/proc/1/mounts', 'utf8')).find((m) => m.mountPoint === '/')?.fsType;
    assert.ok(rootType !== undefined && isExcluded('/', rootType), `no "/" reported although its type is ${rootType}`);
    return;
  }
  const st = statfsSync('/');
  for (const s of sizes) assert.equal(s.value, st.blocks * st.bsize);
  assert.equal(valueOf(families, 'node_filesystem_files', { mountpoint: '/' }), st.files);
  assert.equal(valueOf(families, 'node_filesystem_device_error', { mountpoint: '/' }), 0);
});
