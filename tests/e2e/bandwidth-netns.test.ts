import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../helpers/http.js';
import { createStarNetwork, netnsExec, TCP_PAYLOAD_SHARE, type StarNetwork } from '../helpers/netns.js';
import { killAll, runCli, type RunningProcess } from '../helpers/processes.js';
import type { PairResultView as Result } from '../helpers/task-views.js';

// The whole pipeline across real links: a bridge and two agents, each a `fleetpulse` child
// process in a network namespace of its own, every agent's link limited by tbf. The task is
// created through the bridge's HTTP API; the bridge hands it to the agents over their
// connections, the agents measure each other at the addresses they advertise by default
// (the local address of their bridge connection), and the results come back to the API
// and /metrics. The test reaches the bridge's HTTP port, which exists only inside the
// bridge's namespace, through a Unix socket (files are not namespaced by network).

const RATE_MBIT = 20;
const TOLERANCE = 0.15;
const ADMIN = 'netns-admin-token';
const INGEST_PORT = 9700;
const HTTP_PORT = 9701;
const AGENTS = ['east', 'west'] as const;
const FORWARDER = fileURLToPath(new URL('../fixtures/netns/unix-to-tcp.mjs', import.meta.url));

let network: StarNetwork | undefined;
let skipReason: string | undefined;
let dataDir: string;
let socketPath: string;
let bridge: RunningProcess | undefined;
let forwarder: ChildProcess | undefined;
const agents = new Map<string, RunningProcess>();

interface Reply {
  status: number;
  json: Record<string, unknown>;
  text: string;
}

/** One HTTP request to the bridge, through the Unix socket forwarder. */
function bridgeRequest(method: string, path: string, body?: unknown): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { authorization: `Bearer ${ADMIN}`, ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        if ((res.headers['content-type'] ?? '').includes('json')) json = JSON.parse(text) as Record<string, unknown>;
        resolve({ status: res.statusCode ?? 0, json, text });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Starts the forwarder inside the bridge's namespace; resolves once it listens. */
function startForwarder(): Promise<void> {
  const [command, ...prefix] = netnsExec(network!.hosts.bridge!);
  const child = spawn(command!, [...prefix, process.execPath, FORWARDER, socketPath, '127.0.0.1', String(HTTP_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  forwarder = child;
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`forwarder exited with ${code}`)));
  });
}
interface AgentView {
  id: string;
  connected: boolean;
  address: string;
  probe: { address: string; port: number } | null;
}

before(async () => {
  const created = createStarNetwork('bw', [{ name: 'bridge' }, ...AGENTS.map((name) => ({ name, egressMbit: RATE_MBIT }))]);
  if ('skip' in created) {
    skipReason = created.skip;
    return;
  }
  network = created;
  dataDir = await mkdtemp(join(tmpdir(), 'fp-e2e-netns-'));
  socketPath = join(dataDir, 'bridge-http.sock');
  const bridgeHost = network.hosts.bridge!;
  bridge = runCli(
    ['server'],
    {
      FLEETPULSE_BIND: '0.0.0.0',
      FLEETPULSE_INGEST_PORT: String(INGEST_PORT),
      FLEETPULSE_HTTP_PORT: String(HTTP_PORT),
      FLEETPULSE_HEARTBEAT: '1s',
      FLEETPULSE_DATA_DIR: join(dataDir, 'bridge'),
      FLEETPULSE_ADMIN_TOKEN: ADMIN,
    },
    netnsExec(bridgeHost),
  );
  await startForwarder();
  await eventually(async () => (await bridgeRequest('GET', '/readyz')).status === 200, 15_000, 'bridge ready');
  for (const id of AGENTS) {
    const host = network.hosts[id]!;
    // Every probe setting left at its default: port 9702, bind ::, advertised address = the
    // local address of the connection to the bridge, which is this namespace's address.
    agents.set(
      id,
      runCli(
        ['agent'],
        {
          FLEETPULSE_SERVER: `${bridgeHost.ip}:${INGEST_PORT}`,
          FLEETPULSE_AGENT_ID: id,
          FLEETPULSE_INTERVAL: '5s',
          FLEETPULSE_COLLECTORS: 'loadavg,meminfo,netdev',
          FLEETPULSE_RECONNECT_MAX: '1s',
          FLEETPULSE_STATUS_FILE: join(dataDir, `${id}.status.json`),
        },
        netnsExec(host),
      ),
    );
  }
});

