import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSoftnetCollector, parseSoftnet } from '../../../src/agent/collectors/softnet.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

const row = (n: number, extra = ''): string => `${Array.from({ length: n }, (_, i) => (i + 1).toString(16).padStart(8, '0')).join(' ')}${extra}`;

test('parseSoftnet reads the columns each kernel prints', () => {
  // 9 columns (Linux 2.6.23): no received_rps, flow_limit or backlog; CPU from the row number.
  assert.deepEqual(parseSoftnet(`${row(9)}\n${row(9)}\n`).map((r) => [r.cpu, r.values]), [
    ['0', [1, 2, 3, 9, undefined, undefined, undefined]],
    ['1', [1, 2, 3, 9, undefined, undefined, undefined]],
  ]);
  // 13 columns: the last is the CPU index, which skips offline CPUs.
  const [r] = parseSoftnet('00000010 00000000 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000002 00000003 00000004 00000005\n');
  assert.deepEqual(r, { cpu: '5', values: [16, 0, 1, 0, 2, 3, 4] });
});

test('parseSoftnet rejects short rows and non-hex values', () => {
  assert.throws(() => parseSoftnet('00000001 00000002\n'), /softnet_stat: line 1: 2 columns, expected at least 9/);
  assert.throws(() => parseSoftnet(`${row(11)}\n${row(10).replace('00000002', 'zz')} 00000000\n`), /line 2: expected a 32-bit hex number, got "zz"/);
  assert.throws(() => parseSoftnet(`${row(8)} 1ffffffff\n`), /32-bit hex/);
});

test('softnet collector on this machine (Linux 6.18, 15 columns) matches the golden file', async () => {
  const families = await run(createSoftnetCollector(fixturePaths));
  assert.equal(families.length, 7);
  assert.equal(families.find((f) => f.name === 'node_softnet_backlog_len')?.type, 'gauge');
  assert.equal(valueOf(families, 'node_softnet_processed_total', { cpu: '0' }), 0x1549f);
  assert.equal(valueOf(families, 'node_softnet_times_squeezed_total', { cpu: '1' }), 1);
  await assertGolden('softnet', families);
});

test('softnet collector on node_exporter\'s 11-column fixture: no backlog_len, CPUs numbered by row', async () => {
  const families = await run(createSoftnetCollector(nodeExporterPaths));
  assert.equal(valueOf(families, 'node_softnet_processed_total', { cpu: '0' }), 299641);
  assert.equal(valueOf(families, 'node_softnet_dropped_total', { cpu: '1' }), 41);
  assert.equal(valueOf(families, 'node_softnet_times_squeezed_total', { cpu: '3' }), 50);
  assert.equal(valueOf(families, 'node_softnet_flow_limit_count_total', { cpu: '2' }), 0);
  assert.equal(families.find((f) => f.name === 'node_softnet_backlog_len'), undefined);
  await assertGolden('softnet-node-exporter', families);
});
