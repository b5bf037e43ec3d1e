import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderAgentStatus } from '../../../src/server/own-metrics/agent-status.js';
import type { AgentHello } from '../../../src/server/store/agent-record.js';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { feed } from '../../helpers/feed-store.js';
import { ManualTimers } from '../../helpers/manual-timers.js';

// A restart of the bridge, without files: what one store's known() says is restored into a
// second store whose clock is later. Deadlines are asserted just before and just after.

const FORGET_MS = 3_600_000;
const DEPARTED_FORGET_MS = 60_000;
const INTERVAL_MS = 5000;

function hello(id: string, labels: Record<string, string> = {}): AgentHello {
  return { id, address: '10.0.0.7', agentVersion: '0.1.0', protocol: 1, labels, intervalMs: INTERVAL_MS };
}

function newStore(timers: ManualTimers): AgentStore {
  return new AgentStore({ graceMs: undefined, forgetMs: FORGET_MS, departedForgetMs: DEPARTED_FORGET_MS, maxSeriesPerAgent: 100, timers });
}

const up = (s: AgentStore) => renderAgentStatus(s.list()).split('\n').filter((l) => l.startsWith('fleetpulse_agent_up{'));

/** A first run: `live` connected, `lost` killed at +10 s, `gone` said goodbye at +10 s; time then at +20 s. */
function firstRun() {
  const timers = new ManualTimers();
  const s = newStore(timers);
  const leases = new Map(['live', 'lost', 'gone'].map((id) => [id, s.connect(hello(id, { role: 'web' }))]));
  feed(s).batch('live', [{ name: 'node_load1', type: 'gauge', help: 'h', samples: [{ value: 1 }] }]);
  timers.advance(10_000);
  s.disconnect('lost', leases.get('lost')!);
  s.disconnect('gone', leases.get('gone')!, true);
  timers.advance(5000);
  s.touch('live');
  const liveSeenAt = timers.now();
  timers.advance(5000);
  const lostAt = timers.now() - 10_000;
  const known = s.known();
  s.close();
  return { known, startMs: timers.now(), lostAt, liveSeenAt };
}

describe('agents restored after a bridge restart', () => {
  it('reports the lost and the then-connected agents down with their labels, the departed departed', () => {
    const { known, startMs } = firstRun();
    const timers = new ManualTimers(startMs + 60_000);
    const s = newStore(timers);
    assert.equal(s.restore(known), 2, 'gone is past DEPARTED_FORGET_MS (60 s after its goodbye) and not restored');
    assert.deepEqual(s.list().map((a) => [a.id, a.state, a.connected, a.series]), [
      ['live', 'down', false, 0],
      ['lost', 'down', false, 0],
    ]);
    assert.deepEqual(up(s), ['fleetpulse_agent_up{instance="live",role="web"} 0', 'fleetpulse_agent_up{instance="lost",role="web"} 0']);
    s.close();
  });

  it('a departed agent restored within FORGET_DEPARTED_AFTER stays departed and goes at the end of it', () => {
    const { known, startMs } = firstRun();
    const goneAt = startMs - 10_000;
    const timers = new ManualTimers(startMs + 1000);
    const s = newStore(timers);
    s.restore(known);
    assert.equal(s.get('gone')?.state, 'departed');
    assert.equal(s.get('gone')?.disconnectedAt, goneAt);
    timers.advance(goneAt + DEPARTED_FORGET_MS - timers.now() - 1);
    assert.equal(s.get('gone')?.state, 'departed', 'just before FORGET_DEPARTED_AFTER');
    timers.advance(1);
    assert.equal(s.get('gone'), undefined, 'forgotten at FORGET_DEPARTED_AFTER');
    s.close();
  });

  it('forgets a lost agent FORGET_AFTER after its connection was lost, and one connected at the restart after it was last seen', () => {
    const { known, startMs, lostAt, liveSeenAt } = firstRun();
    const timers = new ManualTimers(startMs + 60_000);
    const s = newStore(timers);
    s.restore(known);
    assert.equal(s.get('live')?.lastSeen, liveSeenAt);
    assert.equal(s.get('live')?.disconnectedAt, liveSeenAt, 'a connection open when the bridge stopped ended when the agent was last heard');
    timers.advance(lostAt + FORGET_MS - timers.now() - 1);
    assert.equal(s.get('lost')?.state, 'down', 'just before FORGET_AFTER');
    timers.advance(1);
    assert.equal(s.get('lost'), undefined, 'forgotten at FORGET_AFTER');
    assert.equal(s.get('live')?.state, 'down', 'last seen 5 s after lost was lost');
    timers.advance(liveSeenAt + FORGET_MS - timers.now());
    assert.equal(s.get('live'), undefined);
    assert.equal(timers.armed, 0, 'no timer left behind');
    s.close();
  });

  it('restores nothing that FORGET_AFTER passed while the bridge was away', () => {
    const { known, liveSeenAt } = firstRun();
    const timers = new ManualTimers(liveSeenAt + FORGET_MS);
    const s = newStore(timers);
    assert.equal(s.restore(known), 0);
    assert.equal(s.size, 0);
    s.close();
  });

  it('a restored agent that reconnects is connected and not forgotten at its old deadline', () => {
    const { known, startMs, lostAt } = firstRun();
    const timers = new ManualTimers(startMs + 1000);
    const s = newStore(timers);
    s.restore(known);
    s.connect(hello('lost', { role: 'web' }));
    timers.advance(lostAt + FORGET_MS - timers.now() + 1);
    assert.equal(s.get('lost')?.state, 'connected');
    assert.ok(up(s).includes('fleetpulse_agent_up{instance="lost",role="web"} 1'), up(s).join('\n'));
    s.close();
  });

  it('an agent already known to this run is not replaced by the file', () => {
    const { known, startMs } = firstRun();
    const timers = new ManualTimers(startMs + 1000);
    const s = newStore(timers);
    s.connect(hello('lost', { role: 'db' }));
    assert.equal(s.restore(known), 2, 'live and gone (within FORGET_DEPARTED_AFTER), not lost');
    assert.equal(s.get('lost')?.state, 'connected');
    assert.deepEqual(s.get('lost')?.labels, { role: 'db' });
    s.close();
  });

  it('tells its listener about connects, losses, goodbyes, restores and forgetting, not about batches', () => {
    const timers = new ManualTimers();
    const s = newStore(timers);
    let changes = 0;
    s.onChange(() => changes++);
    const lease = s.connect(hello('a'));
    assert.equal(changes, 1);
    for (let i = 0; i < 3; i++) feed(s).batch('a', [{ name: 'x', type: 'gauge', help: 'h', samples: [{ value: i }] }]);
    s.touch('a');
    assert.equal(changes, 1, 'batches and heartbeats are not changes');
    s.disconnect('a', lease);
    assert.equal(changes, 2);
    s.disconnect('a', lease);
    assert.equal(changes, 2, 'a stale disconnect changes nothing');
    timers.advance(FORGET_MS);
    assert.equal(changes, 3, 'forgotten');
    s.close();
  });
});
