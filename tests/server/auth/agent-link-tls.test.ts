import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BridgeConnection } from '../../../src/agent/connection.js';
import { createLogger } from '../../../src/log.js';
import { ReloadingTlsFiles } from '../../../src/net/tls-files.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { TestPki } from '../../helpers/certs.js';
import { eventually, getText } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';

// The agent port with TLS and client certificates (FLEETPULSE_TLS_CERT/KEY/CLIENT_CA), over real
// sockets with certificates made by `fleetpulse certs`' own code. Every refusal is checked to
// leave the real agent connected and its series intact.

const pki = new TestPki();
let t: TestBridge;
let real: LineClient;

const load = (value: number) => ({ name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value }] });

function clientTls(file: string | undefined, caFile = 'ca.crt') {
  return {
    ca: readFileSync(pki.path(caFile)),
    servername: 'localhost',
    ...(file === undefined ? {} : { cert: readFileSync(pki.path(`${file}.crt`)), key: readFileSync(pki.path(`${file}.key`)) }),
  };
}

async function realAgentUnharmed(): Promise<void> {
  assert.equal(real.closed, false, 'the real agent is still connected');
  assert.match((await getText(`${t.url}/metrics`)).text, /^node_load1\{instance="web-01"\} 0\.5$/m);
}

before(async () => {
  pki.ca('ca');
  pki.ca('other-ca');
  pki.leaf('bridge', 'server', ['localhost', '127.0.0.1']);
  pki.leaf('web-01', 'client', ['web-01']);
  pki.leaf('web-02', 'client', ['web-02']);
  pki.leaf('web-01-foreign', 'client', ['web-01'], 'other-ca');
  pki.leaf('web-01-expired', 'client', ['web-01'], 'ca', { notBefore: new Date(Date.now() - 3 * 86_400_000), days: 1 });
  t = await startTestBridge({ agentTls: { cert: pki.path('bridge.crt'), key: pki.path('bridge.key'), clientCa: pki.path('ca.crt') } });
  real = await LineClient.connectTls(t.ingestPort, clientTls('web-01'));
  real.hello('web-01');
  await real.waitFor((m) => m.type === 'welcome');
  real.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [load(0.5)] });
  await real.waitFor((m) => m.type === 'ack');
});

after(async () => {
  real?.close();
  await t?.stop();
  pki.remove();
});

describe('mutual TLS on the agent port', () => {
  it('a plaintext client is told FP_TLS_REQUIRED in plain text and closed', async () => {
    const c = await LineClient.connect(t.ingestPort);
    c.hello('web-01');
    const err = await c.waitForError('FP_TLS_REQUIRED');
    assert.match(String(err.message), /FLEETPULSE_TLS=on/);
    await c.waitForClose();
    await realAgentUnharmed();
  });

  it('an impostor with a valid certificate for another id cannot claim web-01: FP_IDENTITY_MISMATCH', async () => {
    const c = await LineClient.connectTls(t.ingestPort, clientTls('web-02'));
    c.hello('web-01');
    const err = await c.waitForError('FP_IDENTITY_MISMATCH');
    assert.match(String(err.message), /agent id "web-01" is not a name of the agent's certificate \("web-02"\)/);
    await c.waitForClose();
    await realAgentUnharmed();
  });

  it('without a client certificate: FP_CLIENT_CERT before any hello', async () => {
    const c = await LineClient.connectTls(t.ingestPort, clientTls(undefined));
    c.hello('web-01');
    const err = await c.waitForError('FP_CLIENT_CERT');
    assert.match(String(err.message), /sent none/);
    await c.waitForClose();
    assert.equal(c.received.some((m) => m.type === 'welcome'), false);
    await realAgentUnharmed();
  });

  it('a certificate for the right id from another CA: FP_CLIENT_CERT naming the CA problem', async () => {
    const c = await LineClient.connectTls(t.ingestPort, clientTls('web-01-foreign'));
    c.hello('web-01');
    const err = await c.waitForError('FP_CLIENT_CERT');
    assert.match(String(err.message), /not signed by the bridge's client CA/);
    await c.waitForClose();
    await realAgentUnharmed();
  });

  it('an expired client certificate: FP_CLIENT_CERT saying it expired', async () => {
    const c = await LineClient.connectTls(t.ingestPort, clientTls('web-01-expired'));
    const err = await c.waitForError('FP_CLIENT_CERT');
    assert.match(String(err.message), /expired on/);
    await realAgentUnharmed();
  });

  it('the same identity reconnecting replaces the old session (a restarted agent is not locked out)', async () => {
    const again = await LineClient.connectTls(t.ingestPort, clientTls('web-01'));
    again.hello('web-01');
    await again.waitFor((m) => m.type === 'welcome');
    await real.waitForError('FP_REPLACED');
    real.close();
    real = again;
    real.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [load(0.5)] });
    await real.waitFor((m) => m.type === 'ack');
    await realAgentUnharmed();
  });

  it('certificates are re-read when their files change: a new CA and bridge certificate, no restart', async () => {
    pki.ca('rotated-ca');
    pki.leaf('bridge-rotated', 'server', ['localhost'], 'rotated-ca');
    pki.leaf('web-01-rotated', 'client', ['web-01'], 'rotated-ca');
    // Before: the old CA's agent certificate works.
    const before = await LineClient.connectTls(t.ingestPort, clientTls('web-02'));
    before.hello('web-02');
    await before.waitFor((m) => m.type === 'welcome');
    before.close();
    copyFileSync(pki.path('bridge-rotated.crt'), pki.path('bridge.crt'));
    copyFileSync(pki.path('bridge-rotated.key'), pki.path('bridge.key'));
    copyFileSync(pki.path('rotated-ca.crt'), pki.path('ca.crt'));
    // The next handshake presents the new server certificate and trusts only the new CA.
    const rotated = await LineClient.connectTls(t.ingestPort, clientTls('web-01-rotated', 'rotated-ca.crt'));
    rotated.hello('web-01-b', {});
    await rotated.waitForError('FP_IDENTITY_MISMATCH');
    const ok = await LineClient.connectTls(t.ingestPort, clientTls('web-01-rotated', 'rotated-ca.crt'));
    ok.hello('web-01');
    await ok.waitFor((m) => m.type === 'welcome');
    ok.close();
    // An agent still holding a certificate of the old CA is refused now.
    const stale = await LineClient.connectTls(t.ingestPort, { ...clientTls('web-02', 'rotated-ca.crt') });
    await stale.waitForError('FP_CLIENT_CERT');
  });
});

