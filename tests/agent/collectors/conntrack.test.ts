import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createConntrackCollector, parseConntrackStat } from '../../../src/agent/collectors/conntrack.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

test('parseConntrackStat sums per-CPU columns found by name, in both header layouts', async () => {
  // node_exporter's fixture: the pre-5.x header ("searched ... delete_list").
  const old = parseConntrackStat(await readFile(join(nodeExporterPaths.proc, 'net/stat/nf_conntrack'), 'utf8'));
  assert.deepEqual(old, { found: 0, invalid: 0x3 + 0x2 + 0x1 + 0x2f, ignore: 0x588a + 0x56a4 + 0x58d4 + 0x5688, insert: 0, insert_failed: 0, drop: 0, early_drop: 0, search_restart: 7 });
  // This machine (Linux 6.18): "clashres" and "chainlength" in the header; same columns read.
  const now = parseConntrackStat(await readFile(join(fixturePaths.proc, 'net/stat/nf_conntrack'), 'utf8'));
  assert.deepEqual(Object.keys(now).sort(), ['drop', 'early_drop', 'found', 'ignore', 'insert', 'insert_failed', 'invalid', 'search_restart']);
});

test('parseConntrackStat: a kernel without search_restart gets no such key; bad rows fail', () => {
  assert.deepEqual(parseConntrackStat('entries found drop\n1 2 3\n1 2 4\n'), { found: 4, drop: 7 });
  assert.throws(() => parseConntrackStat('nonsense\n'), /stat\/nf_conntrack: unexpected header/);
  assert.throws(() => parseConntrackStat('entries found\n1\n'), /row 1 has 1 columns, header 2/);
  assert.throws(() => parseConntrackStat('entries found\n1 zz\n'), /row 1 found: expected hex, got "zz"/);
});

test('conntrack collector on this machine matches the golden file', async () => {
  const families = await run(createConntrackCollector(fixturePaths));
  assert.equal(typeof valueOf(families, 'node_nf_conntrack_entries'), 'number');
  assert.equal(valueOf(families, 'node_nf_conntrack_entries_limit'), 262144);
  assert.equal(families.length, 10);
  await assertGolden('conntrack', families);
});

test('without nf_conntrack_count (module not loaded) the collector fails and says why', async () => {
  await assert.rejects(run(createConntrackCollector(nodeExporterPaths)), /nf_conntrack_count: the nf_conntrack module is not loaded/);
});
