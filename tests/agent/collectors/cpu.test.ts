import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cpuDelta, createCpuCollector, parseCpuStat } from '../../../src/agent/collectors/cpu.js';
import { assertGolden, fixturePaths, run, valueOf } from './golden.js';

test('parseCpuStat reads per-core ticks and skips the total line', () => {
  const cpus = parseCpuStat('cpu  9 9 9 9\ncpu0 1 2 3 4 5 6 7 8 9 10\ncpu1 1 2 3 4\nintr 1\n');
  assert.deepEqual([...cpus.keys()], ['0', '1']);
  assert.deepEqual(cpus.get('0'), { user: 1, nice: 2, system: 3, idle: 4, iowait: 5, irq: 6, softirq: 7, steal: 8, guest: 9, guestNice: 10 });
  // Columns an old kernel does not print read as 0, as in procfs.
  assert.deepEqual(cpus.get('1'), { user: 1, nice: 2, system: 3, idle: 4, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 });
});

test('parseCpuStat rejects malformed cpu lines', () => {
  assert.throws(() => parseCpuStat('cpu0 1 2 x 4\n'), /line 1 \(cpu0 system\): expected a number, got "x"/);
  assert.throws(() => parseCpuStat('cpu0 1 2\n'), /expected at least 4 cpu fields/);
  assert.throws(() => parseCpuStat('intr 1\n'), /no cpuN lines/);
});

test('cpuDelta counts everything but idle and iowait as busy, and guest only once', () => {
  const prev = parseCpuStat('cpu0 100 0 100 700 100 0 0 0 0 0\n').get('0')!;
  const next = parseCpuStat('cpu0 130 0 110 750 110 0 0 0 20 0\n').get('0')!;
  // user +30 (20 of it guest), system +10, idle +50, iowait +10: busy 40 of 100.
  assert.deepEqual(cpuDelta(prev, next), { busy: 40, total: 100 });
  assert.equal(cpuDelta(next, prev), undefined, 'counters went backwards');
  assert.equal(cpuDelta(prev, prev), undefined, 'no time passed');
});

test('cpu collector matches the golden file (first run: counters only)', async () => {
  const families = await run(createCpuCollector(fixturePaths));
  // Hand check: cpu0 user 44490 ticks / USER_HZ 100; guest is not subtracted from user.
  assert.equal(valueOf(families, 'node_cpu_seconds_total', { cpu: '0', mode: 'user' }), 444.9);
  assert.equal(valueOf(families, 'node_cpu_guest_seconds_total', { cpu: '3', mode: 'nice' }), 0.04);
  assert.equal(families.find((f) => f.name.startsWith('fleetpulse_cpu_busy')), undefined, 'no busy % without an interval');
  await assertGolden('cpu', families);
});

// Two readings 100 ticks apart per core.
const STAT_1 = ['cpu0 1000 0 500 8000 100 0 0 0 0 0', 'cpu1 2000 0 1000 7000 200 0 0 0 0 0', 'cpu2 10 0 10 9000 0 0 0 0 0 0'];
const STAT_2 = [
  'cpu0 1020 0 510 8060 110 0 0 0 0 0', // busy 30 of 100
  'cpu1 2050 10 1010 7030 200 0 0 0 0 0', // busy 70 of 100
  'cpu2 5 0 10 9100 0 0 0 0 0 0', // user went backwards: skipped
];

async function twoRuns(): Promise<Awaited<ReturnType<typeof run>>> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-cpu-'));
  try {
    const collector = createCpuCollector({ proc: dir, sys: dir, root: dir });
    await writeFile(join(dir, 'stat'), `${STAT_1.join('\n')}\n`);
    await run(collector);
    await writeFile(join(dir, 'stat'), `${STAT_2.join('\n')}\n`);
    return await run(collector);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('busy % over two runs is exact, and a core whose counter went backwards is skipped', async () => {
  const families = await twoRuns();
  const busy = families.find((f) => f.name === 'fleetpulse_cpu_busy_percent');
  assert.deepEqual(busy?.samples, [
    { labels: { cpu: '0' }, value: 30 },
    { labels: { cpu: '1' }, value: 70 },
  ]);
  // (30 + 70) / (100 + 100), cpu2 left out of the average too.
  assert.equal(valueOf(families, 'fleetpulse_cpu_busy_average_percent'), 50);
});

test('exported counters stay monotonic when the kernel goes back a little (node_exporter)', async () => {
  const families = await twoRuns();
  // cpu2 user fell from 10 to 5 ticks: keep reporting 0.1 s rather than a counter reset.
  assert.equal(valueOf(families, 'node_cpu_seconds_total', { cpu: '2', mode: 'user' }), 0.1);
  assert.equal(valueOf(families, 'node_cpu_seconds_total', { cpu: '2', mode: 'idle' }), 91);
});

test('an idle counter jumping back 3 s or more resets the core (hotplug)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-cpu-'));
  try {
    const collector = createCpuCollector({ proc: dir, sys: dir, root: dir });
    await writeFile(join(dir, 'stat'), 'cpu0 1000 0 500 8000 0 0 0 0 0 0\n');
    await run(collector);
    await writeFile(join(dir, 'stat'), 'cpu0 10 0 5 80 0 0 0 0 0 0\n');
    const families = await run(collector);
    assert.equal(valueOf(families, 'node_cpu_seconds_total', { cpu: '0', mode: 'idle' }), 0.8);
    assert.equal(families.find((f) => f.name === 'fleetpulse_cpu_busy_percent'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
