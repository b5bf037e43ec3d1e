import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectAll } from '../../src/agent/collect-all.js';
import { gauge, single } from '../../src/agent/collectors/family.js';
import type { Collector } from '../../src/agent/collectors/types.js';

const ok: Collector = { name: 'ok', collect: async () => [gauge('node_ok', 'Fine.', single(1))] };
const hangs: Collector = { name: 'hangs', collect: () => new Promise(() => {}) };
const throws: Collector = {
  name: 'throws',
  collect: async () => {
    throw new Error('boom');
  },
};
const throwsSync: Collector = {
  name: 'throws_sync',
  collect: () => {
    throw new Error('sync boom');
  },
};

function byCollector(families: Awaited<ReturnType<typeof collectAll>>['families'], name: string): Record<string, unknown> {
  const fam = families.find((f) => f.name === name);
  return Object.fromEntries((fam?.samples ?? []).map((s) => [s.labels?.collector, s.value]));
}

test('a hanging collector fails within about the timeout while the others succeed', async () => {
  let aborted = false;
  const watchesSignal: Collector = {
    name: 'watches_signal',
    collect: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason)))),
  };
  const started = Date.now();
  const { families, failures } = await collectAll([ok, hangs, watchesSignal], { timeoutMs: 100 });
  // Generous bound: the point is "not forever", and the machine is noisy.
  assert.ok(Date.now() - started < 5000);
  assert.ok(aborted, 'the collector signal was aborted');
  assert.deepEqual(byCollector(families, 'node_scrape_collector_success'), { ok: 1, hangs: 0, watches_signal: 0 });
  assert.deepEqual(failures, [
    { collector: 'hangs', error: 'timed out after 100 ms' },
    { collector: 'watches_signal', error: 'timed out after 100 ms' },
  ]);
  assert.ok(families.some((f) => f.name === 'node_ok'));
  const durations = byCollector(families, 'node_scrape_collector_duration_seconds');
  assert.deepEqual(Object.keys(durations), ['ok', 'hangs', 'watches_signal']);
  for (const v of Object.values(durations)) assert.ok(typeof v === 'number' && v >= 0);
});

test('a throwing collector contributes no families and its error is reported', async () => {
  const { families, failures } = await collectAll([throws, throwsSync, ok], { timeoutMs: 1000 });
  assert.deepEqual(byCollector(families, 'node_scrape_collector_success'), { throws: 0, throws_sync: 0, ok: 1 });
  assert.deepEqual(failures, [
    { collector: 'throws', error: 'boom' },
    { collector: 'throws_sync', error: 'sync boom' },
  ]);
  assert.deepEqual(
    families.map((f) => f.name),
    ['node_ok', 'node_scrape_collector_duration_seconds', 'node_scrape_collector_success'],
  );
});

test('no collectors: no families, not empty ones', async () => {
  assert.deepEqual(await collectAll([], { timeoutMs: 10 }), { families: [], failures: [] });
});
