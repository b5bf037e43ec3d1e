import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../src/protocol/error-codes.js';
import { LineDecoder, type DecodedFrame } from '../../src/protocol/line-decoder.js';
import { parseAgentMessage } from '../../src/protocol/parse.js';
import { AGENT_ID_RE } from '../../src/protocol/names.js';
import { checkHello } from '../../src/server/ingest/check-hello.js';
import { renderFamily } from '../../src/server/ingest/render-family.js';
import { parseTaskInput, TaskInputError } from '../../src/server/tasks/validate-task.js';
import { parseWebConfig, WebConfigError } from '../../src/server/http/web-config.js';
import { defaultIngestLimits } from '../helpers/bridge.js';
import type { HelloMessage } from '../../src/protocol/messages.js';

const DEFAULT_INGEST_LIMITS = defaultIngestLimits();

// Property-based tests (fast-check) of every parser of untrusted input: whatever arrives,
// each either accepts it with its invariants holding or refuses it with its own error type,
// never another exception. Runs are seeded by fast-check and print the seed on failure.

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** The only errors a parser of peer input may throw. */
function onlyThrows<T>(fn: () => T, ...allowed: (new (...args: never[]) => Error)[]): T | undefined {
  try {
    return fn();
  } catch (err) {
    assert.ok(allowed.some((type) => err instanceof type), `unexpected ${String((err as Error)?.stack ?? err)}`);
    return undefined;
  }
}

/** Arbitrary JSON-ish values, deep enough to reach every branch of the message checks. */
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.constantFrom('hello', 'metrics', 'ping', 'pong', 'goodbye', 'task_result', 'NaN', '+Inf', ''),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('type', 'protocol', 'agent_id', 'agent_version', 'labels', 'token', 'interval_ms', 'probe', 'seq', 'timestamp_ms', 'families', 'id', 't0', 't1', 't2', 'name', 'help', 'samples', 'value', 'x'), tie('value'), { maxKeys: 8 }),
  ),
})).value;

describe('line decoder', () => {
  it('any lines, cut anywhere: each line decoded once, each oversized line reported once, memory within the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0a))), { maxLength: 12 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (lines, limit, cuts) => {
          const stream = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
          const decoder = new LineDecoder(limit);
          const frames: DecodedFrame[] = [];
          for (let at = 0, i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            frames.push(...decoder.push(stream.subarray(at, at + size)));
            assert.ok(decoder.bufferedBytes <= limit, 'never buffers more than the limit');
            at += size;
          }
          const expected = lines.flatMap((line): string[] => {
            if (line.length > limit) return ['oversized'];
            const body = line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
            if (body.length === 0) return [];
            const text = new TextDecoder('utf-8', { fatal: true });
            try {
              return [`line:${text.decode(body)}`];
            } catch {
              return ['invalid_utf8'];
            }
          });
          assert.deepEqual(frames.map((f) => (f.kind === 'line' ? `line:${f.text}` : f.kind)), expected);
          assert.equal(decoder.bufferedBytes, 0);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('message parser', () => {
  it('any text: a message of a known type, or a ProtocolError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), json.map((v) => JSON.stringify(v) ?? 'undefined')), (line) => {
        const message = onlyThrows(() => parseAgentMessage(line), ProtocolError);
        if (message) assert.ok(['hello', 'metrics', 'ping', 'pong', 'goodbye', 'task_result'].includes(message.type));
      }),
      { numRuns: RUNS * 3 },
    );
  });
});

describe('hello checks', () => {
  it('any hello that parses: accepted with a valid id, bounded static labels and a sane interval, or refused with a ProtocolError', () => {
    const hello = fc.record({
      type: fc.constant('hello'),
      protocol: fc.oneof(fc.constant(1), fc.integer()),
      agent_id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,140}$/), fc.string()),
      agent_version: fc.string({ maxLength: 100 }),
      labels: fc.option(fc.dictionary(fc.oneof(fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/), fc.string()), fc.oneof(fc.string({ maxLength: 3000 }), fc.integer() as fc.Arbitrary<unknown>)), { nil: undefined }),
      interval_ms: fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined }),
      probe: fc.option(json, { nil: undefined }),
    });
    fc.assert(
      fc.property(hello, (raw) => {
        const line = JSON.stringify(raw);
        const parsed = onlyThrows(() => parseAgentMessage(line), ProtocolError);
        if (!parsed) return;
        const checked = onlyThrows(() => checkHello(parsed as HelloMessage, undefined, { maxStaticLabelBytes: 4096 }), ProtocolError);
        if (!checked) return;
        assert.match(checked.id, AGENT_ID_RE);
        const bytes = Object.entries(checked.labels).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
        assert.ok(bytes <= 4096, `static labels ${bytes} bytes`);
        assert.ok(checked.intervalMs >= 100 && checked.intervalMs <= 3_600_000);
        assert.ok(checked.agentVersion.length <= 64);
        if (checked.probe) assert.ok(Number.isInteger(checked.probe.port) && checked.probe.port >= 1 && checked.probe.port <= 65535);
      }),
      { numRuns: RUNS * 3 },
    );
  });
});

