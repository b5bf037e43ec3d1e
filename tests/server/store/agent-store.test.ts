import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../../src/protocol/error-codes.js';
import { renderFamilies } from '../../../src/server/exposition/render-families.js';
import type { AgentHello } from '../../../src/server/store/agent-record.js';
import { AgentStore, type AgentStoreOptions } from '../../../src/server/store/agent-store.js';
import { feed } from '../../helpers/feed-store.js';
import { ManualTimers } from '../../helpers/manual-timers.js';

// Time is driven by hand (ManualTimers): expiry and forgetting are asserted as the states
// the store is in just before and just after each deadline, never after a real sleep.

function hello(id: string, labels: Record<string, string> = {}, extra: Partial<AgentHello> = {}): AgentHello {
  return { id, address: '127.0.0.1', agentVersion: '0.1.0', protocol: 1, labels, intervalMs: 5000, ...extra };
}

function gauge(name: string, value: number, labels?: Record<string, string>) {
  return { name, type: 'gauge', help: `${name} help`, samples: [{ ...(labels ? { labels } : {}), value }] };
}

function store(overrides: Partial<AgentStoreOptions> = {}) {
  const timers = new ManualTimers();
  const s = new AgentStore({ graceMs: undefined, forgetMs: 60_000, maxSeriesPerAgent: 100, timers, ...overrides });
  return { s, timers, in: feed(s, overrides.maxSeriesPerAgent ?? 100) };
}

