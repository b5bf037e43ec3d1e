// What one real batch of this host costs the agent outbox (issue 11 item 1), and what a full
// default in-memory outbox adds to the agent's memory. Run: npx tsx --expose-gc bench/outbox-batch.ts
// (figures in bench/results/2026-11-29-agent-outbox.md). Not part of `npm run bench`: no target
// to check, the figures size the FLEETPULSE_BUFFER_MAX_BYTES default.
import { collectAll } from '../src/agent/collect-all.js';
import { createCollectors } from '../src/agent/collectors/index.js';
import { compressLine, decompressLine } from '../src/agent/outbox/compression.js';
import { metricsLine } from '../src/agent/outbox/batch-line.js';
import { DEFAULT_MEMORY_MAX_BYTES } from '../src/agent/outbox/defaults.js';
import { Outbox } from '../src/agent/outbox/outbox.js';
import { COLLECTOR_NAMES } from '../src/config/settings.js';
import type { MetricFamily } from '../src/protocol/messages.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet } as never;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function perCallMs(fn: () => unknown, rounds = 200): number {
  for (let i = 0; i < 20; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / rounds;
}

const collectors = createCollectors({ proc: '/proc', sys: '/sys', root: '/' }, [...COLLECTOR_NAMES]);
await collectAll(collectors, { timeoutMs: 10_000 }); // cpu's busy share needs a second reading
const { families } = await collectAll(collectors, { timeoutMs: 10_000 });
const series = families.reduce((n, f) => n + f.samples.length, 0);
const line = metricsLine(1, Date.now(), families);
const packed = compressLine(line);
console.log(`host batch: ${families.length} families, ${series} series, ${line.length} bytes of JSON, ${packed.length} bytes compressed (1/${(line.length / packed.length).toFixed(1)})`);
console.log(`serialise ${perCallMs(() => metricsLine(1, 0, families)).toFixed(3)} ms, compress ${perCallMs(() => compressLine(line)).toFixed(3)} ms, decompress ${perCallMs(() => decompressLine(packed)).toFixed(3)} ms per batch`);
const batches = Math.floor(DEFAULT_MEMORY_MAX_BYTES / packed.length);
console.log(`default in-memory bound ${DEFAULT_MEMORY_MAX_BYTES / 1024 ** 2} MiB holds ~${batches} such batches = ${((batches * 5) / 60).toFixed(0)} min at the 5 s default interval`);

// A full default outbox: batches with moving values (as consecutive batches have), never acked.
const moved = (n: number): MetricFamily[] => families.map((f) => ({ ...f, samples: f.samples.map((s) => ({ ...s, value: typeof s.value === 'number' ? s.value + n : s.value })) }));
gc();
const before = process.memoryUsage();
const outbox = new Outbox({ maxBytes: DEFAULT_MEMORY_MAX_BYTES, maxAgeMs: 365 * 86_400_000, log: quiet });
let n = 0;
while (outbox.stats().dropped.full === 0) outbox.add(moved(++n), Date.now() + n * 5000);
for (let i = 0; i < 50; i++) outbox.add(moved(++n), Date.now() + n * 5000);
gc();
const after = process.memoryUsage();
const mib = (b: number) => (b / 1024 ** 2).toFixed(1);
console.log(`full outbox: ${outbox.size} batches, ${mib(outbox.bytes)} MiB counted; process grew rss +${mib(after.rss - before.rss)} MiB, heap +${mib(after.heapUsed - before.heapUsed)} MiB, buffers +${mib(after.arrayBuffers - before.arrayBuffers)} MiB`);
