import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { parseTextFormat } from '../../../src/agent/textfile/parse-text-format.js';
import { ProtocolError } from '../../../src/protocol/error-codes.js';
import { encodeMessage } from '../../../src/protocol/encode.js';
import { LineDecoder } from '../../../src/protocol/line-decoder.js';
import type { MetricFamily } from '../../../src/protocol/messages.js';
import { parseAgentMessage } from '../../../src/protocol/parse.js';
import { renderFamilies } from '../../../src/server/exposition/render-families.js';
import { BatchIntake } from '../../../src/server/ingest/batch-intake.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { defaultBridgeOptions } from '../../../src/config/build-options.js';
import { createLogger } from '../../../src/log.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { getText } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';
import { ManualTimers } from '../../helpers/manual-timers.js';

// Property over the bridge's whole intake, through its TCP port: whatever a helloed agent sends
// after a clean batch (a mutated repeat of it, for the no-JSON.parse repeat path, or arbitrary
// families, for the general path), the bridge
//  - answers exactly as the general path does (JSON.parse, validate, store: a reference store
//    in this process, fed every line the bridge got, in order): the same acks and error codes;
//  - never fails otherwise (no FP_INTERNAL, the connection stays up);
//  - serves the same data for every agent as the reference (so no other agent's data moved);
//  - serves /metrics that a text-format parser checked against promtool accepts.
// One bridge and one reference for the whole test; each run is a new agent, and the agents of
// earlier runs stay connected as bystanders. FUZZ_RUNS scales the run count.

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const LABELS = { dc: 'x"y' };

let t: TestBridge;
/** The bridge's settings at their defaults, as the test bridge has them for the intake. */
const limits = defaultBridgeOptions(createLogger('error'));
const clock = new ManualTimers(Date.now());
const reference = new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: limits.maxSeriesPerAgent, timers: clock });
const referenceIntake = new BatchIntake(reference, limits);
let agents = 0;
/** Every run's agent stays connected: a disconnected one would be dropped after its grace period. */
const clients: LineClient[] = [];

before(async () => {
  // Agents of earlier runs must stay connected without answering pings: no heartbeat timeout.
  t = await startTestBridge({ heartbeatMs: 3_600_000, maxConnections: 10 * RUNS + 50, maxHandshakes: 64 });
});

after(async () => {
  for (const c of clients) c.socket.destroy();
  await t.stop();
});

function baseFamilies(values: readonly number[]): MetricFamily[] {
  return [
    { name: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in each mode.', samples: values.map((value, i) => ({ labels: { cpu: String(i), mode: 'idle' }, value })) },
    { name: 'node_filesystem_avail_bytes', type: 'gauge', help: 'Filesystem space available.', unit: 'bytes', samples: [{ labels: { device: '/dev/vda', mountpoint: '/' }, value: values[0]! * 1e9 }] },
    { name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value: 0.25 }] },
  ];
}

interface Outcome {
  acks: number[];
  errors: string[];
  /** Some line parsed as a message other than metrics: its answers are not modelled here. */
  unmodelled: boolean;
}

/** What the general path makes of these bytes: each line decoded, JSON-parsed and stored in the reference. */
function referenceOutcome(id: string, bytes: Buffer): Outcome {
  clock.set(Date.now());
  const outcome: Outcome = { acks: [], errors: [], unmodelled: false };
  for (const frame of new LineDecoder(limits.maxLineBytes).push(bytes)) {
    try {
      if (frame.kind !== 'line') {
        outcome.errors.push(frame.kind === 'oversized' ? 'FP_LINE_TOO_LONG' : 'FP_BAD_JSON');
        continue;
      }
      const message = parseAgentMessage(frame.text);
      if (message.type !== 'metrics') {
        outcome.unmodelled = true;
        continue;
      }
      const result = referenceIntake.batch(id, message.families, message.timestamp_ms);
      outcome.errors.push(...result.rejected.slice(0, 10).map((e) => e.spec.code));
      outcome.acks.push(message.seq);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      outcome.errors.push(err.spec.code);
    }
  }
  return outcome;
}

