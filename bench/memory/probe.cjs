// Preloaded into a bridge under the bench to see where its memory goes at steady state:
//   BENCH_BRIDGE_NODE_ARGS="-r ./bench/memory/probe.cjs" BENCH_BRIDGE_ENV="MEMORY_PROBE_DIR=/tmp/mem MEMORY_PROBE_SNAPSHOT_AT=40" npm run bench -- --phase remote-write ...
// Every 5 s it appends process.memoryUsage(), V8's heap spaces and /proc/self/smaps_rollup to
// <dir>/memory-<pid>.jsonl; at MEMORY_PROBE_SMAPS_AT (seconds, comma-separated) it copies
// /proc/self/smaps; at MEMORY_PROBE_SNAPSHOT_AT it writes a heap snapshot (the process stops for
// seconds and its RSS grows by the snapshot's size meanwhile: measure nothing after it).
// Summaries: bench/memory/smaps-summary.ts and heap-summary.ts.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');

const dir = process.env.MEMORY_PROBE_DIR || os.tmpdir();
const out = path.join(dir, `memory-${process.pid}.jsonl`);
const started = Date.now();
const seconds = () => (Date.now() - started) / 1000;
const times = (name) => (process.env[name] || '').split(',').filter((s) => s !== '').map(Number);

function rollup() {
  const kib = {};
  for (const line of fs.readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) kib[m[1]] = Number(m[2]);
  }
  return kib;
}

setInterval(() => {
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = { size: s.space_size, used: s.space_used_size };
  const { malloced_memory, external_memory } = v8.getHeapStatistics();
  fs.appendFileSync(out, JSON.stringify({ t: seconds(), memoryUsage: process.memoryUsage(), spaces, malloced_memory, external_memory, smapsRollupKiB: rollup() }) + '\n');
}, 5000).unref();

for (const at of times('MEMORY_PROBE_SMAPS_AT')) {
  // readFileSync, not copyFile: /proc files report no size.
  setTimeout(() => fs.writeFileSync(path.join(dir, `smaps-${process.pid}-${at}.txt`), fs.readFileSync('/proc/self/smaps')), at * 1000).unref();
}
for (const at of times('MEMORY_PROBE_SNAPSHOT_AT')) {
  setTimeout(() => {
    const file = v8.writeHeapSnapshot(path.join(dir, `heap-${process.pid}-${at}.heapsnapshot`));
    fs.appendFileSync(out, JSON.stringify({ t: seconds(), snapshot: file }) + '\n');
  }, at * 1000).unref();
}
