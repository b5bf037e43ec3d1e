import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMaxOpenFiles, parseProcStatus } from '../../../src/agent/collectors/process.js';

test('parseProcStatus reads VmRSS, VmSize and VmData in bytes', () => {
  const status = 'Name:\tnode\nVmPeak:\t 9000 kB\nVmSize:\t    3896 kB\nVmData:\t     428 kB\nVmRSS:\t    2088 kB\n';
  assert.deepEqual(parseProcStatus(status), { residentBytes: 2088 * 1024, virtualBytes: 3896 * 1024, heapBytes: 428 * 1024 });
  assert.throws(() => parseProcStatus('VmSize:\t 1 kB\nVmData:\t 1 kB\n'), /no VmRSS line/);
  assert.throws(() => parseProcStatus('VmRSS:\t x kB\n'), /VmRSS\): expected a number, got "x"/);
});

test('parseMaxOpenFiles takes the soft limit', () => {
  const limits = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            20000                524288               files     \n';
  assert.equal(parseMaxOpenFiles(limits), 20000);
  assert.equal(parseMaxOpenFiles(limits.replace('20000', 'unlimited')), '+Inf');
  assert.throws(() => parseMaxOpenFiles('Limit Soft\n'), /Max open files: expected a number/);
});
