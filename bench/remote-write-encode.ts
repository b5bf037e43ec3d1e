// CPU cost of the bridge's remote_write encoding per sample, in process (no network):
//   node --expose-gc --import tsx bench/remote-write-encode.ts [--agents 1000] [--series 200] [--rounds 5]
// and, with --expose-gc, the memory the encoder keeps per series (its templates, after the first batches).
// Batches look like an agent's (node_cpu_seconds_total per cpu and mode, filesystem and network
// families with device labels, static labels env/rack). Three figures per round:
//   repeat  - the common case: the same family objects with new values (ingest/repeat-batch.ts),
//             whose encoded labels are reused;
//   general - new family objects each batch (a batch that took the general path, a replay): each
//             line's labels looked up by their text in the agent's cache;
//   first   - an agent's first batch: labels read back from the text and encoded;
//   snappy  - compressing the encoded requests (10 000 samples each), counted apart: with the
//             native snappy (the bridge's choice where its binary loads) and with snappyjs (the
//             fallback), the same bodies.
import { defaultBridgeOptions } from '../src/config/build-options.js';
import { createLogger } from '../src/log.js';
import { renderFamily } from '../src/server/ingest/render-family.js';
import { loadSnappy } from '../src/server/remote-write/snappy.js';
import { batchBytes, WriteRequestEncoder } from '../src/server/remote-write/write-request.js';
import type { RenderedFamily } from '../src/server/text-format/rendered-family.js';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** The bridge's limits at the settings' defaults. */
const DEFAULT_INGEST_LIMITS = defaultBridgeOptions(createLogger('error'));

const { values: args } = parseArgs({ options: { agents: { type: 'string', default: '1000' }, series: { type: 'string', default: '200' }, rounds: { type: 'string', default: '5' } } });
const AGENTS = Number(args.agents);
const SERIES = Number(args.series);
const ROUNDS = Number(args.rounds);

function agentFamilies(agent: number, tick: number): unknown[] {
  const cpus = Math.floor(SERIES / 2 / 8);
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  const cpu = { name: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in each mode.', samples: [] as unknown[] };
  for (let c = 0; c < cpus; c++) for (const mode of modes) cpu.samples.push({ labels: { cpu: String(c), mode }, value: 1000 + agent + c + tick * 0.37 });
  const rest = SERIES - cpu.samples.length;
  const fs = { name: 'node_filesystem_avail_bytes', type: 'gauge', help: 'Filesystem space available to non-root users in bytes.', samples: [] as unknown[] };
  const net = { name: 'node_network_receive_bytes_total', type: 'counter', help: 'Network device statistic receive_bytes.', samples: [] as unknown[] };
  for (let i = 0; i < rest; i++) {
    if (i % 2) fs.samples.push({ labels: { device: `/dev/sd${i}`, fstype: 'ext4', mountpoint: `/srv/volume-${i}` }, value: 1e11 - tick * 4096 - i });
    else net.samples.push({ labels: { device: `eth${i}` }, value: 123456789 + tick * 1500 + i });
  }
  return [cpu, fs, net];
}

function render(agent: number, tick: number): RenderedFamily[] {
  const prefix = `instance="host-${agent}.example.org",env="prod",rack="r${agent % 40}"`;
  return agentFamilies(agent, tick).map((f) => renderFamily(f, prefix, new Set(['instance', 'job', 'env', 'rack']), DEFAULT_INGEST_LIMITS, { remaining: 1 << 24 }) as RenderedFamily);
}

/** As the repeat path does: the same objects, new values in place. */
function bump(families: RenderedFamily[], tick: number): void {
  for (const f of families) for (let i = 0; i < f.values.length; i++) f.setValue(i, f.values[i]! + tick);
}

function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const native = loadSnappy();
if (native.library !== 'snappy') throw new Error(`the native snappy does not load here: ${native.fallbackReason}`);
// Resolved from a directory without node_modules, as the single-file bundle does: snappyjs.
const js = loadSnappy(pathToFileURL(`${tmpdir()}/`).href);
if (js.library !== 'snappyjs') throw new Error(`snappy resolves from ${tmpdir()}: cannot measure snappyjs`);

const encoder = new WriteRequestEncoder([['job', 'fleetpulse']]);
const fleet = Array.from({ length: AGENTS }, (_, a) => render(a, 0));
const agents = fleet.map(() => ({}));
const samplesPerRound = AGENTS * SERIES;
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heapBefore = process.memoryUsage();
// Warm-up: fills the label cache and lets V8 optimise.
for (const [a, families] of fleet.entries()) encoder.encodeBatch(families, Date.now(), agents[a]);
gc?.();
const heapAfter = process.memoryUsage();
const keptBytes = heapAfter.heapUsed - heapBefore.heapUsed + (heapAfter.external - heapBefore.external);

const rows: string[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const families of fleet) bump(families, round);
  let encoded: Uint8Array[] = [];
  const repeatMs = cpuMs(() => {
    encoded = fleet.map((families) => batchBytes(encoder.encodeBatch(families, Date.now())));
  });
  const fresh = Array.from({ length: AGENTS }, (_, a) => render(a, round));
  const generalMs = cpuMs(() => {
    for (const [a, families] of fresh.entries()) encoder.encodeBatch(families, Date.now(), agents[a]);
  });
  const strangers = Array.from({ length: AGENTS }, (_, a) => render(a, round));
  const firstMs = cpuMs(() => {
    for (const families of strangers) encoder.encodeBatch(families, Date.now(), {});
  });
  const perRequest = Math.max(1, Math.floor(10_000 / SERIES));
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < encoded.length; i += perRequest) bodies.push(Buffer.concat(encoded.slice(i, i + perRequest)));
  let compressedBytes = 0;
  const snappyMs = cpuMs(() => {
    for (const body of bodies) compressedBytes += native.compress(body).length;
  });
  const snappyJsMs = cpuMs(() => {
    for (const body of bodies) js.compress(body);
  });
  const rawBytes = encoded.reduce((n, b) => n + b.length, 0);
  const ns = (ms: number) => ((ms * 1e6) / samplesPerRound).toFixed(0);
  rows.push(`| ${round} | ${ns(repeatMs)} | ${ns(generalMs)} | ${ns(firstMs)} | ${ns(snappyMs)} | ${ns(snappyJsMs)} | ${(rawBytes / samplesPerRound).toFixed(1)} | ${(compressedBytes / samplesPerRound).toFixed(1)} |`);
}
process.stdout.write(`${AGENTS} agents x ${SERIES} series = ${samplesPerRound} samples per round, node ${process.version}, snappy: ${native.library} (and ${js.library})\n`);
process.stdout.write(gc ? `encoder's label cache: ${(keptBytes / 2 ** 20).toFixed(1)} MiB = ${(keptBytes / samplesPerRound).toFixed(0)} bytes/series (heap + external)\n\n` : 'encoder\'s label cache: run with node --expose-gc to measure it\n\n');
process.stdout.write('| round | repeat ns/sample | general ns/sample | first ns/sample | snappy ns/sample | snappyjs ns/sample | encoded bytes/sample | compressed bytes/sample |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n');
process.stdout.write(rows.join('\n') + '\n');
