import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderFamilies } from '../../../src/server/exposition/render-families.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { WINDOWS_PER_INTERVAL } from '../../../src/server/store/shard-planner.js';
import { feed } from '../../helpers/feed-store.js';
import { ManualTimers } from '../../helpers/manual-timers.js';

const INTERVAL = 8000;
const WINDOW = INTERVAL / WINDOWS_PER_INTERVAL;

function families(load: number) {
  return [
    { name: 'node_load1', type: 'gauge', help: 'load', samples: [{ value: load }] },
    { name: 'node_cpu_seconds_total', type: 'counter', help: 'cpu', samples: [0, 1].map((cpu) => ({ labels: { cpu: String(cpu), mode: 'idle' }, value: load * 10 + cpu })) },
  ];
}

function fleet(ids: string[], startMs: number, graceMs?: number) {
  const timers = new ManualTimers(startMs);
  const store = new AgentStore({ graceMs, forgetMs: 60_000, maxSeriesPerAgent: 1000, timers });
  const leases = ids.map((id) => store.connect({ id, address: '127.0.0.1', agentVersion: 't', protocol: 1, labels: {}, intervalMs: INTERVAL }));
  return { store, timers, leases, push: (id: string, load: number) => feed(store).batch(id, families(load)) };
}

describe('AgentStore shards', () => {
  it('places agents by the window their batches arrive in', () => {
    const { store, timers, push } = fleet(['a', 'b', 'c'], 1_000 * INTERVAL);
    timers.advance(10);
    push('a', 1);
    timers.advance(20);
    push('b', 2);
    timers.advance(3 * WINDOW);
    push('c', 3);
    assert.equal(store.shardOf('a'), store.shardOf('b'));
    assert.notEqual(store.shardOf('c'), store.shardOf('a'));
    assert.equal(store.shardOf('c')!.window, 3);
    store.close();
  });

  it('moves an agent whose batches keep arriving in another window, series intact', () => {
    const { store, timers, push } = fleet(['a', 'b'], 1_000 * INTERVAL + 10);
    push('a', 1);
    push('b', 2);
    const before = store.shardOf('a')!;
    const text = renderFamilies(store.catalog);
    timers.advance(5 * WINDOW);
    for (let k = 0; k < 3; k++) push('a', 1);
    const after = store.shardOf('a')!;
    assert.notEqual(after, before);
    assert.equal(before.window, 0);
    assert.equal(after.window, 5);
    assert.equal(store.shardOf('b'), before, 'b stays');
    const sorted = (t: string) => t.split('\n').sort().join('\n');
    assert.equal(sorted(renderFamilies(store.catalog)), sorted(text));
    store.close();
  });

  it('leaves its shard when its series expire', () => {
    const { store, timers, leases, push } = fleet(['a'], 1_000 * INTERVAL, 10);
    push('a', 1);
    const shard = store.shardOf('a')!;
    store.disconnect('a', leases[0]!);
    assert.equal(store.shardOf('a'), shard, 'kept during the grace period');
    timers.advance(10);
    assert.equal(store.shardOf('a'), undefined);
    assert.equal(shard.members, 0);
    assert.equal(store.shards.get(shard.id), undefined);
    store.close();
  });
});
