import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createProcessesCollector, parseProcStat } from '../../../src/agent/collectors/processes.js';
import { assertGolden, fixturePaths, run, valueOf } from './golden.js';

test('parseProcStat counts fields from the last ")", so a command name with spaces and ")" cannot shift them', () => {
  // Captured from a process started as "/tmp/cron) job x" (fixture proc/7268/stat).
  const text = readFileSync(new URL('../../fixtures/proc/7268/stat', import.meta.url), 'utf8');
  assert.deepEqual(parseProcStat(text, '7268/stat'), { state: 'S', threads: 1 });
  assert.throws(() => parseProcStat('12 (x) 5 0', '12/stat'), /12\/stat: expected a state letter/);
  assert.throws(() => parseProcStat('12 (x) S 0 0', '12/stat'), /12\/stat num_threads: expected a number, got nothing/);
});

test('processes collector matches the golden file (pids 1, 2, 4 and 7268 captured on this host)', async () => {
  const families = await run(createProcessesCollector(fixturePaths));
  assert.equal(valueOf(families, 'node_processes_pids'), 4);
  assert.equal(valueOf(families, 'node_processes_state', { state: 'I' }), 1);
  assert.equal(valueOf(families, 'node_processes_max_processes'), 32768);
  await assertGolden('processes', families);
});

test('live: one pid per numeric /proc entry (give or take processes starting and exiting), limits from /proc/sys/kernel', async () => {
  const before = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  const families = await run(createProcessesCollector({ proc: '/proc', sys: '/sys', root: '/' }));
  const pids = valueOf(families, 'node_processes_pids') as number;
  assert.ok(Math.abs(pids - before) < 50, `${pids} pids, ${before} in /proc a moment before`);
  const states = families.find((f) => f.name === 'node_processes_state')!.samples.reduce((n, s) => n + (s.value as number), 0);
  assert.equal(states, pids);
  assert.ok((valueOf(families, 'node_processes_threads') as number) >= pids);
  assert.equal(valueOf(families, 'node_processes_max_threads'), Number(readFileSync('/proc/sys/kernel/threads-max', 'utf8')));
});
