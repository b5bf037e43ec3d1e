import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVmstatCollector, DEFAULT_VMSTAT_FIELDS, parseVmstat } from '../../../src/agent/collectors/vmstat.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

test('the default filter is node_exporter\'s prefix match', () => {
  for (const kept of ['oom_kill', 'pgpgin', 'pgpgout', 'pswpin', 'pswpout', 'pgfault', 'pgmajfault']) assert.ok(DEFAULT_VMSTAT_FIELDS.test(kept), kept);
  for (const dropped of ['nr_free_pages', 'pgfree', 'pgsteal_direct', 'thp_fault_alloc', 'numa_hint_faults']) assert.ok(!DEFAULT_VMSTAT_FIELDS.test(dropped), dropped);
});

test('parseVmstat keeps matching lines and rejects a bad kept value only', () => {
  assert.deepEqual(parseVmstat('nr_free_pages x\npgfault 12\noom_kill 0\n', DEFAULT_VMSTAT_FIELDS), [
    { field: 'pgfault', value: 12 },
    { field: 'oom_kill', value: 0 },
  ]);
  assert.throws(() => parseVmstat('pgfault\n', DEFAULT_VMSTAT_FIELDS), /vmstat: line 1 \(pgfault\): expected a number, got nothing/);
  assert.throws(() => parseVmstat('a 1\npgmajfault 1e3\n', DEFAULT_VMSTAT_FIELDS), /line 2 \(pgmajfault\)/);
});

test('vmstat collector on this machine (Linux 6.18) matches the golden file', async () => {
  const families = await run(createVmstatCollector(fixturePaths));
  assert.deepEqual(families.map((f) => f.name).sort(), [
    'node_vmstat_oom_kill', 'node_vmstat_pgfault', 'node_vmstat_pgmajfault', 'node_vmstat_pgpgin', 'node_vmstat_pgpgout', 'node_vmstat_pswpin', 'node_vmstat_pswpout',
  ]);
  assert.ok(families.every((f) => f.type === 'untyped'));
  assert.equal(families[0]?.help, `/proc/vmstat information field ${families[0]?.name.slice('node_vmstat_'.length)}.`);
  await assertGolden('vmstat', families);
});

test('vmstat collector on node_exporter\'s 4.x-kernel fixture', async () => {
  const families = await run(createVmstatCollector(nodeExporterPaths));
  assert.equal(valueOf(families, 'node_vmstat_pgfault'), 2320168809);
  assert.equal(valueOf(families, 'node_vmstat_pswpout'), 35045);
  await assertGolden('vmstat-node-exporter', families);
});
