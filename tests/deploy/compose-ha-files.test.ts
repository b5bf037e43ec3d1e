import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// docker-compose.ha.yml, prometheus/prometheus-ha.yml and their test variants stay in step with
// the files they are layered on and with each other. The stack itself runs in
// tests/integration/compose-ha.test.ts.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

interface ScrapeJob {
  job_name: string;
  static_configs: { targets: string[] }[];
  relabel_configs?: unknown;
}
interface PrometheusConfig {
  scrape_configs: ScrapeJob[];
}
interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  networks?: { default?: { aliases?: string[] } };
  extends?: { file: string; service: string };
}
const overlay = () => parse(read('docker-compose.ha.yml'), { customTags: [{ tag: '!override', resolve: (v: unknown) => v, collection: 'seq' }] }) as { services: Record<string, Service> };

const BRIDGES = ['bridge-a', 'bridge-b'];
const HA_JOB = {
  targets: BRIDGES.map((b) => `${b}:9701`),
  relabel: [{ source_labels: ['__address__'], target_label: 'bridge' }],
};

/** The config with the fleetpulse job's targets and relabelling taken out, and those two. */
function split(config: PrometheusConfig): { rest: PrometheusConfig; targets: string[]; relabel: unknown } {
  const job = config.scrape_configs.find((j) => j.job_name === 'fleetpulse')!;
  const { targets, relabel } = { targets: job.static_configs.flatMap((s) => s.targets), relabel: job.relabel_configs };
  delete job.relabel_configs;
  job.static_configs = [];
  return { rest: config, targets, relabel };
}

it('prometheus-ha.yml is prometheus.yml with both bridges as targets of the one job, labelled by bridge; the test variant likewise', () => {
  for (const [plainFile, haFile] of [
    ['prometheus/prometheus.yml', 'prometheus/prometheus-ha.yml'],
    ['tests/integration/prometheus/prometheus.yml', 'tests/integration/prometheus/prometheus-ha.yml'],
  ] as const) {
    const plain = split(parse(read(plainFile)) as PrometheusConfig);
    const ha = split(parse(read(haFile)) as PrometheusConfig);
    assert.deepEqual(plain.targets, ['server:9701'], plainFile);
    assert.deepEqual(ha.targets, HA_JOB.targets, haFile);
    assert.deepEqual(ha.relabel, HA_JOB.relabel, haFile);
    assert.deepEqual(ha.rest, plain.rest, `${haFile} differs from ${plainFile} beyond the targets`);
  }
});

it('the overlay: agents given both bridges that Prometheus scrapes, bridge B with its own data and the shared token, the files it mounts exist', () => {
  const { services } = overlay();
  const base = (parse(read('docker-compose.yml')) as { services: Record<string, Service> }).services;
  assert.deepEqual(services.server!.networks!.default!.aliases, ['bridge-a']);
  assert.equal(services.agent!.environment!.FLEETPULSE_SERVER, BRIDGES.map((b) => `${b}:9700`).join(','));
  assert.deepEqual(services['bridge-b']!.extends, { file: 'docker-compose.yml', service: 'server' });
  const mount = (s: Service, target: string) => s.volumes!.find((v) => v.split(':')[1] === target)?.split(':')[0];
  assert.equal(mount(services['bridge-b']!, '/var/lib/fleetpulse'), 'fleetpulse-data-b', 'bridges share no data directory');
  assert.notEqual(mount(base.server!, '/var/lib/fleetpulse'), 'fleetpulse-data-b');
  assert.equal(mount(services['bridge-b']!, '/var/lib/fleetpulse-secrets'), mount(base.server!, '/var/lib/fleetpulse-secrets'), 'one token for both bridges');
  assert.match(services.victoriametrics!.image!, /^\$\{VICTORIA_METRICS_IMAGE:-victoriametrics\/victoria-metrics:v\d+\.\d+\.\d+\}$/, 'overridable, pinned');
  assert.ok(services.prometheus!.command!.includes('--config.file=/etc/prometheus/prometheus-ha.yml'), 'Prometheus runs prometheus-ha.yml');
  for (const volume of services.grafana!.volumes!) {
    const source = volume.split(':')[0]!;
    assert.ok(existsSync(`${ROOT}${source}`), `${source} (grafana) exists`);
  }
  const datasource = parse(read('grafana/provisioning-ha/datasources/victoriametrics.yml')) as { datasources: { type: string; url: string; uid: string }[] };
  assert.deepEqual(datasource.datasources.map((d) => [d.type, d.url]), [['prometheus', 'http://victoriametrics:8428']]);
});

it('.env.example documents every variable the overlay reads', () => {
  const text = read('.env.example');
  const used = new Set([...read('docker-compose.ha.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
  assert.ok(used.has('VICTORIA_METRICS_IMAGE'));
  for (const env of used) assert.match(text, new RegExp(`^#${env}=`, 'm'), `${env} missing from .env.example`);
});

it('docker compose accepts the overlay on docker-compose.yml', { skip: spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0 ? undefined : 'no docker compose here' }, () => {
  const r = spawnSync('docker', ['compose', '-f', 'docker-compose.yml', '-f', 'docker-compose.ha.yml', 'config', '--format', 'json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, COMPOSE_PROJECT_NAME: 'fleetpulse-config-check' } });
  assert.equal(r.status, 0, r.stderr);
  const services = (JSON.parse(r.stdout) as { services: Record<string, { ports?: { published: string; target: number }[]; environment?: Record<string, string> }> }).services;
  // bridge-b has every setting of server (extends), but host ports of its own (!override).
  assert.deepEqual(Object.keys(services['bridge-b']!.environment!).sort(), Object.keys(services.server!.environment!).sort());
  assert.deepEqual(services['bridge-b']!.ports!.map((p) => [p.published, p.target]), [['9710', 9700], ['9711', 9701]]);
  assert.deepEqual(services.server!.ports!.map((p) => [p.published, p.target]), [['9700', 9700], ['9701', 9701]]);
});
