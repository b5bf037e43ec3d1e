import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getText } from '../../helpers/http.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { LineClient } from '../../helpers/line-client.js';

// Every kind of bad input gets a precise error, closes the connection only where going on
// makes no sense, counts a rejection by reason, and harms no other agent.

let t: TestBridge;
let bystander: LineClient;

const load = (value: unknown, name = 'node_load1') => ({ name, type: 'gauge', help: '1m load average.', samples: [{ value }] });

async function agent(id: string, extra: Record<string, unknown> = {}): Promise<LineClient> {
  const c = await LineClient.connect(t.ingestPort);
  c.hello(id, extra);
  await c.waitFor((m) => m.type === 'welcome');
  return c;
}

async function metricsText(): Promise<string> {
  return (await getText(`${t.url}/metrics`)).text;
}

function rejectedCount(text: string, reason: string): number {
  const m = new RegExp(`^fleetpulse_bridge_frames_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

before(async () => {
  t = await startTestBridge({ maxSeriesPerAgent: 50, maxLineBytes: 64 * 1024, helloTimeoutMs: 300, maxConnections: 20 });
  bystander = await agent('bystander');
  bystander.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [load(0.25)] });
  await bystander.waitFor((m) => m.type === 'ack' && m.seq === 1);
});

after(async () => {
  bystander.close();
  await t.stop();
});

/** After each case: the bystander is still connected and its data untouched. */
async function bystanderUnharmed(): Promise<void> {
  assert.equal(bystander.closed, false, 'bystander still connected');
  assert.match(await metricsText(), /^node_load1\{instance="bystander"\} 0\.25$/m);
}

describe('bad input on the agent port', () => {
  it('non-JSON before hello: FP_BAD_JSON, fatal, connection closed', async () => {
    const c = await LineClient.connect(t.ingestPort);
    c.sendRaw('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const err = await c.waitForError('FP_BAD_JSON');
    assert.equal(err.fatal, true);
    await c.waitForClose();
    await bystanderUnharmed();
  });

  it('non-JSON after hello: error, connection kept, later batches still work', async () => {
    const before = rejectedCount(await metricsText(), 'bad_json');
    const c = await agent('garbage-sender');
    c.sendRaw('{not json}\n');
    const err = await c.waitForError('FP_BAD_JSON');
    assert.equal(err.fatal, false);
    c.send({ type: 'metrics', seq: 2, timestamp_ms: Date.now(), families: [load(1)] });
    await c.waitFor((m) => m.type === 'ack' && m.seq === 2);
    assert.equal(rejectedCount(await metricsText(), 'bad_json'), before + 1);
    c.close();
    await bystanderUnharmed();
  });

  it('an oversized line is discarded with FP_LINE_TOO_LONG and the stream recovers', async () => {
    const c = await agent('big-talker');
    c.sendRaw(`{"type":"metrics","pad":"${'x'.repeat(100 * 1024)}"}\n`);
    const err = await c.waitForError('FP_LINE_TOO_LONG');
    assert.match(String(err.message), /grew past the limit of 65536 bytes/);
    c.send({ type: 'ping', id: 9, t0: 1 });
    await c.waitFor((m) => m.type === 'pong' && m.id === 9);
    c.close();
    await bystanderUnharmed();
  });

  it('a message before hello: FP_HELLO_REQUIRED, closed', async () => {
    const c = await LineClient.connect(t.ingestPort);
    c.send({ type: 'metrics', seq: 1, timestamp_ms: 1, families: [] });
    await c.waitForError('FP_HELLO_REQUIRED');
    await c.waitForClose();
  });

  it('no hello within the timeout: FP_HELLO_TIMEOUT, closed', async () => {
    const c = await LineClient.connect(t.ingestPort);
    await c.waitForError('FP_HELLO_TIMEOUT');
    await c.waitForClose();
  });

  it('an unknown protocol version: FP_PROTOCOL_VERSION, closed', async () => {
    const c = await LineClient.connect(t.ingestPort);
    c.hello('future', { protocol: 99 });
    const err = await c.waitForError('FP_PROTOCOL_VERSION');
    assert.match(String(err.message), /version 99 is not supported; this bridge speaks 1/);
    await c.waitForClose();
  });

  it('an invalid agent id or reserved static label: closed with a precise error', async () => {
    const c = await LineClient.connect(t.ingestPort);
    c.hello('bad id with spaces');
    await c.waitForError('FP_BAD_AGENT_ID');
    await c.waitForClose();
    const d = await LineClient.connect(t.ingestPort);
    d.hello('ok-id', { labels: { instance: 'spoofed' } });
    await d.waitForError('FP_BAD_LABELS');
    await d.waitForClose();
  });

  it('invalid metric and label names, bad values and duplicates reject only that family', async () => {
    const c = await agent('sloppy');
    c.send({
      type: 'metrics',
      seq: 5,
      timestamp_ms: Date.now(),
      families: [
        load(3),
        load(1, 'bad-name'),
        { name: 'labelled', type: 'gauge', help: '', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] },
        { name: 'valued', type: 'gauge', help: '', samples: [{ value: 'lots' }] },
        { name: 'dup', type: 'gauge', help: '', samples: [{ labels: { a: '1' }, value: 1 }, { labels: { a: '1' }, value: 2 }] },
      ],
    });
    const ack = await c.waitFor((m) => m.type === 'ack' && m.seq === 5);
    assert.equal(ack.samples, 1);
    for (const code of ['FP_INVALID_METRIC_NAME', 'FP_INVALID_LABEL', 'FP_INVALID_VALUE', 'FP_DUPLICATE_SERIES']) {
      const err = await c.waitForError(code);
      assert.equal(err.seq, 5);
      assert.equal(err.fatal, false);
    }
    const text = await metricsText();
    assert.match(text, /^node_load1\{instance="sloppy"\} 3$/m);
    assert.doesNotMatch(text, /labelled|valued|dup\{/);
    c.close();
    await bystanderUnharmed();
  });

  it('label values that try to break the exposition format are escaped; NaN and Inf pass', async () => {
    const c = await agent('escaper');
    c.send({
      type: 'metrics',
      seq: 1,
      timestamp_ms: Date.now(),
      families: [
        { name: 'tricky', type: 'gauge', help: 'help with \\ and\nnewline', samples: [{ labels: { v: 'a"b\\c\nnode_load1{instance="bystander"} 999' }, value: 'NaN' }] },
        { name: 'infinite', type: 'gauge', help: '', samples: [{ labels: { s: '+' }, value: '+Inf' }, { labels: { s: '-' }, value: '-Inf' }] },
      ],
    });
    await c.waitFor((m) => m.type === 'ack' && m.seq === 1);
    const text = await metricsText();
    assert.ok(text.includes('tricky{instance="escaper",v="a\\"b\\\\c\\nnode_load1{instance=\\"bystander\\"} 999"} NaN\n'));
    assert.ok(text.includes('# HELP tricky help with \\\\ and\\nnewline\n'));
    assert.match(text, /^infinite\{instance="escaper",s="\+"\} \+Inf$/m);
    assert.match(text, /^infinite\{instance="escaper",s="-"\} -Inf$/m);
    c.close();
    await bystanderUnharmed();
  });

  it('a type change against other agents: FP_TYPE_CONFLICT, family refused', async () => {
    const c = await agent('type-changer');
    c.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [{ name: 'app_jobs', type: 'counter', help: '', samples: [{ value: 1 }] }] });
    await c.waitFor((m) => m.type === 'ack' && m.seq === 1);
    const d = await agent('type-changer-2');
    d.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [{ name: 'app_jobs', type: 'gauge', help: '', samples: [{ value: 2 }] }] });
    const err = await d.waitForError('FP_TYPE_CONFLICT');
    assert.equal(err.seq, 1);
    assert.match(String(err.message), /sent as gauge but other agents send it as counter/);
    assert.doesNotMatch(await metricsText(), /^app_jobs\{instance="type-changer-2"\}/m);
    c.close();
    d.close();
    await bystanderUnharmed();
  });

  it('a known family with another type: FP_TYPE_CONFLICT naming the known type, family refused', async () => {
    const c = await agent('type-changer-3');
    c.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [{ name: 'node_load1', type: 'counter', help: '', samples: [{ value: 1 }] }] });
    const err = await c.waitForError('FP_TYPE_CONFLICT');
    assert.match(String(err.message), /node_load1: sent as counter, but node_load1 is a gauge/);
    assert.doesNotMatch(await metricsText(), /^node_load1\{instance="type-changer-3"\}/m);
    c.close();
    await bystanderUnharmed();
  });

  it('over the per-agent series limit: FP_SERIES_LIMIT, batch refused, last snapshot kept', async () => {
    const c = await agent('hoarder');
    c.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [load(7)] });
    await c.waitFor((m) => m.type === 'ack' && m.seq === 1);
    const samples = Array.from({ length: 51 }, (_, i) => ({ labels: { i: String(i) }, value: i }));
    c.send({ type: 'metrics', seq: 2, timestamp_ms: Date.now(), families: [{ name: 'many', type: 'gauge', help: '', samples }] });
    const err = await c.waitForError('FP_SERIES_LIMIT');
    assert.equal(err.seq, 2);
    assert.match(await metricsText(), /^node_load1\{instance="hoarder"\} 7$/m);
    c.close();
  });

  it('the same agent id twice: the newest connection wins, the older gets FP_REPLACED', async () => {
    const first = await agent('twin');
    const second = await agent('twin');
    await first.waitForError('FP_REPLACED');
    await first.waitForClose();
    assert.equal(second.closed, false);
    second.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [load(4)] });
    await second.waitFor((m) => m.type === 'ack');
    const agents = JSON.parse((await getText(`${t.url}/api/agents/twin`)).text);
    assert.equal(agents.data.connected, true, 'the old connection closing did not mark the agent down');
    second.close();
  });
});

describe('limits and authentication', () => {
  it('the limits are exposed, so alerts can warn before the bridge refuses', async () => {
    const text = await metricsText();
    assert.match(text, /^fleetpulse_bridge_max_connections 20$/m);
    assert.match(text, /^fleetpulse_bridge_max_series_per_agent 50$/m);
    // The rest at the test bridge's settings (tests/helpers/bridge.ts), each a gauge with its setting in HELP.
    const limits: Record<string, number> = {
      max_series: 5_000_000,
      max_agents: 20_000,
      max_handshakes: 64,
      max_handshakes_per_source: 32,
      max_auth_failures_per_minute: 10,
      max_bytes_per_agent: 8 * 1024 * 1024,
      max_line_bytes: 64 * 1024,
      max_metric_name_bytes: 256,
      max_label_name_bytes: 128,
      max_label_value_bytes: 4096,
      max_static_label_bytes: 4096,
      max_grace_period_seconds: 300,
    };
    for (const [limit, value] of Object.entries(limits)) {
      assert.match(text, new RegExp(`^# HELP fleetpulse_bridge_${limit} .*\\(FLEETPULSE_[A-Z_]+\\)`, 'm'), `${limit} names its setting`);
      assert.match(text, new RegExp(`^# TYPE fleetpulse_bridge_${limit} gauge$`, 'm'), `${limit} is a gauge`);
      assert.match(text, new RegExp(`^fleetpulse_bridge_${limit} ${value}$`, 'm'), `${limit} = ${value}`);
    }
  });

  it('more agents than the limit: the next hello gets FP_TOO_MANY_CONNECTIONS, connected agents unaffected, a known id still reconnects', async () => {
    const small = await startTestBridge({ maxConnections: 2 });
    const a = await LineClient.connect(small.ingestPort);
    const b = await LineClient.connect(small.ingestPort);
    const c = await LineClient.connect(small.ingestPort);
    for (const [client, id] of [[a, 'a'], [b, 'b']] as const) {
      client.hello(id);
      await client.waitFor((m) => m.type === 'welcome');
    }
    c.hello('c');
    await c.waitForError('FP_TOO_MANY_CONNECTIONS');
    await c.waitForClose();
    const again = await LineClient.connect(small.ingestPort);
    again.hello('a');
    await again.waitFor((m) => m.type === 'welcome');
    await a.waitForError('FP_REPLACED');
    assert.equal(b.closed, false);
    again.close();
    b.close();
    await small.stop();
  });

  it('a wrong or missing token is refused with FP_AUTH_FAILED; the right one is welcomed', async () => {
    const secure = await startTestBridge({ token: 's3cret' });
    // Present at 0 before the first rejection, so the AgentAuthFailing alert sees the very first one.
    const before = (await getText(`${secure.url}/metrics`)).text;
    assert.equal(/^fleetpulse_bridge_frames_rejected_total\{reason="auth_failed"\} 0$/m.test(before), true, 'auth_failed at 0 from the start');
    const wrong = await LineClient.connect(secure.ingestPort);
    wrong.hello('w', { token: 'guess' });
    assert.match(String((await wrong.waitForError('FP_AUTH_FAILED')).message), /does not match/);
    await wrong.waitForClose();
    const missing = await LineClient.connect(secure.ingestPort);
    missing.hello('m');
    assert.match(String((await missing.waitForError('FP_AUTH_FAILED')).message), /carried none/);
    const right = await LineClient.connect(secure.ingestPort);
    right.hello('r', { token: 's3cret' });
    await right.waitFor((m) => m.type === 'welcome');
    right.close();
    missing.close();
    assert.equal(rejectedCount((await getText(`${secure.url}/metrics`)).text, 'auth_failed'), 2);
    await secure.stop();
  });
});
