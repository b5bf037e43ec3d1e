import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../helpers/http.js';
import { portToHandOut } from '../helpers/ports.js';
import { skipUnlessInstalled } from '../helpers/prometheus.js';

// alertmanager/alertmanager.yml's inhibition rules in a real Alertmanager (Debian's
// prometheus-alertmanager, which also ships amtool): alerts are added with `amtool alert add`,
// and `amtool alert query` says which are inhibited and by what. One bridge (no `bridge` label)
// and several bridges (prometheus/prometheus-ha.yml adds `bridge`), told apart by `job`.

const CONFIG = fileURLToPath(new URL('../../alertmanager/alertmanager.yml', import.meta.url));
const binary = ['prometheus-alertmanager', 'alertmanager'].find((name) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0);
const skip = skipUnlessInstalled('amtool') ?? (binary || process.env.CI === 'true' ? undefined : 'the Alertmanager binary is not installed (apt-get install prometheus-alertmanager)');

type Labels = Record<string, string>;
interface QueriedAlert {
  labels: Labels;
  status: { state: string; inhibitedBy: string[] };
}

function amtool(url: string, args: string[]): string {
  const r = spawnSync('amtool', [`--alertmanager.url=${url}`, ...args], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `amtool ${args.join(' ')}: ${r.error?.message ?? ''}${r.stdout}${r.stderr}`);
  return r.stdout;
}

const single = (labels: Labels): Labels => ({ job: 'single', ...labels });
const ha = (labels: Labels): Labels => ({ job: 'ha', ...labels });
const VM = 'http://victoriametrics:8428/api/v1/write';

/** Each alert, and whether the shipped rules must hold it back while all of them fire. */
const CASES: { labels: Labels; inhibited: boolean; why: string }[] = [
  // One bridge: BridgeDown says it all.
  { labels: single({ alertname: 'BridgeDown', instance: 'server:9701', severity: 'critical' }), inhibited: false, why: 'the page itself' },
  { labels: single({ alertname: 'AgentDown', instance: 'web-1', severity: 'critical' }), inhibited: true, why: 'one bridge down: every agent looks down' },
  { labels: single({ alertname: 'NodeFilesystemAlmostOutOfSpace', instance: 'web-1', mountpoint: '/', severity: 'warning' }), inhibited: true, why: 'stale host data' },
  { labels: single({ alertname: 'RemoteWriteFailing', instance: 'server:9701', url: VM, severity: 'warning' }), inhibited: true, why: 'the down bridge\'s own alert' },
  // Several bridges: bridge-a is down, its agents moved to bridge-b.
  { labels: ha({ alertname: 'BridgeDown', instance: 'bridge-a:9701', bridge: 'bridge-a:9701', severity: 'critical' }), inhibited: false, why: 'the page itself' },
  { labels: ha({ alertname: 'AgentDown', instance: 'web-2', severity: 'critical' }), inhibited: false, why: 'down on every bridge: bridge-b judges it' },
  { labels: ha({ alertname: 'NodeCPUHighUsage', instance: 'web-3', severity: 'info' }), inhibited: false, why: 'a host alert of an agent now on bridge-b' },
  { labels: single({ alertname: 'AgentOutboxBacklog', instance: 'web-3', severity: 'warning' }), inhibited: true, why: 'stale data of a down bridge' },
  { labels: ha({ alertname: 'RemoteWriteBehind', instance: 'bridge-a:9701', bridge: 'bridge-a:9701', url: VM, severity: 'warning' }), inhibited: true, why: 'bridge-a\'s own alert' },
  { labels: ha({ alertname: 'ProbePairFailing', instance: 'bridge-a:9701', bridge: 'bridge-a:9701', task: 'wan', src: 'web-2', dst: 'web-3', severity: 'warning' }), inhibited: true, why: 'a task of bridge-a' },
  { labels: ha({ alertname: 'ProbePairFailing', instance: 'bridge-b:9701', bridge: 'bridge-b:9701', task: 'lan', src: 'web-4', dst: 'web-5', severity: 'warning' }), inhibited: false, why: 'a task of bridge-b' },
  // bridge-b's receiver accepts nothing: one page per bridge and URL.
  { labels: ha({ alertname: 'RemoteWriteReceiverDown', instance: 'bridge-b:9701', bridge: 'bridge-b:9701', url: VM, severity: 'critical' }), inhibited: false, why: 'the page itself' },
  { labels: ha({ alertname: 'RemoteWriteFailing', instance: 'bridge-b:9701', bridge: 'bridge-b:9701', url: VM, severity: 'warning' }), inhibited: true, why: 'a consequence of RemoteWriteReceiverDown' },
  { labels: ha({ alertname: 'RemoteWriteRefusingBatches', instance: 'bridge-b:9701', bridge: 'bridge-b:9701', url: VM, severity: 'warning' }), inhibited: true, why: 'a consequence of RemoteWriteReceiverDown' },
  { labels: ha({ alertname: 'RemoteWriteFailing', instance: 'bridge-b:9701', bridge: 'bridge-b:9701', url: 'https://mimir.example.org/api/v1/push', severity: 'warning' }), inhibited: false, why: 'another URL' },
  { labels: ha({ alertname: 'AgentOutboxBacklog', instance: 'web-3', severity: 'warning' }), inhibited: true, why: 'every agent\'s backlog while a receiver accepts nothing: one page, not one per agent' },
  { labels: { job: 'other', alertname: 'AgentOutboxBacklog', instance: 'web-9', severity: 'warning' }, inhibited: false, why: 'a job whose receivers are fine' },
  // A clock far off holds back the small-offset warning and the frozen data of that agent only.
  { labels: ha({ alertname: 'AgentClockFarOff', instance: 'web-6', severity: 'critical' }), inhibited: false, why: 'the page itself' },
  { labels: ha({ alertname: 'AgentClockOffset', instance: 'web-6', severity: 'warning' }), inhibited: true, why: 'same agent, same cause' },
  { labels: ha({ alertname: 'AgentFrozen', instance: 'web-6', severity: 'warning' }), inhibited: true, why: 'its batches are refused' },
  { labels: ha({ alertname: 'AgentClockOffset', instance: 'web-7', severity: 'warning' }), inhibited: false, why: 'another agent' },
];

