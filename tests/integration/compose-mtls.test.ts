import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { portToHandOut } from '../helpers/ports.js';
import { stackUnavailable, startStack, type Stack } from './compose-stack.js';
import { PrometheusApi } from './prometheus-api.js';

// docker-compose.yml with docker-compose.mtls.yml, as docs/security.md tells a user to run it:
// certificates from `fleetpulse certs` (the one-shot certs service), the agent on mutual TLS, the
// bridge's HTTP side on HTTPS with basic auth, and Prometheus scraping it that way. No
// FLEETPULSE_TOKEN is given: the agents' token is the one the bridge made (the default).

const FILES = ['docker-compose.yml', 'docker-compose.mtls.yml', 'tests/integration/docker-compose.mtls-test.yml'];
const unavailable = await stackUnavailable();

describe('the Compose stack with mutual TLS and web-config', { skip: unavailable, timeout: 600_000 }, () => {
  let stack: Stack | undefined;
  let startError: unknown;
  let ingestPort = 0;
  let prometheus: PrometheusApi;

  before(async () => {
    try {
      // Outside the ephemeral range: Compose publishes them minutes later, after the builds.
      const ports = new Set<number>();
      while (ports.size < 3) ports.add(await portToHandOut());
      const [httpPort, port, prometheusPort] = [...ports] as [number, number, number];
      ingestPort = port;
      stack = await startStack({
        files: FILES,
        services: ['server', 'agent', 'prometheus'],
        agents: 1,
        variables: { FLEETPULSE_HTTP_PORT: String(httpPort), FLEETPULSE_INGEST_PORT: String(port), PROMETHEUS_PORT: String(prometheusPort), FLEETPULSE_AGENT_ID: 'mtls-agent' },
      });
      const p = stack.one('prometheus');
      prometheus = new PrometheusApi(`http://${p.getHost()}:${p.getMappedPort(9090)}`);
    } catch (err) {
      startError = err;
    }
  });

  after(async () => {
    await stack?.down();
  });

  const running = () => {
    if (startError) throw startError;
    return stack!;
  };

  it('Prometheus scrapes the bridge over HTTPS with basic auth and sees the mTLS agent\'s series', async () => {
    running();
    const deadline = Date.now() + 120_000;
    let last = '';
    for (;;) {
      const up = await prometheus.query('up{job="fleetpulse"}').catch((err: Error) => (last = err.message, []));
      const load = await prometheus.query('node_load1{instance="mtls-agent"}').catch(() => []);
      if (up[0]?.value[1] === '1' && load.length === 1) break;
      last = `up=${JSON.stringify(up)} load=${load.length}`;
      if (Date.now() > deadline) assert.fail(`no scrape over https within 120 s: ${last}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const targets = await prometheus.activeTargets();
    const bridge = targets.find((t) => t.labels.job === 'fleetpulse');
    assert.match(bridge!.scrapeUrl, /^https:\/\/server:9701\/metrics$/);
  });

  it('the bridge\'s HTTP port answers plain HTTP with 400, and HTTPS without the password gets 401', async () => {
    const server = running().one('server');
    const base = `${server.getHost()}:${server.getMappedPort(9701)}`;
    const plain = await fetch(`http://${base}/metrics`);
    assert.equal(plain.status, 400, 'plain HTTP on the HTTPS port gets Go\'s 400, no metrics');
    assert.match(await plain.text(), /Client sent an HTTP request to an HTTPS server/);
    const status = await new Promise<number>((resolve, reject) => {
      const socket = tlsConnect({ host: server.getHost(), port: server.getMappedPort(9701), rejectUnauthorized: false }, () => socket.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
      socket.on('error', reject);
    });
    assert.equal(status, 401);
  });

  it('an agent without a valid certificate is refused: plaintext gets FP_TLS_REQUIRED, TLS without a certificate FP_CLIENT_CERT', async () => {
    const server = running().one('server');
    const port = server.getMappedPort(9700);
    const plain = await LineClient.connect(port, server.getHost());
    plain.hello('mtls-agent');
    await plain.waitForError('FP_TLS_REQUIRED', 15_000);
    const noCert = await LineClient.connectTls(port, { rejectUnauthorized: false }, server.getHost());
    noCert.hello('mtls-agent');
    const err = await noCert.waitForError('FP_CLIENT_CERT', 15_000);
    assert.match(String(err.message), /requires a client certificate/);
    // The real agent is still there.
    const load = await prometheus.query('fleetpulse_agent_up{instance="mtls-agent"}');
    assert.equal(load[0]?.value[1], '1');
    void ingestPort;
  });

  it('the agents\' token was made by the bridge at first start (authentication by default)', async () => {
    const server = running().one('server');
    const result = await server.exec(['sh', '-c', 'stat -c %a /var/lib/fleetpulse-secrets/agent-token && wc -c < /var/lib/fleetpulse-secrets/agent-token']);
    assert.equal(result.exitCode, 0, result.output);
    const [mode, bytes] = result.output.trim().split(/\s+/);
    assert.equal(mode, '600');
    assert.ok(Number(bytes) >= 40, `token of ${bytes} bytes`);
  });
});
