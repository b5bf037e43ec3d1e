import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderFamilies } from '../../../src/server/exposition/render-families.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { feed } from '../../helpers/feed-store.js';
import { WINDOWS_PER_INTERVAL } from '../../../src/server/store/shard-planner.js';

const INTERVAL = 8000;
const WINDOW = INTERVAL / WINDOWS_PER_INTERVAL;

function families(load: number) {
  return [
    { name: 'node_load1', type: 'gauge', help: 'load', samples: [{ value: load }] },
    { name: 'node_cpu_seconds_total', type: 'counter', help: 'cpu', samples: [0, 1].map((cpu) => ({ labels: { cpu: String(cpu), mode: 'idle' }, value: load * 10 + cpu })) },
  ];
}

describe('AgentStore shards', () => {
  it('places agents by the window their batches arrive in', () => {
    let now = 1_000 * INTERVAL;
    const store = new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: 1000, now: () => now });
    for (const id of ['a', 'b', 'c']) store.connect({ id, address: '127.0.0.1', agentVersion: 't', protocol: 1, labels: {}, intervalMs: INTERVAL });
    now += 10;
    feed(store).batch('a', families(1));
    now += 20;
    feed(store).batch('b', families(2));
    now += 3 * WINDOW;
    feed(store).batch('c', families(3));
    assert.equal(store.get('a')!.shard, store.get('b')!.shard);
    assert.notEqual(store.get('c')!.shard, store.get('a')!.shard);
    assert.equal(store.get('c')!.shard!.window, 3);
    store.close();
  });

  it('moves an agent whose batches keep arriving in another window, series intact', () => {
    let now = 1_000 * INTERVAL + 10;
    const store = new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: 1000, now: () => now });
    for (const id of ['a', 'b']) store.connect({ id, address: '127.0.0.1', agentVersion: 't', protocol: 1, labels: {}, intervalMs: INTERVAL });
    feed(store).batch('a', families(1));
    feed(store).batch('b', families(2));
    const before = store.get('a')!.shard!;
    const text = renderFamilies(store.catalog);
    now += 5 * WINDOW;
    for (let k = 0; k < 3; k++) feed(store).batch('a', families(1));
    const after = store.get('a')!.shard!;
    assert.notEqual(after, before);
    assert.equal(before.window, 0);
    assert.equal(after.window, 5);
    assert.equal(store.get('b')!.shard, before, 'b stays');
    const sorted = (t: string) => t.split('\n').sort().join('\n');
    assert.equal(sorted(renderFamilies(store.catalog)), sorted(text));
    store.close();
  });

  it('leaves its shard when its series go', async () => {
    const store = new AgentStore({ graceMs: 10, forgetMs: 60_000, maxSeriesPerAgent: 1000 });
    const lease = store.connect({ id: 'a', address: '127.0.0.1', agentVersion: 't', protocol: 1, labels: {}, intervalMs: INTERVAL });
    feed(store).batch('a', families(1));
    const shard = store.get('a')!.shard!;
    store.disconnect('a', lease);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(store.get('a')!.shard, undefined);
    assert.equal(shard.members, 0);
    assert.equal(store.shards.get(shard.id), undefined);
    store.close();
  });
});