const key = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

describe('alertmanager/alertmanager.yml inhibition in a real Alertmanager', { skip }, () => {
  let child: ChildProcess | undefined;
  let dir: string;
  let url: string;
  let stderr = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetpulse-am-'));
    for (let attempt = 1; ; attempt++) {
      const port = await portToHandOut();
      url = `http://127.0.0.1:${port}`;
      stderr = '';
      child = spawn(binary!, [`--config.file=${CONFIG}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<'exited'>((resolve) => child!.once('exit', () => resolve('exited')));
      const ready = eventually(async () => (await fetch(`${url}/-/ready`)).ok, 60_000, 'alertmanager ready').then(() => 'ready' as const);
      ready.catch(() => {});
      if ((await Promise.race([ready, exited])) === 'ready') break;
      if (!/address already in use/.test(stderr) || attempt >= 5) throw new Error(`alertmanager exited: ${stderr.slice(-500)}`);
    }
    for (const { labels } of CASES) {
      amtool(url, ['alert', 'add', ...Object.entries(labels).map(([k, v]) => `${k}=${v}`), '--annotation=summary=test']);
    }
  });

  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds back exactly what the rules say, with one bridge and with several', async () => {
    const found = await eventually(() => {
      const alerts = JSON.parse(amtool(url, ['alert', 'query', '--active', '--inhibited', '-o', 'json'])) as QueriedAlert[];
      return alerts.length === CASES.length ? alerts : undefined;
    }, 30_000, `all ${CASES.length} alerts in Alertmanager`);
    const byKey = new Map(found.map((a) => [key(a.labels), a]));
    const wrong = CASES.flatMap(({ labels, inhibited, why }) => {
      const alert = byKey.get(key(labels));
      if (!alert) return [`${key(labels)} missing`];
      const actual = alert.status.inhibitedBy.length > 0;
      return actual === inhibited ? [] : [`${labels.job} ${labels.alertname} ${labels.instance}${labels.url ? ` ${labels.url}` : ''}: inhibited=${actual}, expected ${inhibited} (${why})`];
    });
    assert.deepEqual(wrong, []);
  });
});