describe('the agent explains a failed TLS handshake', () => {
  let pkiAgent: TestPki;
  let bridge: TestBridge;

  before(async () => {
    pkiAgent = new TestPki();
    pkiAgent.ca('ca');
    pkiAgent.ca('unknown-ca');
    pkiAgent.leaf('bridge', 'server', ['bridge.example.org']);
    pkiAgent.leaf('agent', 'client', ['a1']);
    bridge = await startTestBridge({ agentTls: { cert: pkiAgent.path('bridge.crt'), key: pkiAgent.path('bridge.key'), clientCa: undefined } });
  });

  after(async () => {
    await bridge?.stop();
    pkiAgent?.remove();
  });

  /** Runs a real BridgeConnection until it logs an error; returns that line. */
  async function firstError(tls: { ca?: string; serverName?: string }, bridgeCert?: string): Promise<string> {
    if (bridgeCert) {
      copyFileSync(pkiAgent.path(`${bridgeCert}.crt`), pkiAgent.path('bridge.crt'));
      copyFileSync(pkiAgent.path(`${bridgeCert}.key`), pkiAgent.path('bridge.key'));
    }
    const lines: string[] = [];
    const log = createLogger('error', {}, (l) => lines.push(l));
    const files = new ReloadingTlsFiles({ ca: tls.ca === undefined ? undefined : { path: pkiAgent.path(tls.ca), setting: 'FLEETPULSE_TLS_CA' } }, { reloaded() {}, failed() {} });
    const conn = new BridgeConnection({
      bridges: [{ host: '127.0.0.1', port: bridge.ingestPort }], agentId: 'a1', agentVersion: 'test', labels: {}, token: undefined, intervalMs: 1000,
      backoff: { initialMs: 20, maxMs: 50 }, handshakeTimeoutMs: 2000, log, tls: { files, serverName: tls.serverName },
    });
    conn.start();
    try {
      return await eventually(() => lines.find((l) => l.includes('level=error')), 10_000, 'an error line');
    } finally {
      await conn.stop();
    }
  }

  it('unknown CA: names FLEETPULSE_TLS_CA', async () => {
    const line = await firstError({ ca: 'unknown-ca.crt', serverName: 'bridge.example.org' });
    assert.match(line, /signed by a CA this agent does not trust; set FLEETPULSE_TLS_CA/);
  });

  it('name mismatch: says which name and FLEETPULSE_TLS_SERVER_NAME', async () => {
    const line = await firstError({ ca: 'ca.crt', serverName: 'wrong.example.org' });
    assert.match(line, /not for \\?"wrong.example.org\\?"/);
    assert.match(line, /FLEETPULSE_TLS_SERVER_NAME/);
  });

  it('expired bridge certificate: says it expired', async () => {
    pkiAgent.leaf('bridge-expired', 'server', ['bridge.example.org'], 'ca', { notBefore: new Date(Date.now() - 3 * 86_400_000), days: 1 });
    const line = await firstError({ ca: 'ca.crt', serverName: 'bridge.example.org' }, 'bridge-expired');
    assert.match(line, /certificate has expired; renew it/);
  });

  it('the right CA and name: connected', async () => {
    pkiAgent.leaf('bridge-good', 'server', ['bridge.example.org']);
    copyFileSync(pkiAgent.path('bridge-good.crt'), pkiAgent.path('bridge.crt'));
    copyFileSync(pkiAgent.path('bridge-good.key'), pkiAgent.path('bridge.key'));
    const files = new ReloadingTlsFiles({ ca: { path: pkiAgent.path('ca.crt'), setting: 'FLEETPULSE_TLS_CA' } }, { reloaded() {}, failed() {} });
    const conn = new BridgeConnection({
      bridges: [{ host: '127.0.0.1', port: bridge.ingestPort }], agentId: 'a1', agentVersion: 'test', labels: {}, token: undefined, intervalMs: 1000,
      backoff: { initialMs: 20, maxMs: 50 }, handshakeTimeoutMs: 2000, log: createLogger('error'), tls: { files, serverName: 'bridge.example.org' },
    });
    conn.start();
    try {
      await eventually(() => conn.state === 'connected', 10_000, 'connected over TLS');
    } finally {
      await conn.stop();
    }
  });
});