describe('AgentStore', () => {
  it('groups each family once across agents, in name order', () => {
    const { s, in: fed } = store();
    s.connect(hello('b'));
    s.connect(hello('a', { env: 'prod' }));
    fed.batch('b', [gauge('app_load', 2), gauge('aaa', 1)]);
    fed.batch('a', [gauge('app_load', 1)]);
    assert.equal(
      renderFamilies(s.catalog),
      '# HELP aaa aaa help\n# TYPE aaa gauge\naaa{instance="b"} 1\n' +
        '# HELP app_load app_load help\n# TYPE app_load gauge\napp_load{instance="b"} 2\napp_load{instance="a",env="prod"} 1\n',
    );
    s.close();
  });

  it('treats each batch as the complete snapshot: a missing family disappears', () => {
    const { s, in: fed } = store();
    s.connect(hello('a'));
    fed.batch('a', [gauge('x', 1), gauge('y', 2)]);
    fed.batch('a', [gauge('y', 3)]);
    assert.equal(renderFamilies(s.catalog), '# HELP y y help\n# TYPE y gauge\ny{instance="a"} 3\n');
    assert.equal(s.get('a')!.series, 1);
    s.close();
  });

  it('keeps the previous value of a rejected family and stores the rest', () => {
    const { s, in: fed } = store();
    s.connect(hello('a'));
    fed.batch('a', [gauge('x', 1), gauge('y', 2)]);
    const result = fed.batch('a', [{ name: 'x', type: 'gauge', help: '', samples: [{ value: 'bogus' }] }, gauge('y', 5)]);
    assert.equal(result.rejected.length, 1);
    assert.equal(result.rejected[0]!.spec.code, 'FP_INVALID_VALUE');
    const text = renderFamilies(s.catalog);
    assert.match(text, /^x\{instance="a"\} 1$/m);
    assert.match(text, /^y\{instance="a"\} 5$/m);
    s.close();
  });

  it('refuses a type that differs from the one other agents use, but lets the sole owner change it', () => {
    const { s, in: fed } = store();
    s.connect(hello('a'));
    s.connect(hello('b'));
    fed.batch('a', [gauge('m', 1)]);
    const r = fed.batch('b', [{ name: 'm', type: 'counter', help: '', samples: [{ value: 1 }] }]);
    assert.equal(r.rejected[0]?.spec.code, 'FP_TYPE_CONFLICT');
    assert.doesNotMatch(renderFamilies(s.catalog), /instance="b"/);
    // 'a' alone owns m: it may redefine it (an upgraded agent).
    const again = fed.batch('a', [{ name: 'm', type: 'counter', help: 'now a counter', samples: [{ value: 2 }] }]);
    assert.equal(again.rejected.length, 0);
    assert.match(renderFamilies(s.catalog), /# TYPE m counter/);
    s.close();
  });

  it('holds a known family\'s TYPE and HELP whoever sends it first: a squatter is refused, the HELP is the catalogue\'s', () => {
    const { s, in: fed } = store();
    s.connect(hello('squatter'));
    s.connect(hello('a'));
    const squat = fed.batch('squatter', [{ name: 'node_load1', type: 'counter', help: 'mine now', samples: [{ value: 9 }] }]);
    assert.equal(squat.rejected[0]?.spec.code, 'FP_TYPE_CONFLICT', 'first sender of a known family with another type');
    fed.batch('a', [{ name: 'node_load1', type: 'gauge', help: 'whatever the sender says', samples: [{ value: 1 }] }]);
    assert.equal(renderFamilies(s.catalog), '# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1{instance="a"} 1\n');
    // Even a sole owner cannot redefine a known family.
    const again = fed.batch('a', [{ name: 'node_load1', type: 'counter', help: '', samples: [{ value: 2 }] }]);
    assert.equal(again.rejected[0]?.spec.code, 'FP_TYPE_CONFLICT', 'sole owner changing a known type');
    assert.match(renderFamilies(s.catalog), /# TYPE node_load1 gauge/);
    s.close();
  });

  it('refuses a whole batch over the series limit and keeps the last good snapshot', () => {
    const { s, in: fed } = store({ maxSeriesPerAgent: 3 });
    s.connect(hello('a'));
    fed.batch('a', [gauge('ok', 1)]);
    const big = { name: 'big', type: 'gauge', help: '', samples: [1, 2, 3, 4].map((i) => ({ labels: { i: String(i) }, value: i })) };
    assert.throws(() => fed.batch('a', [big]), (err: unknown) => err instanceof ProtocolError && err.spec.code === 'FP_SERIES_LIMIT');
    assert.match(renderFamilies(s.catalog), /^ok\{instance="a"\} 1$/m);
    s.close();
  });

  it('marks a lost agent down at once and drops its series when the grace period ends', () => {
    const { s, timers, in: fed } = store({ graceMs: 40 });
    const lease = s.connect(hello('a'));
    fed.batch('a', [gauge('x', 1)]);
    s.disconnect('a', lease);
    assert.equal(s.get('a')!.connected, false);
    assert.equal(s.get('a')!.state, 'down');
    assert.equal(s.get('a')!.disconnectedAt, timers.now());
    timers.advance(39);
    assert.match(renderFamilies(s.catalog), /instance="a"/, 'series stay during the grace period');
    timers.advance(1);
    assert.equal(renderFamilies(s.catalog), '');
    assert.equal(s.get('a')!.series, 0);
    assert.equal(s.get('a')!.connected, false, 'the agent itself is still listed, down');
    s.close();
  });

  it('uses 3 of the agent\'s own intervals as the grace period when none is set', () => {
    const { s, timers, in: fed } = store();
    const lease = s.connect(hello('a', {}, { intervalMs: 1000 }));
    fed.batch('a', [gauge('x', 1)]);
    s.disconnect('a', lease);
    timers.advance(2999);
    assert.equal(s.get('a')!.series, 1);
    timers.advance(1);
    assert.equal(s.get('a')!.series, 0);
    s.close();
  });

  it('continues seamlessly when the agent reconnects within the grace period', () => {
    const { s, timers, in: fed } = store({ graceMs: 60 });
    const lease = s.connect(hello('a'));
    fed.batch('a', [gauge('x', 1)]);
    s.disconnect('a', lease);
    timers.advance(30);
    s.connect(hello('a'));
    assert.equal(timers.armed, 0, 'the reconnect cancelled expiry and forgetting');
    timers.advance(60_000);
    assert.match(renderFamilies(s.catalog), /^x\{instance="a"\} 1$/m);
    assert.equal(s.get('a')!.connected, true);
    s.close();
  });

  it('ignores the disconnect of a connection that was replaced by a newer one', () => {
    const { s, timers } = store();
    const oldLease = s.connect(hello('a'));
    s.connect(hello('a'));
    s.disconnect('a', oldLease);
    assert.equal(s.get('a')!.connected, true);
    assert.equal(timers.armed, 0);
    s.close();
  });

  it('forgets a lost agent when forgetMs has passed', () => {
    const { s, timers } = store({ graceMs: 10, forgetMs: 40 });
    const lease = s.connect(hello('a'));
    s.disconnect('a', lease);
    timers.advance(39);
    assert.equal(s.get('a')!.state, 'down');
    timers.advance(1);
    assert.equal(s.get('a'), undefined);
    assert.equal(s.size, 0);
    s.close();
  });

  it('starts the series afresh when the agent comes back with other static labels, keeping its counts', () => {
    const { s, in: fed } = store();
    s.connect(hello('a', { env: 'test' }));
    fed.batch('a', [gauge('x', 1)]);
    s.connect(hello('a', { env: 'prod' }));
    assert.equal(renderFamilies(s.catalog), '');
    assert.equal(s.get('a')!.batches, 1);
    fed.batch('a', [gauge('x', 2)]);
    assert.match(renderFamilies(s.catalog), /^x\{instance="a",env="prod"\} 2$/m);
    s.close();
  });

  it('keeps the probe endpoint and clock offset of the current connection, and shows them only while connected', () => {
    const { s } = store();
    const first = s.connect(hello('a', {}, { probe: { address: '10.0.0.1', port: 9702 } }));
    assert.deepEqual(s.get('a')!.probe, { address: '10.0.0.1', port: 9702 });
    assert.equal(s.get('a')!.clockOffsetMs, undefined, 'unknown until measured');
    s.setClockOffset('a', first, 12.5);
    assert.equal(s.get('a')!.clockOffsetMs, 12.5);
    const second = s.connect(hello('a'));
    assert.equal(s.get('a')!.probe, undefined, 'the new connection announced no responder');
    assert.equal(s.get('a')!.clockOffsetMs, undefined, 'a new connection measures afresh');
    s.setClockOffset('a', first, 99);
    assert.equal(s.get('a')!.clockOffsetMs, undefined, 'the replaced connection no longer writes');
    s.setClockOffset('a', second, -3);
    assert.equal(s.get('a')!.clockOffsetMs, -3);
    s.disconnect('a', second);
    assert.equal(s.get('a')!.clockOffsetMs, undefined);
    s.close();
  });

  it('applies a batch older than the newest applied one to history only: /metrics never moves backwards', () => {
    const { s, in: fed } = store();
    s.connect(hello('a'));
    const newest = fed.batch('a', [gauge('x', 2), gauge('y', 2)], 1_700_000_002_000);
    assert.equal(newest.applied, true);
    const replayed = fed.batch('a', [gauge('x', 1)], 1_700_000_001_000);
    assert.equal(replayed.applied, false, 'an older batch is a replay');
    assert.deepEqual(replayed.families.map((f) => f.text), ['x{instance="a"} 1\n'], 'its own samples go to history');
    assert.equal(renderFamilies(s.catalog), '# HELP x x help\n# TYPE x gauge\nx{instance="a"} 2\n# HELP y y help\n# TYPE y gauge\ny{instance="a"} 2\n');
    assert.equal(fed.batch('a', [gauge('x', 3)], 1_700_000_002_000).applied, true, 'the same time as the newest is applied');
    assert.match(renderFamilies(s.catalog), /^x\{instance="a"\} 3$/m);
    s.close();
  });

  it('shows any batch again once the agent\'s series expired', () => {
    const { s, timers, in: fed } = store({ graceMs: 1000 });
    const lease = s.connect(hello('a'));
    fed.batch('a', [gauge('x', 2)], 1_700_000_002_000);
    s.disconnect('a', lease);
    timers.advance(1000);
    assert.equal(renderFamilies(s.catalog), '', 'expired');
    s.connect(hello('a'));
    assert.equal(fed.batch('a', [gauge('x', 1)], 1_700_000_001_000).applied, true);
    assert.match(renderFamilies(s.catalog), /^x\{instance="a"\} 1$/m);
    s.close();
  });
});

describe('AgentStore limits', () => {
  it('never holds more than the series limit, even when rejected families keep old values', () => {
    const { s, in: fed } = store({ maxSeriesPerAgent: 5 });
    s.connect(hello('a'));
    const many = (name: string, n: number, value: unknown = 1) => ({ name, type: 'gauge', help: '', samples: Array.from({ length: n }, (_, i) => ({ labels: { i: String(i) }, value })) });
    fed.batch('a', [many('x', 4)]);
    // x is now refused (bad value) and y takes 4: keeping the old x would make 8.
    const r = fed.batch('a', [many('x', 1, 'bad'), many('y', 4)]);
    assert.equal(r.samples, 4, 'samples counts only what this batch stored');
    assert.equal(s.get('a')!.series, 4);
    assert.doesNotMatch(renderFamilies(s.catalog), /^x\{/m);
    s.close();
  });

  it('treats an empty label value as no label, so {k=""} and {} are duplicates', () => {
    const { s, in: fed } = store();
    s.connect(hello('a'));
    const r = fed.batch('a', [{ name: 'g', type: 'gauge', help: '', samples: [{ labels: { k: '' }, value: 1 }, { value: 2 }] }]);
    assert.equal(r.rejected[0]?.spec.code, 'FP_DUPLICATE_SERIES');
    s.close();
  });

  it('records the last error with its code and clears it on reconnect', () => {
    const { s, in: fed } = store();
    s.connect(hello('a'));
    fed.batch('a', [{ name: 'bad-name', type: 'gauge', help: '', samples: [] }]);
    assert.match(s.get('a')!.lastError!, /^FP_INVALID_METRIC_NAME: /);
    s.connect(hello('a'));
    assert.equal(s.get('a')!.lastError, undefined);
    s.close();
  });
});

describe('AgentStore departures', () => {
  it('keeps an agent that said goodbye listed as departed, without its series after the grace period, for departedForgetMs', () => {
    const { s, timers, in: fed } = store({ graceMs: 20, forgetMs: 60_000, departedForgetMs: 1000 });
    const lease = s.connect(hello('leaving'));
    fed.batch('leaving', [gauge('node_load1', 1)]);
    s.disconnect('leaving', lease, true);
    assert.equal(s.get('leaving')!.connected, false);
    assert.equal(s.get('leaving')!.state, 'departed');
    timers.advance(20);
    assert.equal(s.get('leaving')!.state, 'departed', 'still listed after the grace period');
    assert.equal(s.get('leaving')!.series, 0, 'its series went with the grace period');
    timers.advance(979);
    assert.ok(s.get('leaving'));
    timers.advance(1);
    assert.equal(s.get('leaving'), undefined, 'forgotten after departedForgetMs');
    s.close();
  });

  it('a lost agent is down, not departed, and stays for forgetMs; a departed one that comes back is connected again', () => {
    const { s, timers } = store({ graceMs: 20, forgetMs: 5000, departedForgetMs: 100 });
    s.disconnect('lost', s.connect(hello('lost')));
    assert.equal(s.get('lost')!.state, 'down');
    timers.advance(4999);
    assert.equal(s.get('lost')!.state, 'down');
    s.disconnect('back', s.connect(hello('back')), true);
    timers.advance(50);
    s.connect(hello('back'));
    timers.advance(1000);
    assert.equal(s.get('back')!.state, 'connected');
    s.close();
  });

  it('departedForgetMs 0 forgets a departed agent with its series at the grace period', () => {
    const { s, timers } = store({ graceMs: 20, forgetMs: 60_000, departedForgetMs: 0 });
    s.disconnect('leaving', s.connect(hello('leaving')), true);
    timers.advance(19);
    assert.ok(s.get('leaving'));
    timers.advance(1);
    assert.equal(s.get('leaving'), undefined);
    s.close();
  });

  it('close() cancels every timer', () => {
    const { s, timers } = store({ graceMs: 20 });
    s.disconnect('a', s.connect(hello('a')));
    assert.equal(timers.armed, 2, 'expiry and forgetting');
    s.close();
    assert.equal(timers.armed, 0);
  });
});
