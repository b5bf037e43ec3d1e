import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, getJson } from '../../helpers/http.js';
import { startTestBridge } from '../../helpers/bridge.js';
import { LineClient } from '../../helpers/line-client.js';

describe('bridge heartbeats', () => {
  it('pings agents and closes a silent (half-open) one after 3 heartbeat intervals, marking it down', async () => {
    const t = await startTestBridge({ heartbeatMs: 100 });
    const silent = await LineClient.connect(t.ingestPort);
    silent.hello('silent');
    await silent.waitFor((m) => m.type === 'welcome');
    // This peer reads but never writes again, like a peer whose link died without a FIN.
    silent.socket.write = (() => true) as typeof silent.socket.write;
    await silent.waitFor((m) => m.type === 'ping');
    await silent.waitForError('FP_HEARTBEAT_TIMEOUT', 20_000);
    await silent.waitForClose(20_000);
    await eventually(async () => {
      const r = await getJson<{ data: { connected: boolean } }>(`${t.url}/api/agents/silent`);
      return r.data.connected === false;
    }, 20_000, 'agent marked down');
    await t.stop();
  });

  it('keeps an agent that answers pings connected', async () => {
    // The bridge runs in this process: a pause of the whole process longer than the timeout
    // (3 heartbeats) would look like silence to it, so the heartbeat here is not tiny.
    const t = await startTestBridge({ heartbeatMs: 500 });
    const live = await LineClient.connect(t.ingestPort);
    live.hello('live');
    await live.waitFor((m) => m.type === 'welcome');
    // Answer each ping as it comes, until four were answered: longer than the 1.5 s timeout.
    const answered = new Set<unknown>();
    while (answered.size < 4) {
      const ping = await live.waitFor((m) => m.type === 'ping' && !answered.has(m.id), 20_000);
      answered.add(ping.id);
      live.send({ type: 'pong', id: ping.id, t0: ping.t0, t1: Date.now(), t2: Date.now() });
    }
    assert.equal(live.closed, false);
    assert.ok(!live.received.some((m) => m.type === 'error'), JSON.stringify(live.received));
    live.close();
    await t.stop();
  });
});