after(async () => {
  forwarder?.kill('SIGKILL');
  await killAll();
  network?.destroy();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a bandwidth task between agents in network namespaces, scheduled by the bridge', () => {
  it('the agents connect from their own namespaces', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const listed = await eventually(
      async () => {
        const views = (await bridgeRequest('GET', '/api/agents')).json.data as AgentView[];
        return AGENTS.every((id) => views.find((a) => a.id === id)?.connected) && views;
      },
      20_000,
      `agents connected (${AGENTS.map((id) => agents.get(id)!.output()).join('\n')})`,
    );
    for (const id of AGENTS) {
      const view = listed.find((a) => a.id === id)!;
      assert.equal(view.address, network!.hosts[id]!.ip);
      assert.deepEqual(view.probe, { address: network!.hosts[id]!.ip, port: 9702 }, 'peers dial the default: the namespace address, port 9702');
    }
  });

  it(`measures each direction of a ${RATE_MBIT} Mbit/s tbf link within ±${TOLERANCE * 100}%`, async (t) => {
    if (skipReason) return t.skip(skipReason);
    const createdAt = Date.now();
    const now = Date.now();
    const created = await bridgeRequest('POST', '/api/tasks', {
      name: 'netns throughput',
      type: 'bandwidth',
      members: [...AGENTS],
      start: new Date(now).toISOString(),
      end: new Date(now + 3600_000).toISOString(),
      period_seconds: 60,
    });
    assert.equal(created.status, 201, created.text);
    const task = created.json.data as { id: string; options: Record<string, number> };
    assert.deepEqual(task.options, { duration_ms: 2000 }, 'the default transfer length');

    const pairs = [[AGENTS[0], AGENTS[1]], [AGENTS[1], AGENTS[0]]] as const;
    const results = await eventually(
      async () => {
        const view = (await bridgeRequest('GET', `/api/tasks/${task.id}`)).json.data as { results: Result[] };
        const fresh = pairs.map(([src, dst]) => view.results.find((r) => r.src === src && r.dst === dst && Date.parse(r.at) > createdAt));
        return fresh.every((r) => r !== undefined) && (fresh as Result[]);
      },
      30_000,
      'a result for both directions',
    );
    const expectedMbit = RATE_MBIT * TCP_PAYLOAD_SHARE;
    console.log(`# tbf ${RATE_MBIT} Mbit/s (${expectedMbit.toFixed(2)} Mbit/s of TCP payload): ${results.map((r) => `${r.src}->${r.dst} ${r.ok ? `${((r.bandwidth_bits_per_second ?? 0) / 1e6).toFixed(2)} Mbit/s` : `failed: ${r.reason} ${r.message}`}`).join('; ')}`);
    for (const r of results) {
      assert.equal(r.ok, true, JSON.stringify(r));
      const mbit = r.bandwidth_bits_per_second! / 1e6;
      assert.ok(Math.abs(mbit - RATE_MBIT) <= RATE_MBIT * TOLERANCE, `${r.src}->${r.dst}: ${mbit.toFixed(2)} Mbit/s is not within ±${TOLERANCE * 100}% of ${RATE_MBIT}`);
    }

    const metrics = (await bridgeRequest('GET', '/metrics')).text;
    for (const r of results) {
      const line = new RegExp(`^fleetpulse_probe_bandwidth_bits_per_second\\{task="${task.id}",src="${r.src}",dst="${r.dst}"\\} (\\S+)$`, 'm').exec(metrics);
      assert.ok(line, `${r.src}->${r.dst} on /metrics`);
      assert.equal(Number(line[1]), r.bandwidth_bits_per_second);
    }
  });
});
