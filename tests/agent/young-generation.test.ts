import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

// Runs in a child node: --expose-gc is what the deployed start script passes (AGENT_NODE_FLAGS).
const PROBE = `
const v8 = require('node:v8');
const { emptyYoungGeneration } = require('./src/agent/young-generation.ts');
const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_used_size;
let keep = [];
for (let i = 0; i < 2000; i++) keep.push({ i, text: 'x'.repeat(64) + i });
keep = null;
const before = young();
emptyYoungGeneration();
console.log(JSON.stringify({ before, after: young() }));
`;

function runProbe(flags: string[]): { before: number; after: number } {
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '-e', PROBE], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { before: number; after: number };
}

test('under --expose-gc, emptyYoungGeneration scavenges: the garbage in the young generation is gone', () => {
  const { before, after } = runProbe(['--expose-gc']);
  assert.ok(before > 200_000, `the probe's garbage should be in the young generation (${before} bytes used)`);
  assert.ok(after < before / 2, `young generation after the scavenge: ${after} of ${before} bytes`);
});

test('without --expose-gc (dist/cli.js agent, tests) it does nothing and does not throw', () => {
  const { before, after } = runProbe([]);
  assert.ok(after >= before, `nothing collected: ${after} of ${before} bytes`);
});

test('scavengeBeforeNextCollection runs the scavenge in its own timer turn before the collection is due, and skips short intervals', () => {
  // A spy in place of gc (the module reads it at load): records each call in order.
  const probe = `
const calls = [];
const realGc = globalThis.gc;
globalThis.gc = (options) => { calls.push(options.type); realGc(options); };
const { scavengeBeforeNextCollection } = require('./src/agent/young-generation.ts');
scavengeBeforeNextCollection(150); // too short to leave the lead: nothing scheduled (it would fire at 50 ms)
const sync = calls.length;
// Timers of the same turn fire in order of their delay: by this 100 ms one, a 50 ms one would have run.
setTimeout(() => {
  const afterShort = calls.length;
  scavengeBeforeNextCollection(250); // fires 100 ms before the collection is due
  const wait = setInterval(() => { if (calls.length > afterShort) { clearInterval(wait); console.log(JSON.stringify({ sync, afterShort, calls })); } }, 5);
}, 100);
`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', probe], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const { sync, afterShort, calls } = JSON.parse(r.stdout) as { sync: number; afterShort: number; calls: string[] };
  assert.equal(sync, 0, 'nothing runs in the caller\'s turn');
  assert.equal(afterShort, 0, 'a collection due in 150 ms gets no scavenge');
  assert.deepEqual(calls, ['minor']);
});