/** The bridge's own families: their lines hold clocks and counters, which the reference does not model. */
const OWN = /^(?:# (?:HELP|TYPE) )?(?:fleetpulse_|process_|nodejs_)/;

/** Lines (samples, HELP and TYPE) of the agents' families. */
function agentLines(exposition: string): string[] {
  return exposition.split('\n').filter((line) => line !== '' && !OWN.test(line));
}

/**
 * Connects a new agent, sends its clean first batch, then `tail` (any bytes), then a ping, and
 * checks everything the property promises.
 */
async function check(tail: (timestampMs: number) => Buffer): Promise<void> {
  const id = `prop-${++agents}`;
  const c = await LineClient.connect(t.ingestPort);
  clients.push(c);
  {
    c.hello(id, { labels: LABELS, interval_ms: 60_000 });
    await c.waitFor((m) => m.type === 'welcome');
    reference.connect({ id, address: '127.0.0.1', agentVersion: 'test', protocol: 1, labels: LABELS, intervalMs: 60_000 });
    const now = Date.now();
    const bytes = Buffer.concat([Buffer.from(encodeMessage({ type: 'metrics', seq: 1, timestamp_ms: now, families: baseFamilies([1, 2, 3, 4]) })), tail(now + 1)]);
    const expected = referenceOutcome(id, bytes);
    const since = c.received.length;
    c.sendRaw(bytes);
    // Lines are handled in order: the pong means every line before it was.
    c.sendRaw('\n{"type":"ping","id":424242,"t0":1}\n');
    await c.waitFor((m) => m.type === 'pong' && m.id === 424242, 20_000);
    const answers = c.received.slice(since);
    const errors = answers.filter((m) => m.type === 'error').map((m) => String(m.code));
    const context = () => `agent ${id} sent ${JSON.stringify(bytes.toString('utf8'))}; bridge answered ${JSON.stringify(answers)}`;
    assert.ok(!errors.includes('FP_INTERNAL'), `the bridge failed internally: ${context()}`);
    assert.equal(c.closed, false, `connection closed: ${context()}`);
    if (!expected.unmodelled) {
      // The trailing '\n' before the ping may end an unterminated mutated line: that line's answer counts too.
      assert.deepEqual(answers.filter((m) => m.type === 'ack').map((m) => m.seq), expected.acks, `acks differ from the general path's: ${context()}`);
      assert.deepEqual(errors, expected.errors, `errors differ from the general path's: ${context()}`);
    }
    const exposition = (await getText(`${t.url}/metrics`)).text;
    assert.doesNotThrow(() => parseTextFormat(exposition), `/metrics does not parse after ${context()}`);
    const served = agentLines(exposition).sort();
    const modelled = agentLines(renderFamilies(reference.catalog)).sort();
    assert.deepEqual(served, modelled, `agents' data on /metrics differs from the general path's after ${context()}`);
  }
}

const ALPHABET = [...'0123456789.eE+-"\\ ,:{}[]nulNaIftrsabcxyz\u00e9\n\r\t', '\u2028', '\ud800', '\u0000', '\u0007'];

const edit = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('replace', 'insert', 'delete', 'duplicate'),
  char: fc.constantFrom(...ALPHABET),
  digit: fc.constantFrom(...'0123456789.eE-+'),
  length: fc.integer({ min: 1, max: 40 }),
});
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

/** Positions of sample values' characters and of the character after each (where a digit can be appended). */
function valuePositions(text: string): number[] {
  const found: number[] = [];
  for (const m of text.matchAll(/"value":(-?[0-9][0-9.eE+-]*)/g)) {
    const start = m.index + 8;
    for (let i = start; i <= start + m[1]!.length; i++) found.push(i);
  }
  return found;
}

