import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { createUnameCollector } from '../../../src/agent/collectors/uname.js';
import { fixturePaths, run } from './golden.js';

test('uname reports os fields and the domainname from <proc>/sys/kernel/domainname', async () => {
  const [info] = await run(createUnameCollector(fixturePaths));
  assert.equal(info?.name, 'node_uname_info');
  assert.deepEqual(info?.samples, [
    {
      labels: { sysname: os.type(), release: os.release(), version: os.version(), machine: os.machine(), nodename: os.hostname(), domainname: 'example.org' },
      value: 1,
    },
  ]);
});

test('an unreadable domainname reads as "(none)", like uname(2)', async () => {
  const [info] = await run(createUnameCollector({ ...fixturePaths, proc: '/nonexistent' }));
  assert.equal(info?.samples[0]?.labels?.domainname, '(none)');
});
