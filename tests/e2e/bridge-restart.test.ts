import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { decodeRegistry } from '../../src/server/store/registry-file.js';
import { eventually, getJson, getText } from '../helpers/http.js';
import { killAll, restartBridgeProcess, runCli, startBridgeProcess, type RunningProcess } from '../helpers/processes.js';

// Issue 11 item 5: the bridge and agents as child processes. An agent killed -9 is still down
// after the bridge itself is killed -9 and restarted, one that said goodbye still departed,
// and each is forgotten when FLEETPULSE_FORGET_AFTER (FORGET_DEPARTED_AFTER) ends, not before.

const FORGET_AFTER_MS = 30_000;
const statusDir = mkdtempSync(join(tmpdir(), 'fp-restart-status-'));

after(async () => {
  await killAll();
  rmSync(statusDir, { recursive: true, force: true });
});

type View = { id: string; connected: boolean; state: string; disconnected_at: string | null };

it('down and departed agents survive a kill -9 of the bridge until they are forgotten', { timeout: 180_000 }, async () => {
  const forget = `${FORGET_AFTER_MS / 1000}s`;
  const env = { FLEETPULSE_FORGET_AFTER: forget, FLEETPULSE_FORGET_DEPARTED_AFTER: forget, FLEETPULSE_HEARTBEAT: '1s' };
  let bridge = await startBridgeProcess(env);
  const agent = (id: string, interval: string): RunningProcess =>
    runCli(['agent'], {
      FLEETPULSE_SERVER: `127.0.0.1:${bridge.ingestPort}`,
      FLEETPULSE_AGENT_ID: id,
      FLEETPULSE_INTERVAL: interval,
      FLEETPULSE_LABELS: 'role=restart',
      FLEETPULSE_COLLECTORS: 'loadavg',
      FLEETPULSE_STATUS_FILE: join(statusDir, `${id}.json`),
    });
  const lost = agent('r-lost', '500ms');
  const gone = agent('r-gone', '500ms');
  const api = async () => (await getJson<{ data: View[] }>(`http://127.0.0.1:${bridge.httpPort}/api/agents`)).data;
  const states = async () => (await api()).map((a) => `${a.id}:${a.state}`).join(' ');
  await eventually(async () => (await states()) === 'r-gone:connected r-lost:connected', 30_000, 'both agents connected');

  await lost.kill('SIGKILL');
  await gone.kill('SIGTERM');
  await eventually(async () => (await states()) === 'r-gone:departed r-lost:down', 30_000, 'r-lost down, r-gone departed');
  const file = join(bridge.dataDir, 'agents.json');
  await eventually(async () => {
    const onDisk = decodeRegistry(await readFile(file, 'utf8'));
    return onDisk.map((a) => `${a.id}:${a.state}`).sort().join(' ') === 'r-gone:departed r-lost:down';
  }, 10_000, 'agents.json has both states');

  await bridge.proc.kill('SIGKILL');
  bridge = await restartBridgeProcess(bridge, env);
  assert.match(bridge.proc.output(), /msg="agents restored from the registry" .*restored=2 down=1 departed=1/);
  const restored = await api();
  assert.deepEqual(restored.map((a) => [a.id, a.connected, a.state]), [['r-gone', false, 'departed'], ['r-lost', false, 'down']]);
  const metrics = (await getText(`http://127.0.0.1:${bridge.httpPort}/metrics`)).text;
  assert.match(metrics, /^fleetpulse_agent_up\{instance="r-lost",role="restart"\} 0$/m);
  assert.match(metrics, /^fleetpulse_agent_up\{instance="r-gone",role="restart"\} 0$/m);

  // Forgotten at its deadline, not before: the first answer without the agent comes after it.
  const deadlines = new Map(restored.map((a) => [a.id, Date.parse(a.disconnected_at!) + FORGET_AFTER_MS]));
  for (const [id, deadline] of deadlines) {
    await eventually(async () => !(await api()).some((a) => a.id === id), deadline - Date.now() + 30_000, `${id} forgotten`);
    assert.ok(Date.now() >= deadline, `${id} forgotten ${deadline - Date.now()} ms before its deadline`);
  }
  assert.doesNotMatch((await getText(`http://127.0.0.1:${bridge.httpPort}/metrics`)).text, /instance="r-(lost|gone)"/);
});
