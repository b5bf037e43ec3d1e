import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { parseWebConfig, WebConfigError } from '../../../src/server/http/web-config.js';
import { HttpFront } from '../../../src/server/http/http-front.js';
import { createLogger } from '../../../src/log.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { TestPki } from '../../helpers/certs.js';
import { eventually } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';
import { skipUnlessInstalled, startPrometheus, type TestPrometheus } from '../../helpers/prometheus.js';

// FLEETPULSE_WEB_CONFIG: exporter-toolkit's file format and semantics on every HTTP route, checked
// with a real Prometheus scraping over HTTPS with basic_auth, as node_exporter is scraped.

const HASH = bcrypt.hashSync('scrape-secret', 4);

describe('parseWebConfig refuses bad files with a precise error', () => {
  const cases: [string, string, RegExp][] = [
    ['unknown top-level key', 'tls_config:\n  cert_file: a\n', /web.yml: line 1: field tls_config not found in the web configuration/],
    ['unknown TLS key (typo)', 'tls_server_config:\n  cert_file: a.crt\n  keyfile: a.key\n', /line 3: field keyfile not found in tls_server_config/],
    ['cert without key', 'tls_server_config:\n  cert_file: a.crt\n', /missing one of key or key_file/],
    ['key without cert', 'tls_server_config:\n  key_file: a.key\n', /missing one of cert or cert_file/],
    ['bad client_auth_type', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireSomething\n', /line 4: invalid ClientAuth: RequireSomething/],
    ['client CA without policy', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca.crt\n', /client CA's have been configured without a Client Auth Policy/],
    ['verify without a CA', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n', /needs client_ca_file/],
    ['plain password', 'basic_auth_users:\n  prometheus: hunter2\n', /line 2: basic_auth_users: the password of "prometheus" is not a bcrypt hash/],
    ['not YAML', 'tls_server_config: [\n', /not valid YAML/],
    ['a list', '- a\n- b\n', /must be a YAML mapping/],
    ['header not allowed', 'http_server_config:\n  headers:\n    X-Powered-By: me\n', /HTTP header "X-Powered-By" can not be configured/],
    ['header value', 'http_server_config:\n  headers:\n    X-Frame-Options: allow\n', /invalid value for X-Frame-Options/],
    ['rate_limit', 'rate_limit:\n  burst: 1\n', /rate_limit is not supported/],
    ['SANs without required certs', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequestClientCert\n  client_allowed_sans: [x]\n', /client_allowed_sans requires client_auth_type/],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => assert.throws(() => parseWebConfig(text, '/etc/fp/web.yml'), (err: Error) => err instanceof WebConfigError && message.test(err.message)));
  }

  it('reads a node_exporter-style file, paths relative to the file, TLS12 minimum by default', () => {
    const config = parseWebConfig(`tls_server_config:\n  cert_file: tls/bridge.crt\n  key_file: /abs/bridge.key\n  client_auth_type: RequireClientCert\nbasic_auth_users:\n  prometheus: ${HASH}\n`, '/etc/fp/web.yml');
    assert.equal(config.tls?.certFile, '/etc/fp/tls/bridge.crt');
    assert.equal(config.tls?.keyFile, '/abs/bridge.key');
    assert.equal(config.tls?.clientAuth, 'RequireAnyClientCert');
    assert.equal(config.tls?.minVersion, 'TLSv1.2');
    assert.equal(config.users.get('prometheus'), HASH);
  });

  it('an empty file or empty tls_server_config means plain HTTP, as in the toolkit', () => {
    assert.equal(parseWebConfig('', 'w').tls, undefined);
    assert.equal(parseWebConfig('tls_server_config:\n', 'w').tls, undefined);
  });

  it('a missing certificate file is refused at start naming the key and path', () => {
    const pki = new TestPki();
    try {
      writeFileSync(pki.path('web.yml'), 'tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n');
      assert.throws(() => new HttpFront({ webConfigPath: pki.path('web.yml'), allowedHosts: undefined, maxConnections: 10, log: createLogger('error') }), /tls_server_config.cert_file=.*nope.crt cannot be read/);
    } finally {
      pki.remove();
    }
  });
});

/** One HTTPS request; resolves with status and body, or rejects on a refused handshake. */
function get(port: number, path: string, options: { ca: Buffer; auth?: string; cert?: Buffer; key?: Buffer; host?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername: 'localhost', ca: options.ca, cert: options.cert, key: options.key, headers: { ...(options.auth ? { authorization: `Basic ${Buffer.from(options.auth).toString('base64')}` } : {}), ...(options.host ? { host: options.host } : {}) }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a bridge with web-config: HTTPS and basic auth on every route', () => {
  const pki = new TestPki();
  let t: TestBridge;
  let ca: Buffer;

  before(async () => {
    pki.ca();
    pki.leaf('bridge', 'server', ['localhost', '127.0.0.1']);
    ca = readFileSync(pki.path('ca.crt'));
    writeFileSync(pki.path('web.yml'), `tls_server_config:\n  cert_file: bridge.crt\n  key_file: bridge.key\nbasic_auth_users:\n  prometheus: ${HASH}\n`);
    t = await startTestBridge({ webConfig: pki.path('web.yml'), httpAllowedHosts: ['localhost', '127.0.0.1'] });
    const agent = await LineClient.connect(t.ingestPort);
    agent.hello('web-01');
    await agent.waitFor((m) => m.type === 'welcome');
    agent.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [{ name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value: 0.5 }] }] });
    await agent.waitFor((m) => m.type === 'ack');
  });

  after(async () => {
    await t?.stop();
    pki.remove();
  });

  it('every route needs the credentials: /metrics, /api/agents, /api/events, /api/tasks, the console', async () => {
    for (const path of ['/metrics', '/api/agents', '/api/events', '/api/tasks', '/', '/console/app.js']) {
      const none = await get(t.httpPort, path, { ca });
      assert.equal(none.status, 401, path);
      const wrong = await get(t.httpPort, path, { ca, auth: 'prometheus:wrong' });
      assert.equal(wrong.status, 401, path);
      const unknown = await get(t.httpPort, path, { ca, auth: 'root:scrape-secret' });
      assert.equal(unknown.status, 401, path);
    }
    const ok = await get(t.httpPort, '/metrics', { ca, auth: 'prometheus:scrape-secret' });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^node_load1\{instance="web-01"\} 0\.5$/m);
  });

  it('health probes stay open (over TLS), for orchestrators without credentials', async () => {
    assert.equal((await get(t.httpPort, '/healthz', { ca })).status, 200);
  });

  it('plain HTTP is not served: it gets Go\'s 400 "Client sent an HTTP request to an HTTPS server.", and HTTPS still works after it', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(t.httpPort, '127.0.0.1', () => socket.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n'));
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => resolve(text));
    });
    assert.equal(answer, 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
    assert.equal((await get(t.httpPort, '/metrics', { ca, auth: 'prometheus:scrape-secret' })).status, 200);
  });

  it('a Host outside FLEETPULSE_HTTP_ALLOWED_HOSTS gets 421 (DNS rebinding)', async () => {
    const res = await get(t.httpPort, '/api/agents', { ca, auth: 'prometheus:scrape-secret', host: 'attacker.example:9701' });
    assert.equal(res.status, 421);
    assert.match(res.body, /FLEETPULSE_HTTP_ALLOWED_HOSTS/);
  });

  it('the file is re-read when it changes: a rotated password works at once, the old one no longer', async () => {
    writeFileSync(pki.path('web.yml'), `tls_server_config:\n  cert_file: bridge.crt\n  key_file: bridge.key\nbasic_auth_users:\n  prometheus: ${bcrypt.hashSync('rotated', 4)}\n`);
    assert.equal((await get(t.httpPort, '/metrics', { ca, auth: 'prometheus:rotated' })).status, 200);
    assert.equal((await get(t.httpPort, '/metrics', { ca, auth: 'prometheus:scrape-secret' })).status, 401);
    // A broken edit keeps the working configuration.
    writeFileSync(pki.path('web.yml'), 'basic_auth_users:\n  prometheus: plaintext\n');
    assert.equal((await get(t.httpPort, '/metrics', { ca, auth: 'prometheus:rotated' })).status, 200);
    writeFileSync(pki.path('web.yml'), `tls_server_config:\n  cert_file: bridge.crt\n  key_file: bridge.key\nbasic_auth_users:\n  prometheus: ${HASH}\n`);
  });

  it('a renewed certificate is served without restart', async () => {
    pki.ca('ca2');
    pki.leaf('bridge2', 'server', ['localhost', '127.0.0.1'], 'ca2');
    copyFileSync(pki.path('bridge2.crt'), pki.path('bridge.crt'));
    copyFileSync(pki.path('bridge2.key'), pki.path('bridge.key'));
    const res = await get(t.httpPort, '/metrics', { ca: readFileSync(pki.path('ca2.crt')), auth: 'prometheus:scrape-secret' });
    assert.equal(res.status, 200);
    await assert.rejects(get(t.httpPort, '/metrics', { ca, auth: 'prometheus:scrape-secret' }), /self.signed|unable to verify|certificate/i);
    ca = readFileSync(pki.path('ca2.crt'));
  });

  it('a real Prometheus scrapes it over https with basic_auth and tls_config', { skip: skipUnlessInstalled('prometheus') }, async () => {
    writeFileSync(pki.path('password'), 'scrape-secret\n');
    let prometheus: TestPrometheus | undefined;
    try {
      prometheus = await startPrometheus(
        `127.0.0.1:${t.httpPort}`,
        `    scheme: https\n    tls_config:\n      ca_file: ${pki.path('ca2.crt')}\n      server_name: localhost\n    basic_auth:\n      username: prometheus\n      password_file: ${pki.path('password')}\n`,
      );
      const result = await eventually(async () => {
        const r = await prometheus!.query('node_load1{instance="web-01"}');
        return r.length === 1 ? r : undefined;
      }, 30_000, 'node_load1 scraped over https');
      assert.equal(result[0]!.value[1], '0.5');
      assert.equal((await prometheus.query('up{job="fleetpulse"}'))[0]?.value[1], '1');
    } finally {
      await prometheus?.stop();
    }
  });
});