/** Applies the edits to the text (all ASCII or BMP, so string indexes are characters); `numeric`: at sample values only. */
function applyEdits(text: string, edits: readonly Edit[], numeric: boolean): string {
  const chars = [...text];
  for (const e of edits) {
    const digits = numeric ? valuePositions(chars.join('')) : [];
    const at = digits.length > 0 ? digits[e.at % digits.length]! : e.at % Math.max(1, chars.length);
    // Inside numbers, mostly number characters: the repeat path parses numbers itself.
    const char = digits.length > 0 && e.length % 4 !== 0 ? e.digit : e.char;
    if (e.op === 'replace') chars[at] = char;
    else if (e.op === 'insert') chars.splice(at, 0, char);
    else if (e.op === 'delete') chars.splice(at, e.length % 3 === 0 ? e.length : 1);
    else chars.splice(at, 0, ...chars.slice(at, at + e.length));
  }
  return chars.join('');
}

const value = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.integer({ min: -1e6, max: 1e6 }).map((n) => n / 1000),
  fc.constantFrom(0, -0, 1e308, -1e-308, 5e-324, 2 ** 53 + 1, 1e21, 1e-7, 123456789012345678),
);

it('a mutated repeat of the previous batch: the bridge answers and stores as the general path would', { timeout: 600_000 }, async () => {
  await fc.assert(
    // Clean repeats before the mutated line: 0 reads it against the rendered layout, 1 or more
    // against the previous line (the repeat path's template).
    fc.asyncProperty(fc.array(fc.array(value, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 3 }), fc.array(edit, { minLength: 0, maxLength: 3 }), fc.boolean(), async (batches, edits, numeric) => {
      await check((timestampMs) => {
        const lines = batches.map((values, i) => {
          const finite = values.map((v) => (Number.isFinite(v) ? v : 0));
          return encodeMessage({ type: 'metrics', seq: 2 + i, timestamp_ms: timestampMs + i, families: baseFamilies(finite) }).slice(0, -1);
        });
        lines.push(applyEdits(lines.pop()!, edits, numeric));
        return Buffer.from(lines.join('\n') + '\n');
      });
    }),
    { numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
  );
});

// Families as an agent could write them, and as a hostile one could: odd names, types, label
// names and values, values of every JSON type, duplicates, nesting.
const jsonish = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('NaN', '+Inf', '-Inf', 'Inf', '1e3', ''));
const labelName = fc.oneof(fc.constantFrom('cpu', 'mode', 'device', 'instance', 'dc', '__name__', 'le', 'quantile', 'a', 'b_2'), fc.string({ maxLength: 8 }));
const labelValue = fc.oneof(fc.constantFrom('0', 'idle', 'x"y', 'a\\b', 'line\nbreak', '', '\u00e9'), fc.string({ maxLength: 8 }));
const sample = fc.record(
  {
    labels: fc.oneof(fc.dictionary(labelName, labelValue, { maxKeys: 3 }), jsonish),
    value: fc.oneof(value, jsonish),
    extra: jsonish,
  },
  { requiredKeys: [] },
);
const family = fc.record(
  {
    name: fc.oneof(fc.constantFrom('node_load1', 'node_cpu_seconds_total', 'node_filesystem_avail_bytes', 'node_custom_x', 'fleetpulse_agent_up', 'up', 'node_h', 'node_h_bucket'), fc.string({ maxLength: 12 })),
    type: fc.oneof(fc.constantFrom('counter', 'gauge', 'untyped', 'histogram', 'summary'), fc.string({ maxLength: 8 })),
    help: fc.oneof(fc.constantFrom('help', 'a\\b\nc', ''), fc.string({ maxLength: 12 })),
    unit: fc.oneof(fc.constantFrom('bytes', 'seconds'), jsonish),
    samples: fc.oneof(fc.array(sample, { maxLength: 4 }), jsonish),
  },
  { requiredKeys: ['name', 'type', 'samples'] },
);

it('arbitrary families and mutated JSON: the bridge answers and stores as the general path would', { timeout: 600_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(family, { maxLength: 4 }), fc.array(edit, { maxLength: 2 }), fc.option(jsonish), async (families, edits, timestamp) => {
      await check((timestampMs) => {
        const message = { type: 'metrics', seq: 2, timestamp_ms: timestamp ?? timestampMs, families };
        return Buffer.from(applyEdits(JSON.stringify(message), edits, false) + '\n');
      });
    }),
    { numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
  );
});
