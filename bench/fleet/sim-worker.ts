// A simulator process: a slice of the fleet, driven cycle by cycle by the benchmark over IPC.
// Bounded: it exits when its parent goes away or its lifetime ends, and it only dials 127.0.0.1.
import { AgentWorkload } from './workload.js';
import { ProtocolAgent } from './protocol-agent.js';
import { PushgatewayAgent, pushPool } from './pushgateway-agent.js';
import type { CycleCommand, CycleReport, InitCommand, WorkerCommand, WorkerReport } from './worker-messages.js';

interface SimAgent {
  pusher: ProtocolAgent | PushgatewayAgent;
  workload: AgentWorkload;
}

const CONNECT_CONCURRENCY = 200;

let agents: SimAgent[] = [];
let current: { report: CycleReport; timer: NodeJS.Timeout | undefined; outstanding: number; next: number } | undefined;

function send(report: WorkerReport): void {
  process.send?.(report);
}

async function init(command: InitCommand): Promise<void> {
  if (command.host !== '127.0.0.1') throw new Error('the simulator only dials 127.0.0.1');
  setTimeout(() => process.exit(3), command.lifetimeMs);
  const started = performance.now();
  const pool = pushPool(command.pushConnections);
  agents = command.ids.map((id, i) => ({
    pusher: command.target === 'fleetpulse' ? new ProtocolAgent(id, command.host, command.port) : new PushgatewayAgent(id, command.host, command.port, pool),
    workload: new AgentWorkload(command.series, hashSeed(id) + i),
  }));
  if (command.target === 'fleetpulse') {
    for (let i = 0; i < agents.length; i += CONNECT_CONCURRENCY) {
      await Promise.all(agents.slice(i, i + CONNECT_CONCURRENCY).map((a) => (a.pusher as ProtocolAgent).connect()));
    }
  }
  send({ type: 'ready', agents: agents.length, connectMs: performance.now() - started });
}

function cycle(command: CycleCommand): void {
  const report: CycleReport = { type: 'cycle', cycle: command.cycle, finishedAt: 0, pushes: 0, samples: 0, failed: 0, aborted: false, maxPushMs: 0 };
  const state = { report, timer: undefined as NodeJS.Timeout | undefined, outstanding: agents.length, next: 0 };
  current = state;
  const n = agents.length;
  const dueAt = (i: number): number => command.startAt + (n <= 1 ? 0 : (i / n) * command.spreadMs);
  const finishOne = (): void => {
    state.outstanding--;
    if (state.outstanding === 0 && current === state) finish(state.report);
  };
  const pump = (): void => {
    state.timer = undefined;
    if (current !== state) return;
    const now = Date.now();
    while (state.next < n && dueAt(state.next) <= now) {
      const agent = agents[state.next++]!;
      const sentAt = performance.now();
      agent.pusher.push(agent.workload.next()).then(
        (samples) => {
          report.pushes++;
          report.samples += samples;
          report.maxPushMs = Math.max(report.maxPushMs, performance.now() - sentAt);
          finishOne();
        },
        (err: Error) => {
          report.failed++;
          report.firstError ??= err.message;
          finishOne();
        },
      );
    }
    if (state.next < n) state.timer = setTimeout(pump, Math.max(0, dueAt(state.next) - Date.now()));
  };
  if (n === 0) return finish(report);
  pump();
}

function finish(report: CycleReport): void {
  if (current?.timer) clearTimeout(current.timer);
  current = undefined;
  report.finishedAt = Date.now();
  send(report);
}

function abort(): void {
  if (!current) return;
  current.report.aborted = true;
  finish(current.report);
}

function hashSeed(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

process.on('disconnect', () => process.exit(0));
process.on('message', (command: WorkerCommand) => {
  switch (command.cmd) {
    case 'init':
      init(command).catch((err: Error) => send({ type: 'fail', error: err.message }));
      return;
    case 'cycle':
      return cycle(command);
    case 'abort':
      return abort();
    case 'stop':
      for (const agent of agents) agent.pusher.close();
      process.exit(0);
  }
});