describe('web-config client certificates (client_auth_type RequireAndVerifyClientCert)', () => {
  const pki = new TestPki();
  let t: TestBridge;

  before(async () => {
    pki.ca();
    pki.ca('other');
    pki.leaf('bridge', 'server', ['localhost']);
    pki.leaf('prometheus', 'client', ['prometheus']);
    pki.leaf('stranger', 'client', ['prometheus'], 'other');
    writeFileSync(pki.path('web.yml'), 'tls_server_config:\n  cert_file: bridge.crt\n  key_file: bridge.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n');
    t = await startTestBridge({ webConfig: pki.path('web.yml') });
  });

  after(async () => {
    await t?.stop();
    pki.remove();
  });

  it('a client certificate from the CA is served; none, or one from another CA, is refused in the handshake', async () => {
    const ca = readFileSync(pki.path('ca.crt'));
    const mine = { cert: readFileSync(pki.path('prometheus.crt')), key: readFileSync(pki.path('prometheus.key')) };
    assert.equal((await get(t.httpPort, '/metrics', { ca, ...mine })).status, 200);
    await assert.rejects(get(t.httpPort, '/metrics', { ca }));
    await assert.rejects(get(t.httpPort, '/metrics', { ca, cert: readFileSync(pki.path('stranger.crt')), key: readFileSync(pki.path('stranger.key')) }));
  });
});

describe('HTTP limits', () => {
  let t: TestBridge;

  before(async () => {
    t = await startTestBridge({ httpMaxConnections: 2 });
  });

  after(() => t?.stop());

  it('a client that never finishes its headers is disconnected (headers timeout), the bridge answers others', async () => {
    const socket = connect(t.httpPort, '127.0.0.1', () => socket.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\n'));
    socket.on('error', () => {});
    const closed = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.on('close', () => resolve(text));
    });
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    // Node answers 408 when its headersTimeout passes; the stalled request never reached a route.
    assert.match(await closed, /^HTTP\/1\.1 408/);
  });

  it('connections over FLEETPULSE_HTTP_MAX_CONNECTIONS are dropped; a slot frees when one closes', async () => {
    const open = () => new Promise<import('node:net').Socket>((resolve) => {
      const s = connect(t.httpPort, '127.0.0.1', () => resolve(s));
      s.on('error', () => {});
    });
    const a = await open();
    const b = await open();
    const c = await open();
    await new Promise<void>((resolve) => c.on('close', () => resolve()));
    a.destroy();
    b.destroy();
    await eventually(async () => (await fetch(`${t.url}/healthz`)).status === 200, 10_000, 'served again');
  });
});
