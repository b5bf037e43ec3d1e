import { randomBytes } from 'node:crypto';
import { Agent } from './agent/agent.js';
import { agentOptions } from './config/build-options.js';
import type { SettingValues } from './config/settings.js';
import type { Logger } from './log.js';
import type { Bridge } from './server/bridge.js';
import { parseTaskInput } from './server/tasks/validate-task.js';
import { startBridge } from './start-bridge.js';

// `fleetpulse demo`: a bridge and one or more agents for this machine in one process, on
// loopback unless told otherwise, with an admin token made up and printed, and with two or
// more agents a latency task between them, so the console shows a matrix within a minute.

export const DEMO_TASK_NAME = 'demo mesh';
/** Short, so the first figures come soon; a latency run of 10 probes fits in 10 s. */
const DEMO_PERIOD_SECONDS = 10;
const DEMO_TASK_DAYS = 7;

export interface Stoppable {
  stop(): Promise<void>;
  /** How long stop() may take before the process exits anyway (default 5 s). */
  readonly stopDeadlineMs?: number;
}

/** Agent ids of the demo: the configured one, then `<id>-2`, `<id>-3`, ... */
export function demoAgentIds(baseId: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? baseId : `${baseId}-${i + 1}`));
}

export async function startDemo(values: SettingValues, log: Logger): Promise<Stoppable> {
  // The demo should be usable at once, tasks included: make up an admin token and print it.
  const generatedToken = values.adminToken === undefined ? randomBytes(18).toString('base64url') : undefined;
  // Every demo agent is on this machine, over loopback: let them measure each other there
  // (peers never dial loopback unless FLEETPULSE_PROBE_NETWORKS lists it).
  const probeNetworks = values.probeNetworks?.length ? values.probeNetworks : ['127.0.0.0/8', '::1/128'];
  const { bridge, ingestPort, httpPort, host: bound } = await startBridge(values, log, { ...(generatedToken ? { adminToken: generatedToken } : {}), probeNetworks });

  const ids = demoAgentIds(values.agentId!, values.demoAgents ?? 1);
  const agents = ids.map((agentId, i) => {
    // One responder port each: the configured one for the first, a free one picked by the system for the others.
    const own = { ...values, agentId, probePort: i === 0 ? values.probePort : 0 };
    return new Agent(agentOptions(own, log.child({ component: 'agent', agent: agentId }), [{ host: '127.0.0.1', port: ingestPort }]));
  });
  for (const agent of agents) agent.start();

  const host = bound === '0.0.0.0' || bound === '::' ? 'localhost' : bound.includes(':') ? `[${bound}]` : bound;
  const base = `${bridge.httpFront.tls ? 'https' : 'http'}://${host}:${httpPort}`;
  const token = generatedToken ? `${generatedToken} (generated; set FLEETPULSE_ADMIN_TOKEN to choose one)` : '(FLEETPULSE_ADMIN_TOKEN)';
  const more = ids.length > 1 ? `  ${ids.length} agents: ${ids.join(', ')}; latency task "${DEMO_TASK_NAME}" between them every ${DEMO_PERIOD_SECONDS} s (console, Tasks)\n` : '  one agent; `npm start -- --agents 3` runs three with a latency task between them\n';
  process.stdout.write(`fleetpulse demo is running:\n  console  ${base}/\n  metrics  ${base}/metrics\n  agents   ${base}/api/agents\n  tasks    ${base}/api/tasks\n${more}  admin token for task changes: ${token}\n  agents connect to TCP port ${ingestPort}\nPress Ctrl-C to stop.\n`);

  let stopped = false;
  if (ids.length > 1) void ensureDemoTask(bridge, ids, log, () => stopped);
  return {
    // Agents first, each saying goodbye, so none of them sees the bridge go away and retries.
    async stop() {
      stopped = true;
      await Promise.all(agents.map((a) => a.stop()));
      await bridge.stop();
    },
  };
}

/**
 * Once every demo agent is known to the bridge, reuses a running "demo mesh" task with the same
 * members (the bridge keeps tasks in FLEETPULSE_DATA_DIR across runs) or creates one.
 */
async function ensureDemoTask(bridge: Bridge, ids: string[], log: Logger, stopped: () => boolean): Promise<void> {
  // The agents are in this process and connect over loopback: a short wait, bounded anyway.
  for (let waited = 0; !ids.every((id) => bridge.tasks.isKnownAgent(id)); waited += 100) {
    if (stopped()) return;
    if (waited > 60_000) return log.warn('demo agents did not all connect within a minute; no demo task created', { agents: ids.join(',') });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (stopped()) return;
  const same = bridge.tasks.list().find(({ task }) => task.name === DEMO_TASK_NAME && task.status !== 'finished' && task.members.join() === ids.join());
  if (same) return log.info('demo task already exists', { task: same.task.id, name: DEMO_TASK_NAME });
  const now = Date.now();
  try {
    const spec = parseTaskInput(
      {
        name: DEMO_TASK_NAME,
        description: 'created by fleetpulse demo --agents; delete it in the console or with DELETE /api/tasks/<id>',
        type: 'latency',
        members: ids,
        start: new Date(now).toISOString(),
        end: new Date(now + DEMO_TASK_DAYS * 86_400_000).toISOString(),
        period_seconds: DEMO_PERIOD_SECONDS,
      },
      { isKnownAgent: (id) => bridge.tasks.isKnownAgent(id), nowMs: now },
    );
    await bridge.tasks.create(spec);
  } catch (err) {
    log.warn('cannot create the demo task; create one in the console', { error: (err as Error).message });
  }
}
