import assert from 'node:assert/strict';
import { Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { listenDualStack } from '../../../src/net/listen.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { getJson, getText } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';

// The bridge listens on :: by default: agents reach it over IPv4 and IPv6 alike.

describe('bridge bound to :: (the default)', () => {
  let t: TestBridge;
  before(async () => {
    t = await startTestBridge({ bindHost: '::' });
  });
  after(() => t.stop());

  it('takes agents over ::1 and 127.0.0.1 and serves HTTP on both', async () => {
    const v6 = await LineClient.connect(t.ingestPort, '::1');
    const v4 = await LineClient.connect(t.ingestPort, '127.0.0.1');
    for (const [c, id] of [[v6, 'six'], [v4, 'four']] as const) {
      c.hello(id);
      await c.waitFor((m) => m.type === 'welcome');
      c.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [{ name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value: id === 'six' ? 6 : 4 }] }] });
      await c.waitFor((m) => m.type === 'ack');
    }
    const text = (await getText(`http://[::1]:${t.httpPort}/metrics`)).text;
    assert.match(text, /^node_load1\{instance="six"\} 6$/m);
    assert.match(text, /^node_load1\{instance="four"\} 4$/m);
    const agents = await getJson<{ data: { id: string; address: string }[] }>(`http://127.0.0.1:${t.httpPort}/api/agents`);
    assert.deepEqual(agents.data.map((a) => [a.id, a.address]), [['four', '127.0.0.1'], ['six', '::1']]);
    v6.close();
    v4.close();
  });
});

it('listenDualStack falls back to 0.0.0.0 where :: cannot be bound for lack of IPv6', async () => {
  // A server whose :: bind fails as it does on a host without IPv6; everything else is real.
  class NoIPv6Server extends Server {
    override listen(...args: unknown[]): this {
      const options = args[0] as { host?: string };
      if (options.host?.includes(':')) {
        queueMicrotask(() => this.emit('error', Object.assign(new Error('listen EAFNOSUPPORT: address family not supported :::0'), { code: 'EAFNOSUPPORT' })));
        return this;
      }
      return super.listen(...(args as Parameters<Server['listen']>));
    }
  }
  const server = new NoIPv6Server();
  try {
    const bound = await listenDualStack(server, 0, '::');
    assert.equal(bound.host, '0.0.0.0');
    assert.ok(bound.port > 0);
    await assert.rejects(listenDualStack(new NoIPv6Server(), 0, '::1'), /EAFNOSUPPORT/, 'a specific IPv6 address does not fall back');
  } finally {
    server.close();
  }
});
