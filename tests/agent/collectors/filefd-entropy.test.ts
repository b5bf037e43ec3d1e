import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEntropyCollector, parseRandomValue } from '../../../src/agent/collectors/entropy.js';
import { createFilefdCollector, parseFileNr } from '../../../src/agent/collectors/filefd.js';
import { assertGolden, fixturePaths, nodeExporterPaths, run, valueOf } from './golden.js';

test('parseFileNr reads allocated and maximum, ignoring the always-0 middle field', () => {
  assert.deepEqual(parseFileNr('1024\t0\t1631329\n'), { allocated: 1024, maximum: 1631329 });
  assert.throws(() => parseFileNr('1024 0\n'), /file-nr: expected 3 fields/);
  assert.throws(() => parseFileNr('x 0 1\n'), /file-nr: allocated: expected a number/);
});

test('filefd collector on this machine and on node_exporter\'s fixture', async () => {
  const families = await run(createFilefdCollector(fixturePaths));
  await assertGolden('filefd', families);
  const ne = await run(createFilefdCollector(nodeExporterPaths));
  assert.equal(valueOf(ne, 'node_filefd_allocated'), 1024);
  assert.equal(valueOf(ne, 'node_filefd_maximum'), 1631329);
});

test('entropy collector reads both files, and fails naming a missing one', async () => {
  assert.equal(parseRandomValue('256\n', 'poolsize'), 256);
  assert.throws(() => parseRandomValue('', 'poolsize'), /random\/poolsize: expected a number/);
  await assertGolden('entropy', await run(createEntropyCollector(fixturePaths)));
  await assert.rejects(run(createEntropyCollector(nodeExporterPaths)), /ENOENT.*entropy_avail|ENOENT.*poolsize/);
});