describe('family rendering (the general path of a metrics batch)', () => {
  it('any family: rendered lines within every name and byte limit, or a ProtocolError', () => {
    const family = fc.record({
      name: fc.oneof(fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,300}$/), fc.constantFrom('up', 'scrape_x', 'fleetpulse_agent_up', 'node_load1'), fc.string()),
      type: fc.constantFrom('gauge', 'counter', 'untyped', 'histogram'),
      help: fc.string({ maxLength: 50 }),
      samples: fc.array(fc.record({ labels: fc.option(fc.dictionary(fc.oneof(fc.stringMatching(/^[a-z_][a-z0-9_]{0,140}$/), fc.string()), fc.string({ maxLength: 5000 }) as fc.Arbitrary<unknown>), { nil: undefined }), value: fc.oneof(fc.double(), fc.constantFrom('NaN', '+Inf', '-Inf', 'x') as fc.Arbitrary<unknown>) }), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.oneof(family, json), fc.integer({ min: 100, max: 20_000 }), (raw, bytes) => {
        const budget = { remaining: bytes };
        const rendered = onlyThrows(() => renderFamily(raw, 'instance="a"', new Set(['instance', 'job']), DEFAULT_INGEST_LIMITS, budget), ProtocolError);
        if (!rendered) return;
        assert.ok(rendered.name.length <= DEFAULT_INGEST_LIMITS.maxMetricNameBytes);
        assert.ok(rendered.text.length <= bytes, 'never more text than the budget');
        assert.equal(rendered.text.split('\n').length - 1, rendered.series);
        for (const line of rendered.text.split('\n').slice(0, -1)) assert.ok(line.startsWith(`${rendered.name}{instance="a"`), line);
      }),
      { numRuns: RUNS * 3 },
    );
  });
});

describe('task validation', () => {
  it('any body: a task spec within its bounds, or a TaskInputError', () => {
    const body = fc.oneof(
      json,
      fc.record({
        name: fc.oneof(fc.string({ maxLength: 70 }), json),
        description: fc.option(fc.string({ maxLength: 600 }), { nil: undefined }),
        type: fc.constantFrom('latency', 'bandwidth', 'x'),
        members: fc.array(fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), json), { maxLength: 25 }),
        start: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()),
        end: fc.option(fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()), { nil: undefined }),
        period_seconds: fc.oneof(fc.integer(), fc.double(), json),
        options: fc.option(fc.dictionary(fc.constantFrom('count', 'interval_ms', 'duration_ms', 'x'), fc.oneof(fc.integer(), json)), { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(body, (raw) => {
        const spec = onlyThrows(() => parseTaskInput(raw), TaskInputError);
        if (!spec) return;
        assert.ok(spec.members.length >= 2 && spec.members.length <= 20);
        assert.ok(spec.name.length >= 1 && spec.name.length <= 64);
        assert.ok(Number.isInteger(spec.periodSeconds));
      }),
      { numRuns: RUNS * 3 },
    );
  });
});

describe('web-config parser', () => {
  it('any text: a config, or a WebConfigError', () => {
    const yamlish = fc.array(
      fc.oneof(
        fc.constantFrom('tls_server_config:', '  cert_file: a.pem', '  key_file: b.pem', '  client_auth_type: RequireAndVerifyClientCert', 'basic_auth_users:', '  alice: $2y$10$abcdefghijklmnopqrstuu', 'http_server_config:', '  headers:', '    X-A: b', '- x', '{', '[', ': :', '"', "'", '&a', '*a', '!!binary', '%YAML 1.2'),
        fc.string({ maxLength: 40 }),
      ),
      { maxLength: 12 },
    ).map((lines) => lines.join('\n'));
    fc.assert(
      fc.property(yamlish, (text) => {
        onlyThrows(() => parseWebConfig(text, '/fuzz/web.yml'), WebConfigError);
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
