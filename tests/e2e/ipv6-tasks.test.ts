import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { eventually, getText } from '../helpers/http.js';
import type { TaskView } from '../helpers/task-views.js';
import { killAll, runCli, startBridgeProcess } from '../helpers/processes.js';

// Dual-stack by default: a bridge on ::, two agents connecting to it over ::1 with their
// responders on ::1, and a latency task between them measured over IPv6.

const ADMIN = 'ipv6-admin-token';
let dataDir = '';
after(async () => {
  await killAll();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('agents, probes and a latency task work between IPv6 addresses (::1)', { timeout: 180_000 }, async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fp-ipv6-'));
  const bridge = await startBridgeProcess({ FLEETPULSE_BIND: '::', FLEETPULSE_HEARTBEAT: '1s', FLEETPULSE_DATA_DIR: dataDir, FLEETPULSE_ADMIN_TOKEN: ADMIN, FLEETPULSE_PROBE_NETWORKS: '::1/128' });
  const base = `http://[::1]:${bridge.httpPort}`;
  for (const id of ['six-a', 'six-b']) {
    runCli(['agent'], {
      FLEETPULSE_SERVER: `[::1]:${bridge.ingestPort}`,
      FLEETPULSE_AGENT_ID: id,
      FLEETPULSE_INTERVAL: '5s',
      FLEETPULSE_COLLECTORS: 'loadavg',
      FLEETPULSE_RECONNECT_MAX: '1s',
      FLEETPULSE_PROBE_BIND: '::1',
      FLEETPULSE_PROBE_PORT: '0',
      FLEETPULSE_STATUS_FILE: join(dataDir, `${id}.status.json`),
    });
  }
  const agents = await eventually(async () => {
    const body = (await (await fetch(`${base}/api/agents`)).json()) as { data: { id: string; address: string; probe?: { address: string } | null }[] };
    return body.data.length === 2 && body.data.every((a) => a.address === '::1' && a.probe?.address === '::1') ? body.data : undefined;
  }, 30_000, 'both agents connected over ::1 with probe endpoints on ::1');
  assert.deepEqual(agents.map((a) => a.id), ['six-a', 'six-b']);
  await eventually(async () => {
    const text = (await getText(`${base}/metrics`)).text;
    return ['six-a', 'six-b'].every((id) => new RegExp(`^fleetpulse_agent_clock_offset_seconds\\{instance="${id}"\\} `, 'm').test(text));
  }, 30_000, 'clock offsets known');
  const created = Date.now();
  const res = await fetch(`${base}/api/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ipv6', type: 'latency', members: ['six-a', 'six-b'], start: new Date().toISOString(), end: new Date(Date.now() + 3600_000).toISOString(), period_seconds: 10, options: { count: 10, interval_ms: 10 } }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const task = ((await res.json()) as { data: TaskView }).data;
  const done = await eventually(async () => {
    const view = ((await (await fetch(`${base}/api/tasks/${task.id}`)).json()) as { data: TaskView }).data;
    const fresh = view.results.filter((r) => Date.parse(r.at) > created);
    return fresh.length === 2 && fresh.every((r) => r.ok) ? fresh : undefined;
  }, 60_000, 'both pairs measured over IPv6');
  for (const r of done) assert.ok((r.rtt_avg_seconds as number) > 0, JSON.stringify(r));
});
