// CPU of the bridge's relay path in process, per sample, without sockets or HTTP: an agent's
// metrics line -> BatchIntake.repeat (ingest/repeat-batch.ts, the store) -> the remote_write
// encoder -> the request body (parts joined and compressed, ~10 000 samples per request).
//   node --expose-gc --import tsx bench/relay-path.ts [--agents 1000] [--series 200] [--cycles 8] [--scrape-every 0]
// Lines are the remote-write bench's own (bench/fleet/workload.ts), made before each cycle is
// timed, as bytes (decoded in the timed part). The first cycle (general path, JSON.parse) is not counted. --scrape-every N renders
// the /metrics families text every N cycles (3 = a scrape every 15 s at a 5 s interval), timed
// with the cycle. Prints CPU-s per cycle (user+system of this process) and GC pause ms per cycle.
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { defaultBridgeOptions } from '../src/config/build-options.js';
import { createLogger } from '../src/log.js';
import { encodeMessage } from '../src/protocol/encode.js';
import { renderFamilies } from '../src/server/exposition/render-families.js';
import { BatchIntake } from '../src/server/ingest/batch-intake.js';
import { WriteRequestEncoder, writeRequestBody, type EncodedBatch } from '../src/server/remote-write/write-request.js';
import { AgentStore } from '../src/server/store/agent-store.js';
import { AgentWorkload } from './fleet/workload.js';

const { values: args } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    series: { type: 'string', default: '200' },
    cycles: { type: 'string', default: '8' },
    'scrape-every': { type: 'string', default: '0' },
  },
});
const AGENTS = Number(args.agents);
const SERIES = Number(args.series);
const CYCLES = Number(args.cycles);
const SCRAPE_EVERY = Number(args['scrape-every']);
const SAMPLES_PER_REQUEST = 10_000;

const limits = defaultBridgeOptions(createLogger('error'));
const store = new AgentStore({ graceMs: undefined, forgetMs: 600_000, maxSeriesPerAgent: limits.maxSeriesPerAgent });
const encoder = new WriteRequestEncoder([['job', 'fleetpulse']]);
const agents = Array.from({ length: AGENTS }, (_, a) => {
  const id = `bench-agent-${String(a).padStart(4, '0')}`;
  store.connect({ id, address: '127.0.0.1', agentVersion: 'bench', protocol: 1, labels: {}, intervalMs: 5000 });
  return { id, workload: new AgentWorkload(SERIES, a), intake: new BatchIntake(store, limits), key: {}, seq: 0 };
});

let gcMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });

let pending: EncodedBatch[] = [];
let pendingSamples = 0;
let bodyBytes = 0;
let general = 0;
let scrapeBytes = 0;

/** Wall-clock ms per stage within the cycle (one thread: close to its CPU). */
const stage = { ingest: 0, encode: 0, body: 0 };

function relay(agent: (typeof agents)[number], line: string, timestampMs: number): void {
  let families;
  const t0 = performance.now();
  const repeat = agent.intake.repeat(agent.id, line);
  if (repeat) {
    families = repeat.families;
  } else {
    general++;
    const message = JSON.parse(line) as { families: unknown[] };
    families = agent.intake.batch(agent.id, message.families, timestampMs).families;
  }
  const t1 = performance.now();
  const encoded = encoder.encodeBatch(families, timestampMs, agent.key);
  pending.push(encoded);
  pendingSamples += encoded.samples;
  const t2 = performance.now();
  stage.ingest += t1 - t0;
  stage.encode += t2 - t1;
  if (pendingSamples >= SAMPLES_PER_REQUEST) {
    bodyBytes += writeRequestBody(pending).length;
    pending = [];
    pendingSamples = 0;
    stage.body += performance.now() - t2;
  }
}

/** Lets the observer hear of the GCs so far (its entries are delivered asynchronously). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

const rows: string[] = [];
for (let cycle = 0; cycle < CYCLES; cycle++) {
  const timestampMs = Date.now();
  // As bytes, decoded when relayed (as the bridge's line decoder does): each line dies young, as in the bridge.
  const lines = agents.map((a) => Buffer.from(encodeMessage({ type: 'metrics', seq: ++a.seq, timestamp_ms: timestampMs, families: a.workload.next() }).slice(0, -1)));
  (globalThis as { gc?: () => void }).gc?.();
  await settle();
  gcMs = 0;
  general = 0;
  stage.ingest = stage.encode = stage.body = 0;
  const start = process.cpuUsage();
  for (let a = 0; a < AGENTS; a++) relay(agents[a]!, lines[a]!.toString('utf8'), timestampMs);
  let scrapeMs = 0;
  if (SCRAPE_EVERY > 0 && cycle % SCRAPE_EVERY === 0) {
    const t = performance.now();
    scrapeBytes = renderFamilies(store.catalog).length;
    scrapeMs = performance.now() - t;
  }
  const used = process.cpuUsage(start);
  await settle();
  if (cycle > 0) rows.push(`| ${cycle} | ${((used.user + used.system) / 1e6).toFixed(3)} | ${(((used.user + used.system) * 1000) / (AGENTS * SERIES)).toFixed(0)} | ${stage.ingest.toFixed(0)} | ${stage.encode.toFixed(0)} | ${stage.body.toFixed(0)} | ${gcMs.toFixed(0)} | ${scrapeMs ? scrapeMs.toFixed(0) : '-'} | ${general} |`);
}
process.stdout.write(`${AGENTS} agents x ${SERIES} series, node ${process.version}, scrape every ${SCRAPE_EVERY || '-'} cycles${scrapeBytes ? ` (${(scrapeBytes / 2 ** 20).toFixed(1)} MiB)` : ''}, compressed ${(bodyBytes / 2 ** 20).toFixed(1)} MiB\n`);
process.stdout.write('| cycle | CPU-s | ns/sample | ingest ms | encode ms | body ms | GC ms | scrape ms | general-path batches |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n');
process.stdout.write(rows.join('\n') + '\n');
