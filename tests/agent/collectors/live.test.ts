// Runs the collectors against this machine's real /proc and /sys and checks them against
// what /proc says around the same moment. No timing assertions: the machine is noisy.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { test } from 'node:test';
import { collectAll } from '../../../src/agent/collect-all.js';
import { createCpuCollector } from '../../../src/agent/collectors/cpu.js';
import { createDiskstatsCollector, DEFAULT_DEVICE_EXCLUDE, parseDiskstats } from '../../../src/agent/collectors/diskstats.js';
import { createFilesystemCollector, isExcluded, parseMounts } from '../../../src/agent/collectors/filesystem.js';
import { createCollectors } from '../../../src/agent/collectors/index.js';
import { createMeminfoCollector } from '../../../src/agent/collectors/meminfo.js';
import { createNetdevCollector, parseNetDev } from '../../../src/agent/collectors/netdev.js';
import { createProcessCollector } from '../../../src/agent/collectors/process.js';
import { createStatCollector } from '../../../src/agent/collectors/stat.js';
import { createTimeCollector } from '../../../src/agent/collectors/time.js';
import type { HostPaths } from '../../../src/agent/collectors/types.js';
import { run, valueOf } from './golden.js';

const host: HostPaths = { proc: '/proc', sys: '/sys', root: '/' };
const proc = (file: string): Promise<string> => readFile(`/proc/${file}`, 'utf8');

// Kernel features some hosts lack; there the collector must fail and say so, as node_exporter's.
const OPTIONAL_FEATURES: Record<string, { file: string; reason: RegExp }> = {
  conntrack: { file: '/proc/sys/net/netfilter/nf_conntrack_count', reason: /nf_conntrack module is not loaded/ },
  pressure: { file: '/proc/pressure', reason: /no pressure information/ },
};

test('live: every collector succeeds on this machine, but for kernel features it lacks', async () => {
  const { failures } = await collectAll(createCollectors(host), { timeoutMs: 10_000 });
  const unexpected = failures.filter(({ collector, error }) => {
    const feature = OPTIONAL_FEATURES[collector];
    return feature === undefined || existsSync(feature.file) || !feature.reason.test(error);
  });
  assert.deepEqual(unexpected, []);
});

test('live: MemTotal is exactly /proc/meminfo kB × 1024', async () => {
  const kB = Number(/^MemTotal:\s+(\d+) kB$/m.exec(await proc('meminfo'))?.[1]);
  const families = await run(createMeminfoCollector(host));
  assert.equal(valueOf(families, 'node_memory_MemTotal_bytes'), kB * 1024);
  const used = valueOf(families, 'fleetpulse_memory_used_percent');
  assert.ok(typeof used === 'number' && used > 0 && used < 100);
});

test('live: boot time is exactly btime, and one cpu label per os.cpus() entry', async () => {
  const btime = Number(/^btime (\d+)$/m.exec(await proc('stat'))?.[1]);
  assert.equal(valueOf(await run(createStatCollector(host)), 'node_boot_time_seconds'), btime);
  const cpu = (await run(createCpuCollector(host))).find((f) => f.name === 'node_cpu_seconds_total');
  const cpus = new Set(cpu?.samples.map((s) => s.labels?.cpu));
  assert.equal(cpus.size, os.cpus().length);
});

test('live: network counters lie between two reads of /proc/net/dev', async () => {
  const before = parseNetDev(await proc('net/dev'));
  const families = await run(createNetdevCollector(host));
  const after = parseNetDev(await proc('net/dev'));
  assert.ok(before.length > 0);
  for (const { device, stats } of before) {
    const later = after.find((d) => d.device === device)?.stats;
    if (later === undefined) continue; // interface removed meanwhile
    for (const key of ['receive_bytes', 'transmit_bytes', 'receive_packets', 'transmit_packets']) {
      const value = valueOf(families, `node_network_${key}_total`, { device });
      assert.ok(typeof value === 'number', `${device} ${key} reported`);
      assert.ok(stats.get(key)! <= value && value <= later.get(key)!, `${device} ${key}: ${stats.get(key)} <= ${value} <= ${later.get(key)}`);
    }
  }
});

test('live: one disk per non-excluded /proc/diskstats line, counters between two reads', async () => {
  const before = parseDiskstats(await proc('diskstats')).filter((d) => !DEFAULT_DEVICE_EXCLUDE.test(d.device));
  const families = await run(createDiskstatsCollector(host));
  const after = parseDiskstats(await proc('diskstats'));
  const reads = families.find((f) => f.name === 'node_disk_reads_completed_total');
  assert.deepEqual(reads?.samples.map((s) => s.labels?.device).sort(), before.map((d) => d.device).sort());
  for (const { device, values } of before) {
    const value = valueOf(families, 'node_disk_reads_completed_total', { device });
    const later = after.find((d) => d.device === device)?.values[0];
    assert.ok(typeof value === 'number' && values[0]! <= value && value <= later!, device);
  }
});

test('live: "/" has a filesystem with size > 0 unless its type is excluded', async () => {
  const families = await run(createFilesystemCollector(host));
  const rootMount = parseMounts(await proc('1/mounts').catch(() => proc('mounts'))).filter((m) => m.mountPoint === '/').at(-1);
  if (rootMount !== undefined && isExcluded('/', rootMount.fsType)) return; // e.g. overlay in a container
  const size = valueOf(families, 'node_filesystem_size_bytes', { mountpoint: '/' });
  assert.ok(typeof size === 'number' && size > 0, `size of / is ${size}`);
});

test('live: time and process metrics are plausible', async () => {
  const before = Date.now() / 1000;
  const now = valueOf(await run(createTimeCollector(host)), 'node_time_seconds');
  assert.ok(typeof now === 'number' && before <= now && now <= Date.now() / 1000);

  const families = await run(createProcessCollector(host));
  const rss = valueOf(families, 'process_resident_memory_bytes');
  const open = valueOf(families, 'process_open_fds');
  const max = valueOf(families, 'process_max_fds');
  assert.ok(typeof rss === 'number' && rss > 1e6, `rss ${rss}`);
  assert.ok(typeof open === 'number' && open >= 3, `open fds ${open}`);
  assert.ok(max === '+Inf' || (typeof max === 'number' && max >= open));
  const start = valueOf(families, 'process_start_time_seconds');
  assert.ok(typeof start === 'number' && Math.abs(start - (Date.now() / 1000 - process.uptime())) < 2);
});

test('live: netclass reports every /sys/class/net interface with its real MTU', async () => {
  const { readdir } = await import('node:fs/promises');
  const { createNetclassCollector } = await import('../../../src/agent/collectors/netclass.js');
  const families = await run(createNetclassCollector(host));
  for (const entry of await readdir('/sys/class/net', { withFileTypes: true })) {
    if (entry.isFile()) continue;
    const mtu = Number(await readFile(`/sys/class/net/${entry.name}/mtu`, 'utf8').catch(() => 'NaN'));
    if (Number.isNaN(mtu)) continue; // removed meanwhile
    assert.equal(valueOf(families, 'node_network_mtu_bytes', { device: entry.name }), mtu, entry.name);
  }
});
