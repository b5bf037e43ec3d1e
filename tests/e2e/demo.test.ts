import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, getJson } from '../helpers/http.js';
import { killAll, runCli } from '../helpers/processes.js';
import type { TaskView } from '../helpers/task-views.js';

// What a newcomer runs first: `npm start -- --agents 3` must show a latency matrix on its own.

describe('fleetpulse demo --agents 3', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fp-demo-'));
  after(async () => {
    await killAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs three agents on loopback with their own ids and responder ports, measures every pair, and stops cleanly on SIGINT', async () => {
    const demo = runCli(['demo', '--agents', '3', '--agent-id', 'demo-host', '--http-port', '0', '--ingest-port', '0', '--probe-port', '0'], {
      FLEETPULSE_DATA_DIR: dataDir,
      FLEETPULSE_INTERVAL: '1s',
      // A typo a newcomer makes: warned about, with the name meant.
      FLEETPULSE_INTERVALL: '10s',
    });
    const base = await eventually(() => /console +(http:\/\/[^/\s]+)\//.exec(demo.output())?.[1], 20_000, 'the demo prints its URLs');
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, 'the demo listens on loopback by default');
    assert.match(demo.output(), /FLEETPULSE_INTERVALL \(environment\) is not a fleetpulse setting and is ignored; did you mean FLEETPULSE_INTERVAL\?/);

    type AgentView = { id: string; connected: boolean; probe: { address: string; port: number } | null };
    const agents = await eventually(async () => {
      const { data } = await getJson<{ data: AgentView[] }>(`${base}/api/agents`);
      return data.length === 3 && data.every((a) => a.connected && a.probe) ? data : undefined;
    }, 20_000, 'three connected agents with responders');
    assert.deepEqual(agents.map((a) => a.id).sort(), ['demo-host', 'demo-host-2', 'demo-host-3']);
    assert.equal(new Set(agents.map((a) => a.probe!.port)).size, 3, 'each agent has its own responder port');
    for (const a of agents) assert.equal(a.probe!.address, '127.0.0.1');

    // The demo task's first run starts at once; all six ordered pairs report figures.
    const task = await eventually(async () => {
      const { data } = await getJson<{ data: TaskView[] }>(`${base}/api/tasks`);
      const t = data.find((x) => x.name === 'demo mesh');
      return t && t.results.length === 6 && t.results.every((r) => r.ok) ? t : undefined;
    }, 60_000, 'the demo task measured every pair');
    assert.equal(task.type, 'latency');
    assert.deepEqual([...task.members].sort(), ['demo-host', 'demo-host-2', 'demo-host-3']);

    // Ctrl-C: agents leave first, so none of them sees the bridge shut down and plans a reconnect.
    demo.child.kill('SIGINT');
    assert.equal(await demo.exited, 0);
    assert.doesNotMatch(demo.output(), /FP_SHUTTING_DOWN|will reconnect|lost connection/);
    assert.equal(demo.output().match(/agent said goodbye/g)?.length, 3);
  });
});
