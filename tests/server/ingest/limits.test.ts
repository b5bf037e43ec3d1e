import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AgentStore } from '../../../src/server/store/agent-store.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { feed } from '../../helpers/feed-store.js';
import { getText } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';
import { ManualTimers } from '../../helpers/manual-timers.js';

// One hostile case per finding of issue 10 that concerns what an agent may make the bridge
// hold, over real sockets against one bridge: each ends with the bridge alive and the real
// agent connected with exactly its series.

const load = (value: number) => ({ name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value }] });
const metrics = (seq: number, families: unknown[]) => ({ type: 'metrics', seq, timestamp_ms: Date.now(), families });

let t: TestBridge;
let real: LineClient;

async function agent(id: string, extra: Record<string, unknown> = {}, localAddress?: string): Promise<LineClient> {
  const c = await LineClient.connect(t.ingestPort, '127.0.0.1', localAddress);
  c.hello(id, extra);
  await c.waitFor((m) => m.type === 'welcome');
  return c;
}

async function scrape(): Promise<string> {
  return (await getText(`${t.url}/metrics`)).text;
}

async function realAgentIntact(): Promise<void> {
  assert.equal(real.closed, false, 'the real agent is still connected');
  const text = await scrape();
  assert.match(text, /^node_load1\{instance="real"\} 0\.5$/m, 'its series are unchanged');
  assert.match(text, /^# TYPE node_load1 gauge$/m);
}

before(async () => {
  t = await startTestBridge({ maxSeries: 40, maxBytesPerAgent: 256 * 1024, maxAgents: 12, graceMs: undefined, maxGraceMs: 150, forgetMs: 60_000 });
  real = await agent('real');
  real.send(metrics(1, [load(0.5)]));
  await real.waitFor((m) => m.type === 'ack');
});

after(async () => {
  real.close();
  await t.stop();
});

describe('goodbye under a dead agent\'s id', () => {
  it('from another address, without proof of the id, does not make its up 0 disappear; its own goodbye does', async () => {
    const victim = await agent('victim', {}, '127.0.0.31');
    victim.send(metrics(1, [load(3)]));
    await victim.waitFor((m) => m.type === 'ack');
    victim.close(); // it dies: listed as down
    await victim.waitForClose();
    const impostor = await agent('victim', {}, '127.0.0.32');
    impostor.send({ type: 'goodbye', reason: 'bye' });
    impostor.close();
    await impostor.waitForClose();
    const state = (id: string) => t.bridge.store.get(id)?.state;
    const settle = async (id: string, what: string) => {
      const deadline = Date.now() + 15_000;
      while (state(id) === 'connected') {
        assert.ok(Date.now() < deadline, what);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await settle('victim', 'the impostor\'s connection ended');
    assert.equal(state('victim'), 'down', 'listed as down, not departed: AgentDown keeps firing');
    assert.match(await scrape(), /^fleetpulse_agent_up\{instance="victim"\} 0$/m);
    // An agent that comes back from the address it was last connected from may say goodbye.
    const other = await agent('retiring', {}, '127.0.0.33');
    other.send(metrics(1, [load(4)]));
    await other.waitFor((m) => m.type === 'ack');
    other.close();
    await other.waitForClose();
    const back = await agent('retiring', {}, '127.0.0.33');
    back.send({ type: 'goodbye', reason: 'decommissioned' });
    back.close();
    await back.waitForClose();
    await settle('retiring', 'its connection ended');
    assert.equal(state('retiring'), 'departed', 'its own goodbye counts');
    assert.equal(state('victim'), 'down');
    await realAgentIntact();
  });
});

describe('hostile agents against the limits', () => {
  it('crash line: a 400 KB batch with a 100 KB metric name is refused as FP_METRIC_NAME_TOO_LONG; the sender stays, the bridge lives', async () => {
    const c = await agent('crasher');
    const name = 'x'.repeat(100 * 1024);
    c.send(metrics(7, [{ name, type: 'gauge', help: '', samples: Array.from({ length: 3 }, (_, i) => ({ labels: { pad: 'p'.repeat(100 * 1024), i: String(i) }, value: 1 })) }]));
    const err = await c.waitForError('FP_METRIC_NAME_TOO_LONG');
    assert.equal(err.fatal, false);
    assert.equal(err.seq, 7);
    assert.match(String(err.message), /102400 bytes; the limit is 256/);
    await c.waitFor((m) => m.type === 'ack' && m.seq === 7);
    await realAgentIntact();
    c.close();
  });

  it('amplification: long static labels repeated on every line are refused at hello past 4 KiB, and a batch rendering past the bytes limit is refused whole', async () => {
    const fat = await LineClient.connect(t.ingestPort);
    fat.hello('fat', { labels: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`l${i}`, 'v'.repeat(1000)])) });
    assert.match(String((await fat.waitForError('FP_BAD_LABELS')).message), /static labels take \d+ bytes .* allows 4096/);
    await fat.waitForClose();
    // Within the static limit, 2000 samples would render ~8 MB from a ~40 KB batch.
    const c = await agent('amplifier', { labels: { pad: 'a'.repeat(3900) } });
    c.send(metrics(1, [load(2)]));
    await c.waitFor((m) => m.type === 'ack' && m.seq === 1);
    c.send(metrics(2, [{ name: 'amp', type: 'gauge', help: '', samples: Array.from({ length: 2000 }, (_, i) => ({ labels: { i: String(i) }, value: i })) }]));
    const err = await c.waitForError('FP_AGENT_BYTES_LIMIT');
    assert.equal(err.seq, 2);
    assert.match(String(err.message), /more than 262144 bytes/);
    assert.ok(!c.received.some((m) => m.type === 'ack' && m.seq === 2), 'no ack: the batch was refused whole');
    const text = await scrape();
    assert.match(text, /^node_load1\{instance="amplifier",pad="a{3900}"\} 2$/m, 'its previous snapshot stays');
    assert.doesNotMatch(text, /^amp\{/m);
    assert.ok(text.length < 1024 * 1024, `/metrics stays small (${text.length} bytes)`);
    await realAgentIntact();
    c.close();
  });

  it('reserved names: up, scrape_* and fleetpulse_* from an agent are refused; Prometheus keeps its own', async () => {
    const c = await agent('squatter');
    c.send(metrics(3, [
      { name: 'up', type: 'gauge', help: 'fake', samples: [{ value: 1 }] },
      { name: 'scrape_duration_seconds', type: 'gauge', help: 'fake', samples: [{ value: 0 }] },
      { name: 'fleetpulse_agent_up', type: 'gauge', help: 'fake', samples: [{ value: 1 }] },
      load(1),
    ]));
    await c.waitFor((m) => m.type === 'ack' && m.seq === 3);
    const errors = c.received.filter((m) => m.type === 'error' && m.seq === 3);
    assert.deepEqual(errors.map((e) => e.code), ['FP_INVALID_METRIC_NAME', 'FP_INVALID_METRIC_NAME', 'FP_INVALID_METRIC_NAME']);
    const text = await scrape();
    assert.doesNotMatch(text, /^up\{/m);
    assert.doesNotMatch(text, /^scrape_duration_seconds/m);
    assert.doesNotMatch(text, /^fleetpulse_agent_up\{instance="squatter"\} 1\n(?:.|\n)*fleetpulse_agent_up\{instance="squatter"\}/m);
    await realAgentIntact();
    c.close();
  });

  it('series in total: a batch that would take the bridge past its series limit is refused whole; others keep theirs', async () => {
    const c = await agent('hoarder');
    c.send(metrics(4, [{ name: 'many', type: 'gauge', help: '', samples: Array.from({ length: 39 }, (_, i) => ({ labels: { i: String(i) }, value: i })) }]));
    const err = await c.waitForError('FP_FLEET_SERIES_LIMIT');
    assert.equal(err.seq, 4);
    assert.match(String(err.message), /limit for all agents together is 40/);
    // Fewer series fit.
    c.send(metrics(5, [{ name: 'many', type: 'gauge', help: '', samples: Array.from({ length: 20 }, (_, i) => ({ labels: { i: String(i) }, value: i })) }]));
    await c.waitFor((m) => m.type === 'ack' && m.seq === 5);
    await realAgentIntact();
    c.close();
  });

  it('agents in total: a new id past the limit is refused with FP_TOO_MANY_AGENTS; known ids still reconnect', async () => {
    const made: LineClient[] = [];
    const before = t.bridge.store.size;
    for (let i = before; i < 12; i++) made.push(await agent(`filler-${i}`));
    const over = await LineClient.connect(t.ingestPort);
    over.hello('one-too-many');
    const err = await over.waitForError('FP_TOO_MANY_AGENTS');
    assert.equal(err.fatal, true);
    await over.waitForClose();
    made[0]!.close();
    await made[0]!.waitForClose();
    const back = await agent(`filler-${before}`);
    back.close();
    for (const c of made) c.close();
    await realAgentIntact();
  });
});

it('the default grace period is capped whatever interval_ms an agent claims', () => {
  const timers = new ManualTimers();
  const store = new AgentStore({ graceMs: undefined, maxGraceMs: 300_000, forgetMs: 86_400_000, maxSeriesPerAgent: 100, timers });
  const lease = store.connect({ id: 'slow', address: '10.0.0.1', agentVersion: 't', protocol: 1, labels: {}, intervalMs: 3_600_000 });
  feed(store).batch('slow', [load(1)]);
  store.disconnect('slow', lease);
  timers.advance(299_000);
  assert.equal(store.get('slow')!.series, 1, 'kept within the cap');
  timers.advance(1_000);
  assert.equal(store.get('slow')!.series, 0, 'gone at 5 min, not 3 h');
  assert.equal(store.get('slow')!.connected, false, 'still listed as down');
});
