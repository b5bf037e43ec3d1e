import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, getText } from '../helpers/http.js';
import { killAll, runCli, startBridgeProcess } from '../helpers/processes.js';
import { isNodeExporterNaming, promtoolCheckMetrics, skipUnlessInstalled, startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';

// A real Prometheus (Debian's package) scraping a real bridge fed by two real agents.

const skip = skipUnlessInstalled('prometheus');
const AGENTS = ['prom-a', 'prom-b'];
let httpPort: number;
let prometheus: TestPrometheus | undefined;

// node_exporter's own names for /proc/meminfo and netstat fields (node_memory_MemTotal_bytes,
// node_netstat_Tcp_InSegs, ...) are camelCase and entropy is in bits; promtool's linter flags them,
// and node_exporter's output fails the same way. We keep the names so node_exporter dashboards
// work (isNodeExporterNaming); every other complaint fails the test.

describe('real Prometheus scraping the bridge', { skip }, () => {
  before(async () => {
    const bridge = await startBridgeProcess();
    const ingestPort = bridge.ingestPort;
    httpPort = bridge.httpPort;
    for (const id of AGENTS) {
      runCli(['agent'], { FLEETPULSE_SERVER: `127.0.0.1:${ingestPort}`, FLEETPULSE_AGENT_ID: id, FLEETPULSE_INTERVAL: '1s' });
    }
    prometheus = await startPrometheus(`127.0.0.1:${httpPort}`);
  });

  after(async () => {
    await prometheus?.stop();
    await killAll();
  });

  it('sees the bridge target up and each agent as its own instance', async () => {
    const p = prometheus!;
    await eventually(async () => (await p.query('up{job="fleetpulse"}')).some((r) => r.value[1] === '1'), 30_000, 'target up');
    for (const [expr, what] of [
      ['count by (instance) (node_cpu_seconds_total)', 'cpu'],
      ['count by (instance) (node_memory_MemTotal_bytes)', 'memory'],
      ['count by (instance) (node_filesystem_size_bytes)', 'filesystem'],
      ['count by (instance) (node_disk_read_bytes_total)', 'disk'],
      ['count by (instance) (node_network_receive_bytes_total)', 'network'],
      ['count by (instance) (fleetpulse_agent_up == 1)', 'agent up'],
    ] as const) {
      const instances = await eventually(async () => {
        const found = (await p.query(expr)).map((r) => r.metric.instance).sort();
        return AGENTS.every((id) => found.includes(id)) ? found : undefined;
      }, 30_000, `${what} series for ${AGENTS.join(', ')}`);
      assert.deepEqual(instances, AGENTS, `${what}: one instance per agent, no ip:port identities`);
    }
  });

  it('computes a CPU rate from the agents\' counters, as a node_exporter dashboard would', async () => {
    const p = prometheus!;
    // All modes together advance by about one second per second per core. An agent starved on a
    // busy machine may send nothing new for a few seconds (a rate of 0 over the window): wait
    // for the state asserted rather than judge the first window.
    let last: unknown;
    await eventually(async () => {
      const r = await p.query('sum by (instance) (rate(node_cpu_seconds_total[5s]))');
      last = r.map((x) => `${x.metric.instance} ${x.value[1]}`);
      return r.length === AGENTS.length && r.every((x) => Number(x.value[1]) > 0.2);
    }, 60_000, 'a cpu rate above 0.2 cores for every agent').catch((err) => assert.fail(`${String(err)}; last: ${JSON.stringify(last)}`));
  });

  it('passes promtool check metrics, apart from node_exporter\'s own names', async () => {
    const { text } = await getText(`http://127.0.0.1:${httpPort}/metrics`);
    const { status, output } = promtoolCheckMetrics(text);
    const complaints = output.split('\n').filter((l) => l.trim() !== '');
    const unexpected = complaints.filter((l) => !isNodeExporterNaming(l));
    assert.deepEqual(unexpected, [], 'no parse errors and no lint problems of our own');
    assert.ok(status === 0 || (status === 3 && complaints.length > 0), `promtool exit ${status}: ${output}`);
  });
});
