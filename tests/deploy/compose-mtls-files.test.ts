import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// docker-compose.mtls.yml and prometheus/prometheus-mtls.yml (docs/security.md) stay in step with
// the files they are layered on. The stack itself runs in tests/integration/compose-mtls.test.ts.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

it('prometheus-mtls.yml is prometheus.yml with the bridge scraped over https with basic auth, nothing else', () => {
  const plain = parse(read('prometheus/prometheus.yml')) as { scrape_configs: Record<string, unknown>[] };
  const mtls = parse(read('prometheus/prometheus-mtls.yml')) as { scrape_configs: Record<string, unknown>[] };
  const job = mtls.scrape_configs.find((j) => j.job_name === 'fleetpulse')!;
  assert.equal(job.scheme, 'https');
  assert.deepEqual(job.basic_auth, { username: 'prometheus', password_file: '/etc/fleetpulse-certs/prometheus.password' });
  assert.deepEqual(job.tls_config, { ca_file: '/etc/fleetpulse-certs/ca.crt', server_name: 'server' });
  delete job.scheme;
  delete job.basic_auth;
  delete job.tls_config;
  assert.deepEqual(mtls, plain);
});

it('the certs service issues the certificate the agent service reads, into the volumes they mount', () => {
  const override = parse(read('docker-compose.mtls.yml')) as { services: Record<string, { command?: string[]; environment?: Record<string, string>; volumes?: string[] }> };
  const { certs, server, agent } = override.services;
  const script = certs!.command!.join('\n');
  for (const what of ['fp ca', 'fp bridge --name server', 'fp agent "$$AGENT_ID"', 'fp web-config']) assert.ok(script.includes(what), what);
  assert.equal(certs!.environment!.AGENT_ID, '${FLEETPULSE_AGENT_ID:-agent-1}');
  assert.equal(agent!.environment!.FLEETPULSE_TLS_CERT, '/run/fleetpulse-certs/${FLEETPULSE_AGENT_ID:-agent-1}.crt');
  assert.ok(agent!.volumes!.includes('fleetpulse-certs:/run/fleetpulse-certs:ro'));
  assert.ok(server!.volumes!.includes('fleetpulse-certs:/var/lib/fleetpulse-certs:ro'));
  // The CA key stays in a volume only the certs service mounts.
  for (const [name, service] of Object.entries(override.services)) {
    if (name !== 'certs') assert.ok(!(service.volumes ?? []).some((v) => v.startsWith('fleetpulse-ca:')), `${name} mounts the CA key`);
  }
});

it('docker compose accepts the two files together', { skip: spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0 ? undefined : 'no docker compose here' }, () => {
  const r = spawnSync('docker', ['compose', '-f', 'docker-compose.yml', '-f', 'docker-compose.mtls.yml', 'config', '-q'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, COMPOSE_PROJECT_NAME: 'fleetpulse-config-check' } });
  assert.equal(r.status, 0, r.stderr);
});
