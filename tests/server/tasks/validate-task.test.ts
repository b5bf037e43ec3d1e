import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskInputError, parseTaskInput } from '../../../src/server/tasks/validate-task.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const known = new Set(['a', 'b', 'c', 'web-1']);
const context = { isKnownAgent: (id: string) => known.has(id), nowMs: NOW };
const valid = { name: 'core mesh', type: 'latency', members: ['a', 'b', 'c'], start: '2030-01-01T09:00:00Z', end: '2030-01-01T18:00:00Z', period_seconds: 60 };

/** The error message for a body, or fails when it is accepted. */
function refusal(patch: Record<string, unknown>, drop: string[] = []): string {
  const body: Record<string, unknown> = { ...valid, ...patch };
  for (const key of drop) delete body[key];
  try {
    parseTaskInput(body, context);
  } catch (err) {
    assert.ok(err instanceof TaskInputError, String(err));
    return err.message;
  }
  assert.fail(`accepted ${JSON.stringify(body)}`);
}

describe('parseTaskInput', () => {
  it('accepts a valid task and fills in the defaults of its type', () => {
    const spec = parseTaskInput(valid, context);
    assert.deepEqual(spec, {
      name: 'core mesh',
      description: '',
      type: 'latency',
      members: ['a', 'b', 'c'],
      startMs: Date.parse('2030-01-01T09:00:00Z'),
      endMs: Date.parse('2030-01-01T18:00:00Z'),
      periodSeconds: 60,
      options: { count: 10, interval_ms: 10 },
    });
    const bw = parseTaskInput({ ...valid, type: 'bandwidth', members: ['a', 'b'], options: { duration_ms: 1000 }, description: 'nightly\tthroughput\n' }, context);
    assert.deepEqual(bw.options, { duration_ms: 1000 });
    assert.equal(bw.description, 'nightly\tthroughput\n');
  });

  it('accepts time zones other than Z and a start in the past', () => {
    const spec = parseTaskInput({ ...valid, start: '2029-06-01T10:00:00.5+02:00', end: '2030-01-01T03:00+01:00' }, context);
    assert.equal(spec.startMs, Date.parse('2029-06-01T08:00:00.500Z'));
  });

  it('refuses an end before (or at) the start, or in the past', () => {
    assert.match(refusal({ end: '2030-01-01T08:00:00Z' }), /^end: .* is not after start/);
    assert.match(refusal({ end: valid.start }), /^end: /);
    assert.match(refusal({ start: '2029-01-01T00:00:00Z', end: '2029-12-31T23:59:59Z' }), /^end: .* is in the past/);
  });

  it('refuses dates that are not ISO 8601 with a zone, or do not exist', () => {
    for (const start of ['2030-01-01 09:00:00', '2030-01-01T09:00:00', 'tomorrow', 1893488400000, '2030-02-30T09:00:00Z', '2030-01-01T24:00:00Z', '2030-13-01T00:00:00Z']) {
      assert.match(refusal({ start }), /^start: /, String(start));
    }
  });

  it('refuses unknown, duplicate, too few or too many members, and non-ids', () => {
    assert.equal(refusal({ members: ['a', 'ghost'] }), 'members: unknown agent "ghost" (not in /api/agents)');
    assert.equal(refusal({ members: ['a', 'b', 'a'] }), 'members: "a" is listed twice');
    assert.match(refusal({ members: ['a'] }), /^members: has 1 agents; a task needs 2 to 20/);
    assert.match(refusal({ members: Array.from({ length: 21 }, (_, i) => `m${i}`) }), /^members: has 21 agents/);
    assert.match(refusal({ members: ['a', '../etc'] }), /^members\[1\]: "..\/etc" is not an agent id/);
    assert.match(refusal({ members: 'a,b' }), /^members: must be an array/);
  });

  it('refuses a period out of range or not a whole number', () => {
    assert.match(refusal({ period_seconds: 9 }), /^period_seconds: must be a whole number from 10 to 86400; got 9/);
    assert.match(refusal({ period_seconds: 86_401 }), /^period_seconds: /);
    assert.match(refusal({ period_seconds: 60.5 }), /^period_seconds: /);
    assert.match(refusal({ period_seconds: '60' }), /^period_seconds: /);
    assert.match(refusal({}, ['period_seconds']), /^period_seconds: /);
  });

  it('refuses a period too short for the work, saying how long a run takes', () => {
    // 100 probes 1 s apart cannot fit in 60 s.
    assert.match(refusal({ options: { count: 100, interval_ms: 1000 } }), /^period_seconds: 60 is too short: one run takes up to 106\.5 s .*use at least 107$/);
    // Bandwidth pairs run one after another: 3 members = 6 transfers of 10 s + set-up > 60 s.
    assert.match(refusal({ type: 'bandwidth', options: { duration_ms: 10_000 } }), /^period_seconds: 60 is too short: .*6 transfers of 10000 ms, one pair after another/);
    assert.doesNotThrow(() => parseTaskInput({ ...valid, type: 'bandwidth', options: { duration_ms: 10_000 }, period_seconds: 90 }, context));
  });

  it('refuses names that are too long, empty or outside the safe characters', () => {
    assert.match(refusal({ name: 'x'.repeat(65) }), /^name: is 65 characters long; at most 64/);
    assert.doesNotThrow(() => parseTaskInput({ ...valid, name: 'x'.repeat(64) }, context));
    assert.doesNotThrow(() => parseTaskInput({ ...valid, name: ' rack-1 to rack_2 v1.0 ' }, context));
    for (const name of ['', '../../etc/passwd', 'a/b', 'tab\there', 'über', '<script>', 'a;rm -rf', 42, null]) {
      assert.match(refusal({ name }), /^name: /, JSON.stringify(name));
    }
    assert.match(refusal({}, ['name']), /^name: is required/);
  });

  it('refuses a long description or one with control characters', () => {
    assert.match(refusal({ description: 'é'.repeat(501) }), /^description: is 501 characters long; at most 500/);
    assert.match(refusal({ description: 'bell\u0007' }), /^description: may not contain control characters/);
    assert.match(refusal({ description: 5 }), /^description: must be a string/);
  });

  it('refuses unknown fields, at the top and in options', () => {
    assert.equal(refusal({ secret: 'x' }), 'secret: unknown field; allowed: name, description, type, members, start, end, period_seconds, options');
    assert.match(refusal({ options: { count: 5, duration_ms: 100 } }), /^options\.duration_ms: unknown option for a latency task; allowed: count, interval_ms/);
    assert.match(refusal({ type: 'bandwidth', members: ['a', 'b'], options: { count: 5 } }), /^options\.count: unknown option for a bandwidth task; allowed: duration_ms/);
  });

  it('refuses bad options and an unknown type', () => {
    assert.match(refusal({ options: { count: 0 } }), /^options\.count: must be a whole number from 1 to 100; got 0/);
    assert.match(refusal({ options: { count: 101 } }), /^options\.count: /);
    assert.match(refusal({ options: { interval_ms: 1001 } }), /^options\.interval_ms: must be a whole number from 1 to 1000/);
    assert.match(refusal({ options: { interval_ms: '10' } }), /^options\.interval_ms: /);
    assert.match(refusal({ type: 'bandwidth', members: ['a', 'b'], options: { duration_ms: 499 } }), /^options\.duration_ms: must be a whole number from 500 to 10000/);
    assert.match(refusal({ options: [1] }), /^options: must be an object/);
    assert.match(refusal({ type: 'ping' }), /^type: must be one of "latency", "bandwidth"; got "ping"/);
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, [], 'task', 5]) assert.throws(() => parseTaskInput(body, context), /^TaskInputError|the body must be a JSON object/);
  });
});
