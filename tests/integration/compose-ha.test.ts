import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { StartedTestContainer } from 'testcontainers';
import { portToHandOut } from '../helpers/ports.js';
import { describeGaps, gapReport } from '../helpers/sample-gaps.js';
import { exportVictoriaMetrics, type ExportedSeries } from '../helpers/victoria-metrics.js';
import { eventuallyPasses, findCompose, stackUnavailable, startStack, type Stack } from './compose-stack.js';
import { dashboardQueries } from './dashboard-queries.js';
import { PrometheusApi } from './prometheus-api.js';

// docker-compose.yml with docker-compose.ha.yml, as docs/deploy.md#several-bridges tells a user to
// run it: bridge A (service server, alias bridge-a) and bridge B, one agent given both, Prometheus
// scraping both with a bridge label, VictoriaMetrics. No FLEETPULSE_TOKEN is given: the agents'
// token is the one bridge A made, and bridge B must accept it too.

const FILES = ['docker-compose.yml', 'docker-compose.ha.yml', 'tests/integration/docker-compose.ha-test.yml'];
const A = 'bridge-a:9701';
const B = 'bridge-b:9701';
const unavailable = (await stackUnavailable()) ?? overlayUnsupported();

/** docker-compose.ha.yml needs `extends` from a file with `!override`: Compose v2.24.4 or later. */
function overlayUnsupported(): string | undefined {
  const version = findCompose()?.name === 'docker compose' ? spawnSync('docker', ['compose', 'version', '--short'], { encoding: 'utf8' }).stdout.trim() : '';
  const [major = 0, minor = 0, patch = 0] = (/^v?(\d+)\.(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  const ok = major > 2 || (major === 2 && (minor > 24 || (minor === 24 && patch >= 4)));
  if (ok) return undefined;
  const why = `docker-compose.ha.yml needs Compose v2.24.4 or later, found ${version || 'none (v1 only)'}`;
  if (process.env.CI === 'true') throw new Error(`${why}; CI=true requires the Compose suite to run`);
  return why;
}

interface Running {
  stack: Stack;
  prometheus: PrometheusApi;
  agent: StartedTestContainer;
  /** VictoriaMetrics, the bridges' remote_write receiver, from the host. */
  vm: string;
  /** The agent's id: its container hostname. */
  id: string;
}

describe('the Compose stack with two bridges (docker-compose.ha.yml)', { skip: unavailable }, () => {
  let running: Running | undefined;
  let startError: unknown;
  /** Prometheus' clock when bridge A was killed. */
  let killedAt = 0;
  /** Bridge B's clock when the agent connected to it. */
  let connectedAt = 0;

  before(async () => {
    let started: Stack | undefined;
    try {
      // Outside the ephemeral range: Compose publishes them minutes later, after the builds.
      const ports = new Set<number>();
      while (ports.size < 7) ports.add(await portToHandOut());
      const [httpA, ingestA, httpB, ingestB, prometheusPort, vmPort, alertmanagerPort] = [...ports].map(String) as string[];
      started = await startStack({
        files: FILES,
        services: ['server', 'bridge-b', 'agent', 'prometheus', 'victoriametrics'],
        agents: 1,
        variables: {
          FLEETPULSE_HTTP_PORT: httpA!,
          FLEETPULSE_INGEST_PORT: ingestA!,
          FLEETPULSE_B_HTTP_PORT: httpB!,
          FLEETPULSE_B_INGEST_PORT: ingestB!,
          PROMETHEUS_PORT: prometheusPort!,
          VICTORIA_METRICS_PORT: vmPort!,
          ALERTMANAGER_PORT: alertmanagerPort!,
        },
      });
      const p = started.one('prometheus');
      const agent = started.one('agent');
      const vm = started.one('victoriametrics');
      running = {
        stack: started,
        prometheus: new PrometheusApi(`http://${p.getHost()}:${p.getMappedPort(9090)}`),
        agent,
        vm: `http://${vm.getHost()}:${vm.getMappedPort(8428)}`,
        id: agent.getHostname(),
      };
    } catch (err) {
      startError = err;
      await started?.down();
    }
  }, { timeout: 900_000 });

  after(async () => {
    await running?.stack.down();
  }, { timeout: 120_000 });

  const stack = (): Running => {
    if (startError) throw startError;
    return running!;
  };

  /** The agent's node_load1 in VictoriaMetrics over the window (seconds). */
  const loadInVm = ({ vm, id }: Running, fromS: number, toS: number): Promise<ExportedSeries[]> =>
    exportVictoriaMetrics(vm, `node_load1{instance="${id}"}`, { fromMs: fromS * 1000, toMs: toS * 1000 });

  /** fleetpulse_agent_up of the agent, by the bridge label of the series. */
  const upByBridge = async ({ prometheus, id }: Running) =>
    Object.fromEntries((await prometheus.query(`fleetpulse_agent_up{instance="${id}"}`)).map((s) => [s.metric.bridge, s.value[1]]));

  it('Prometheus scrapes both bridges, each series labelled with its bridge, and the agent is on bridge A', { timeout: 120_000 }, async () => {
    const r = stack();
    await eventuallyPasses('both bridge targets up', 60_000, async () => {
      const up = await r.prometheus.query('up{job="fleetpulse"}');
      assert.deepEqual(Object.fromEntries(up.map((s) => [s.metric.bridge, [s.metric.instance, s.value[1]]])), { [A]: [A, '1'], [B]: [B, '1'] });
    });
    await eventuallyPasses('the agent on bridge A', 60_000, async () => {
      assert.deepEqual(await upByBridge(r), { [A]: '1' }, 'bridge B has never seen the agent');
      const load = await r.prometheus.query(`node_load1{instance="${r.id}"}`);
      assert.deepEqual(load.map((s) => s.metric.bridge), [A]);
    });
    const started = await r.prometheus.time();
    await eventuallyPasses('the agent\'s node_load1 in VictoriaMetrics', 90_000, async () => {
      const found = await loadInVm(r, started - 300, started + 300);
      assert.deepEqual(found.map((x) => x.metric), [{ __name__: 'node_load1', instance: r.id, job: 'fleetpulse' }], 'one series, the scrape job\'s job label, no bridge label');
    });
    // History on A before the kill, so the checks after the move see the series split in two.
    await eventuallyPasses('15 scrapes of the agent on bridge A', 90_000, async () => {
      const [n] = await r.prometheus.query(`count_over_time(node_load1{instance="${r.id}", bridge="${A}"}[1m])`);
      assert.ok(Number(n?.value[1] ?? 0) >= 15, `samples from bridge A: ${n?.value[1]}`);
    });
  });

  it('the Fleet overview\'s remote_write panels show bridge A writing to VictoriaMetrics, and no RemoteWrite alert holds', { timeout: 120_000 }, async () => {
    const r = stack();
    const queries = dashboardQueries({ instance: r.id, interval: '1m', variables: { task: 't_none' } }).filter((q) => /\bfleetpulse_remote_write_/.test(q.raw));
    assert.ok(queries.length >= 5, `${queries.length} remote_write queries`);
    await eventuallyPasses('remote_write panels with bridge A\'s series', 90_000, async () => {
      for (const q of queries) {
        const result = q.instant ? await r.prometheus.query(q.expr) : (await r.prometheus.queryRange(q.expr, 60, 5)).map((s) => ({ metric: s.metric }));
        assert.ok(result.some((s) => s.metric.instance === A), `${q.panel} (${q.refId}) has no series of bridge A: ${q.expr}`);
      }
      const [sent] = await r.prometheus.query(`sum(rate(fleetpulse_remote_write_samples_sent_total{instance="${A}"}[1m]))`);
      assert.ok(Number(sent?.value[1] ?? 0) > 0, `bridge A sends samples: ${sent?.value[1]}`);
    });
    const holding = await r.prometheus.query('ALERTS{alertname=~"RemoteWrite.+|AgentOutbox.+"}');
    assert.deepEqual(holding.map((s) => `${s.metric.alertname} ${s.metric.alertstate} ${s.metric.instance}`), [], 'a healthy receiver raises no history alert');
  });

  it('docker kill of bridge A: the agent reaches bridge B with its first attempt, authenticated by the shared token', { timeout: 180_000 }, async (t) => {
    const r = stack();
    killedAt = await r.prometheus.time();
    await r.stack.kill(r.stack.one('server'));
    await eventuallyPasses('the agent on bridge B in Prometheus', 90_000, async () => {
      assert.equal((await upByBridge(r))[B], '1');
    });
    const log = await r.stack.logs(r.agent);
    const lost = log.split('\n').findIndex((l) => l.includes('msg="lost connection to bridge, reconnecting"'));
    assert.ok(lost >= 0, `the agent logged the lost connection:\n${log.slice(-3000)}`);
    const since = log.split('\n').slice(lost).filter((l) => /msg="(lost connection|reconnected to bridge|cannot reach)/.test(l) || / level=error /.test(l));
    assert.match(since[0]!, /bridge=bridge-a:9700 next=bridge-b:9700/);
    // One failed attempt, the lost connection itself: the next one, after one backoff
    // (FLEETPULSE_RECONNECT_MAX at most), went to bridge B and was welcomed.
    assert.match(since[1] ?? '', /msg="reconnected to bridge" .*\bbridge=bridge-b:9700 .*\bfailed_attempts=1\b/, since.join('\n'));
    assert.equal(since.length, 2, `nothing else after the move:\n${since.join('\n')}`);
    const [connected] = await r.prometheus.query(`fleetpulse_agent_connected_since_timestamp_seconds{instance="${r.id}", bridge="${B}"}`);
    connectedAt = Number(connected!.value[1]);
    t.diagnostic(`failover: bridge A killed at ${killedAt.toFixed(1)}, agent connected to B at ${connectedAt.toFixed(1)} (${(connectedAt - killedAt).toFixed(1)} s, Prometheus' and the bridge's clocks)`);
  });

  it('VictoriaMetrics holds the agent\'s node_load1 as one series across the move, from both bridges, with no gap longer than 2 intervals across the kill', { timeout: 120_000 }, async (t) => {
    const r = stack();
    assert.ok(connectedAt > 0, 'the previous test saw the agent on bridge B');
    const [fromS, toS] = [killedAt - 10, connectedAt + 10];
    const found = await eventuallyPasses('samples in VictoriaMetrics 10 s past the move', 90_000, async () => {
      const series = await loadInVm(r, fromS, toS + 60);
      assert.ok(series.some((x) => x.timestamps.some((at) => at >= toS * 1000)), `newest: ${series.map((x) => x.timestamps.at(-1)).join(', ')}`);
      return loadInVm(r, fromS, toS);
    });
    assert.deepEqual(found.map((x) => x.metric), [{ __name__: 'node_load1', instance: r.id, job: 'fleetpulse' }], 'one series whichever bridge sent it');
    const stamps = found[0]!.timestamps;
    assert.ok(stamps.some((at) => at < killedAt * 1000), 'samples from before the kill (bridge A)');
    assert.ok(stamps.some((at) => at > connectedAt * 1000), 'samples from after the move (bridge B)');
    // The agents' own collection times, one a second (FLEETPULSE_INTERVAL in docker-compose.ha-test.yml).
    const gaps = gapReport(stamps, { fromMs: fromS * 1000, toMs: toS * 1000, intervalMs: 1000 });
    t.diagnostic(`VictoriaMetrics around the kill: ${describeGaps(gaps)}`);
    // Batches A took but had not delivered when it died stay in the agent's outbox (unacked) and
    // go to B: no hole in the history where the move is (issue 11: none longer than 2 intervals).
    // Only the gap around the kill is the move's: elsewhere this loaded machine may delay one
    // collection past 2 s, which says nothing about failover (the figures above show it).
    const sorted = [...new Set(stamps)].sort((a, b) => a - b);
    const after = sorted.findIndex((at) => at > killedAt * 1000);
    assert.ok(after > 0, 'samples on both sides of the kill');
    const [lastBefore, firstAfter] = [sorted[after - 1]!, sorted[after]!];
    t.diagnostic(`across the kill: ${new Date(lastBefore).toISOString()} -> ${new Date(firstAfter).toISOString()} (${firstAfter - lastBefore} ms)`);
    assert.ok(firstAfter - lastBefore <= 2 * gaps.intervalMs, `a gap in VictoriaMetrics across the move: ${firstAfter - lastBefore} ms from ${new Date(lastBefore).toISOString()} (kill at ${new Date(killedAt * 1000).toISOString()}); ${describeGaps(gaps)}`);
  });

  it('bridge A back with the agent down (0) while B has it up: no false AgentDown at any point since the kill', { timeout: 180_000 }, async (t) => {
    const r = stack();
    assert.ok(killedAt > 0, 'the previous test killed bridge A');
    await r.stack.start(r.stack.one('server'));
    // Bridge A restored the agent from its registry (FLEETPULSE_DATA_DIR) and reports it down.
    await eventuallyPasses('bridge A reports the agent 0, B 1', 90_000, async () => assert.deepEqual(await upByBridge(r), { [A]: '0', [B]: '1' }));
    // Evaluations with A's 0 in place, where a rule that took A's 0 for the agent's state would
    // hold: five of A's samples.
    await eventuallyPasses('five scrapes of bridge A with the agent at 0', 60_000, async () => {
      const [n] = await r.prometheus.query(`count_over_time((fleetpulse_agent_up{instance="${r.id}", bridge="${A}"} == 0)[30s:1s])`);
      assert.ok(Number(n?.value[1] ?? 0) >= 5, `samples of 0 from bridge A: ${n?.value[1]}`);
    });
    const window = Math.ceil((await r.prometheus.time()) - killedAt) + 5;
    const rule = (await r.prometheus.ruleGroups()).filter((g) => g.file.startsWith('/etc/prometheus/')).flatMap((g) => g.rules).find((x) => x.name === 'AgentDown');
    assert.ok(rule, 'AgentDown of prometheus/rules is loaded');
    // AgentDown's expression, evaluated every second since the kill, may hold for the agent only
    // where bridge B's latest scrape failed (its 1 s scrape timeout on this loaded machine): then
    // A's 0 is all Prometheus has, which is what `for: 2m` is for.
    // Anywhere else it is a false AgentDown.
    const agentDown = `(${rule.query})`;
    const explained = `(up{job="fleetpulse", bridge="${B}"} == 0 or absent(up{job="fleetpulse", bridge="${B}"}))`;
    const points = async (expr: string) => (await r.prometheus.queryRange(expr, window, 1)).filter((x) => x.metric.instance === r.id).flatMap((x) => x.values.map(([at]) => `+${(at - killedAt).toFixed(0)}s`));
    const unexplained = await points(`${agentDown} unless on () ${explained}`);
    const whileBDown = await points(`${agentDown} and on () ${explained}`);
    t.diagnostic(`AgentDown's expression held for the agent at ${whileBDown.length} evaluations since the kill, each while B's scrape had failed: ${whileBDown.join(' ')}`);
    assert.deepEqual(unexplained, [], 'AgentDown\'s expression held for the agent while both bridges answered');
  });

  it('with A reporting the agent 0 and B 1, every dashboard query as Grafana runs it, now and over the move, has each series of the agent once, not once per bridge', { timeout: 180_000 }, async (t) => {
    const r = stack();
    assert.deepEqual(await upByBridge(r), { [A]: '0', [B]: '1' }, 'the state the previous test left');
    // Graphs over the time since 30 s before the kill: the agent's series from A, then from B.
    const since = Math.ceil((await r.prometheus.time()) - killedAt) + 30;
    const queries = dashboardQueries({ instance: r.id, interval: '1m', variables: { task: 't_none' } });
    assert.ok(queries.length > 50, `${queries.length} dashboard queries`);
    const twice: string[] = [];
    const rangeTwice: string[] = [];
    for (const q of queries) {
      const key = (m: Record<string, string>) => JSON.stringify(Object.entries(m).filter(([k]) => k !== 'bridge').sort());
      const count = (metrics: Record<string, string>[]) => {
        const seen = new Map<string, number>();
        for (const m of metrics) seen.set(key(m), (seen.get(key(m)) ?? 0) + 1);
        return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
      };
      const instant = count((await r.prometheus.query(q.expr)).map((s) => s.metric));
      if (instant.length > 0) twice.push(`${q.dashboard}: ${q.panel} (${q.refId}) ${instant.join(' ')}: ${q.expr}`);
      if (!q.instant) {
        const range = count((await r.prometheus.queryRange(q.expr, since, 1)).map((s) => s.metric));
        if (range.length > 0) rangeTwice.push(`${q.dashboard}: ${q.panel} (${q.refId}) ${range.join(' ')}: ${q.expr}`);
      }
    }
    assert.deepEqual(twice, [], 'queries that give one series per bridge now');
    assert.deepEqual(rangeTwice, [], 'graphs that give one series per bridge over a range from before the kill');
  });
});
