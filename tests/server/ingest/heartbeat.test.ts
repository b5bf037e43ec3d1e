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
    await silent.waitForError('FP_HEARTBEAT_TIMEOUT', 3000);
    await silent.waitForClose();
    await eventually(async () => {
      const r = await getJson<{ data: { connected: boolean } }>(`${t.url}/api/agents/silent`);
      return r.data.connected === false;
    }, 3000, 'agent marked down');
    await t.stop();
  });

  it('keeps an agent that answers pings connected', async () => {
    const t = await startTestBridge({ heartbeatMs: 100 });
    const live = await LineClient.connect(t.ingestPort);
    live.hello('live');
    await live.waitFor((m) => m.type === 'welcome');
    const answered = new Set<unknown>();
    const deadline = Date.now() + 700;
    while (Date.now() < deadline) {
      for (const m of live.received) {
        if (m.type === 'ping' && !answered.has(m.id)) {
          answered.add(m.id);
          live.send({ type: 'pong', id: m.id, t0: m.t0, t1: Date.now(), t2: Date.now() });
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(answered.size >= 3, `pinged ${answered.size} times`);
    assert.equal(live.closed, false);
    live.close();
    await t.stop();
  });
});
