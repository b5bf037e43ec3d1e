import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../../src/protocol/error-codes.js';
import { renderFamilies } from '../../../src/server/exposition/render-families.js';
import { AgentStore, type AgentHello } from '../../../src/server/store/agent-store.js';
import { feed } from '../../helpers/feed-store.js';

function hello(id: string, labels: Record<string, string> = {}): AgentHello {
  return { id, address: '127.0.0.1', agentVersion: '0.1.0', protocol: 1, labels, intervalMs: 5000 };
}

function gauge(name: string, value: number, labels?: Record<string, string>) {
  return { name, type: 'gauge', help: `${name} help`, samples: [{ ...(labels ? { labels } : {}), value }] };
}

function store(overrides: Partial<ConstructorParameters<typeof AgentStore>[0]> = {}) {
  return new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: 100, ...overrides });
}

describe('AgentStore', () => {
  it('groups each family once across agents, in name order', () => {
    const s = store();
    s.connect(hello('b'));
    s.connect(hello('a', { env: 'prod' }));
    feed(s).batch('b', [gauge('node_load1', 2), gauge('aaa', 1)]);
    feed(s).batch('a', [gauge('node_load1', 1)]);
    assert.equal(
      renderFamilies(s.catalog),
      '# HELP aaa aaa help\n# TYPE aaa gauge\naaa{instance="b"} 1\n' +
        '# HELP node_load1 node_load1 help\n# TYPE node_load1 gauge\nnode_load1{instance="b"} 2\nnode_load1{instance="a",env="prod"} 1\n',
    );
    s.close();
  });

  it('treats each batch as the complete snapshot: a missing family disappears', () => {
    const s = store();
    s.connect(hello('a'));
    feed(s).batch('a', [gauge('x', 1), gauge('y', 2)]);
    feed(s).batch('a', [gauge('y', 3)]);
    assert.equal(renderFamilies(s.catalog), '# HELP y y help\n# TYPE y gauge\ny{instance="a"} 3\n');
    assert.equal(s.get('a')!.series, 1);
    s.close();
  });

  it('keeps the previous value of a rejected family and stores the rest', () => {
    const s = store();
    s.connect(hello('a'));
    feed(s).batch('a', [gauge('x', 1), gauge('y', 2)]);
    const result = feed(s).batch('a', [{ name: 'x', type: 'gauge', help: '', samples: [{ value: 'bogus' }] }, gauge('y', 5)]);
    assert.equal(result.rejected.length, 1);
    assert.equal(result.rejected[0]!.spec.code, 'FP_INVALID_VALUE');
    const text = renderFamilies(s.catalog);
    assert.match(text, /^x\{instance="a"\} 1$/m);
    assert.match(text, /^y\{instance="a"\} 5$/m);
    s.close();
  });

  it('refuses a type that differs from the one other agents use, but lets the sole owner change it', () => {
    const s = store();
    s.connect(hello('a'));
    s.connect(hello('b'));
    feed(s).batch('a', [gauge('m', 1)]);
    const r = feed(s).batch('b', [{ name: 'm', type: 'counter', help: '', samples: [{ value: 1 }] }]);
    assert.equal(r.rejected[0]?.spec.code, 'FP_TYPE_CONFLICT');
    assert.doesNotMatch(renderFamilies(s.catalog), /instance="b"/);
    // 'a' alone owns m: it may redefine it (an upgraded agent).
    const again = feed(s).batch('a', [{ name: 'm', type: 'counter', help: 'now a counter', samples: [{ value: 2 }] }]);
    assert.equal(again.rejected.length, 0);
    assert.match(renderFamilies(s.catalog), /# TYPE m counter/);
    s.close();
  });

  it('refuses a whole batch over the series limit and keeps the last good snapshot', () => {
    const s = store({ maxSeriesPerAgent: 3 });
    feed(s, 3);
    s.connect(hello('a'));
    feed(s).batch('a', [gauge('ok', 1)]);
    const big = { name: 'big', type: 'gauge', help: '', samples: [1, 2, 3, 4].map((i) => ({ labels: { i: String(i) }, value: i })) };
    assert.throws(() => feed(s).batch('a', [big]), (err: unknown) => err instanceof ProtocolError && err.spec.code === 'FP_SERIES_LIMIT');
    assert.match(renderFamilies(s.catalog), /^ok\{instance="a"\} 1$/m);
    s.close();
  });

  it('marks a lost agent down at once and drops its series after the grace period', async () => {
    const s = store({ graceMs: 40 });
    const lease = s.connect(hello('a'));
    feed(s).batch('a', [gauge('x', 1)]);
    s.disconnect('a', lease);
    assert.equal(s.get('a')!.connected, false);
    assert.match(renderFamilies(s.catalog), /instance="a"/, 'series stay during the grace period');
    await sleep(120);
    assert.equal(renderFamilies(s.catalog), '');
    assert.equal(s.get('a')!.connected, false, 'the agent itself is still listed, down');
    s.close();
  });

  it('continues seamlessly when the agent reconnects within the grace period', async () => {
    const s = store({ graceMs: 60 });
    const lease = s.connect(hello('a'));
    feed(s).batch('a', [gauge('x', 1)]);
    s.disconnect('a', lease);
    s.connect(hello('a'));
    await sleep(150);
    assert.match(renderFamilies(s.catalog), /^x\{instance="a"\} 1$/m);
    assert.equal(s.get('a')!.connected, true);
    s.close();
  });

  it('ignores the disconnect of a connection that was replaced by a newer one', () => {
    const s = store();
    const oldLease = s.connect(hello('a'));
    s.connect(hello('a'));
    s.disconnect('a', oldLease);
    assert.equal(s.get('a')!.connected, true);
    s.close();
  });

  it('forgets a lost agent after forgetMs', async () => {
    const s = store({ graceMs: 10, forgetMs: 40 });
    const lease = s.connect(hello('a'));
    s.disconnect('a', lease);
    await sleep(120);
    assert.equal(s.get('a'), undefined);
    s.close();
  });

  it('bumps the version on every change, so renderers can cache', () => {
    const s = store();
    const v0 = s.version;
    s.connect(hello('a'));
    const v1 = s.version;
    feed(s).batch('a', [gauge('x', 1)]);
    assert.ok(v1 > v0 && s.version > v1);
    s.close();
  });
});

describe('AgentStore limits', () => {
  it('never holds more than the series limit, even when rejected families keep old values', () => {
    const s = store({ maxSeriesPerAgent: 5 });
    feed(s, 5);
    s.connect(hello('a'));
    const many = (name: string, n: number, value: unknown = 1) => ({ name, type: 'gauge', help: '', samples: Array.from({ length: n }, (_, i) => ({ labels: { i: String(i) }, value })) });
    feed(s).batch('a', [many('x', 4)]);
    // x is now refused (bad value) and y takes 4: keeping the old x would make 8.
    const r = feed(s).batch('a', [many('x', 1, 'bad'), many('y', 4)]);
    assert.equal(r.samples, 4, 'samples counts only what this batch stored');
    assert.equal(s.get('a')!.series, 4);
    assert.doesNotMatch(renderFamilies(s.catalog), /^x\{/m);
    s.close();
  });

  it('treats an empty label value as no label, so {k=""} and {} are duplicates', () => {
    const s = store();
    s.connect(hello('a'));
    const r = feed(s).batch('a', [{ name: 'g', type: 'gauge', help: '', samples: [{ labels: { k: '' }, value: 1 }, { value: 2 }] }]);
    assert.equal(r.rejected[0]?.spec.code, 'FP_DUPLICATE_SERIES');
    s.close();
  });

  it('records the last error with its code and clears it on reconnect', () => {
    const s = store();
    s.connect(hello('a'));
    feed(s).batch('a', [{ name: 'bad-name', type: 'gauge', help: '', samples: [] }]);
    assert.match(s.get('a')!.lastError!, /^FP_INVALID_METRIC_NAME: /);
    s.connect(hello('a'));
    assert.equal(s.get('a')!.lastError, undefined);
    s.close();
  });
});

describe('AgentStore departures', () => {
  it('forgets an agent that said goodbye after the grace period, not after forgetMs', async () => {
    const s = store({ graceMs: 20, forgetMs: 60_000 });
    const lease = s.connect(hello('leaving'));
    s.disconnect('leaving', lease, true);
    assert.equal(s.get('leaving')!.connected, false);
    await sleep(100);
    assert.equal(s.get('leaving'), undefined);
    s.close();
  });
});
