// A simulator process: a slice of the fleet, driven cycle by cycle by the benchmark over IPC.
// Bounded: it exits when its parent goes away or its lifetime ends, and it only dials 127.0.0.1.
import { HttpTextAgent, pushPool, pushgatewayRoute, vmImportRoute } from './http-text-agent.js';
import { AgentWorkload } from './workload.js';
import { ProtocolAgent, RetryLater } from './protocol-agent.js';
import type { CycleCommand, CycleReport, InitCommand, ReplayCommand, ReplayReport, WorkerCommand, WorkerReport } from './worker-messages.js';

interface SimAgent {
  pusher: ProtocolAgent | HttpTextAgent;
  workload: AgentWorkload;
  /** Batches from before the connection, to replay: their first seq, their values. */
  backlog: { firstSeq: number; count: number; workload: AgentWorkload } | undefined;
}

const CONNECT_CONCURRENCY = 200;

let agents: SimAgent[] = [];
let current: { report: CycleReport; timer: NodeJS.Timeout | undefined; outstanding: number; next: number } | undefined;
let replaying: { report: ReplayReport } | undefined;

function send(report: WorkerReport): void {
  process.send?.(report);
}

function pusherFor(command: InitCommand, id: string, pool: ReturnType<typeof pushPool>): SimAgent['pusher'] {
  switch (command.target) {
    case 'fleetpulse': return new ProtocolAgent(id, command.host, command.port);
    case 'pushgateway': return new HttpTextAgent(id, command.host, command.port, pool, pushgatewayRoute(id));
    case 'vmagent': return new HttpTextAgent(id, command.host, command.port, pool, vmImportRoute(id));
  }
}

async function init(command: InitCommand): Promise<void> {
  if (command.host !== '127.0.0.1') throw new Error('the simulator only dials 127.0.0.1');
  setTimeout(() => process.exit(3), command.lifetimeMs);
  const started = performance.now();
  const pool = pushPool(command.pushConnections);
  agents = command.ids.map((id, i) => {
    const pusher = pusherFor(command, id, pool);
    const backlog = command.backlogBatches > 0
      ? { firstSeq: pusher.reserveSeqs(command.backlogBatches), count: command.backlogBatches, workload: new AgentWorkload(command.series, hashSeed(id) + i + 7919) }
      : undefined;
    return { pusher, workload: new AgentWorkload(command.series, hashSeed(id) + i), backlog };
  });
  if (command.target === 'fleetpulse') {
    for (let i = 0; i < agents.length; i += CONNECT_CONCURRENCY) {
      await Promise.all(agents.slice(i, i + CONNECT_CONCURRENCY).map((a) => (a.pusher as ProtocolAgent).connect()));
    }
  }
  send({ type: 'ready', agents: agents.length, connectMs: performance.now() - started });
}

function cycle(command: CycleCommand): void {
  const report: CycleReport = { type: 'cycle', cycle: command.cycle, finishedAt: 0, pushes: 0, samples: 0, failed: 0, aborted: false, maxPushMs: 0, latenciesMs: [] };
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
          const ms = performance.now() - sentAt;
          report.pushes++;
          report.samples += samples;
          report.maxPushMs = Math.max(report.maxPushMs, ms);
          report.latenciesMs.push(ms);
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

/** Every agent drains its backlog, `window` batches in flight; reports once all are done or aborted. */
function replay(command: ReplayCommand): void {
  const report: ReplayReport = { type: 'replay', finishedAt: 0, batches: 0, samples: 0, retries: 0, failed: 0, aborted: false };
  const state = { report };
  replaying = state;
  const drain = async (agent: SimAgent): Promise<void> => {
    const backlog = agent.backlog;
    if (!backlog) return;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (replaying === state && next < backlog.count) {
        const k = next++;
        const old = { seq: backlog.firstSeq + k, timestampMs: command.newestMs - (backlog.count - k) * command.periodMs };
        const families = backlog.workload.next();
        for (;;) {
          if (replaying !== state) return;
          try {
            const samples = await agent.pusher.push(families, old);
            report.samples += samples;
            report.batches++;
            break;
          } catch (err) {
            if (!(err instanceof RetryLater)) {
              report.failed++;
              report.firstError ??= (err as Error).message;
              return;
            }
            report.retries++;
            await new Promise((resolve) => setTimeout(resolve, command.retryDelayMs));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: command.window }, lane));
  };
  void Promise.all(agents.map(drain)).then(() => {
    if (replaying === state) endReplay(false);
  });
}

function endReplay(aborted: boolean): void {
  if (!replaying) return;
  const { report } = replaying;
  replaying = undefined;
  report.aborted = aborted;
  report.finishedAt = Date.now();
  send(report);
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
    case 'replay':
      return replay(command);
    case 'abort-replay':
      return endReplay(true);
    case 'stop':
      for (const agent of agents) agent.pusher.close();
      process.exit(0);
  }
});
