import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CycleReport, ReadyReport, ReplayCommand, ReplayReport, Target, WorkerCommand, WorkerReport } from './worker-messages.js';

const WORKER = fileURLToPath(new URL('./sim-worker.ts', import.meta.url));

export interface FleetOptions {
  target: Target;
  port: number;
  agents: number;
  series: number;
  /** Simulator processes; agents are split evenly between them. */
  workers: number;
  pushConnections: number;
  /** Hard bound on the simulators' life. */
  lifetimeMs: number;
  idPrefix?: string;
  /** Batches each agent has from before it connected, sent by `replay()`. */
  backlogBatches?: number;
}

/** One cycle over the whole fleet: the workers' reports summed, with its start and length. */
export interface CycleResult extends Omit<CycleReport, 'type'> {
  startedAt: number;
  durationMs: number;
}

/** A replay over the whole fleet: the workers' reports summed. */
export interface ReplayResult extends Omit<ReplayReport, 'type'> {
  startedAt: number;
}

type Awaited = Exclude<WorkerReport['type'], 'fail'>;

/** The simulated fleet: worker processes running N agents against one target on 127.0.0.1. */
export class Fleet {
  private cycle = 0;
  /** Per worker, who waits for which kind of report (a cycle and a replay may run at once). */
  private readonly waiters = new Map<ChildProcess, Map<Awaited, (report: WorkerReport) => void>>();

  private constructor(private readonly workers: ChildProcess[]) {
    for (const worker of workers) {
      const mine = new Map<Awaited, (report: WorkerReport) => void>();
      this.waiters.set(worker, mine);
      worker.on('message', (report: WorkerReport) => {
        const kinds = report.type === 'fail' ? [...mine.keys()] : [report.type];
        for (const kind of kinds) {
          const waiter = mine.get(kind);
          mine.delete(kind);
          waiter?.(report);
        }
      });
    }
  }

  static async start(options: FleetOptions): Promise<{ fleet: Fleet; connectMs: number }> {
    const ids = Array.from({ length: options.agents }, (_, i) => `${options.idPrefix ?? 'bench-host'}-${String(i).padStart(5, '0')}`);
    const count = Math.max(1, Math.min(options.workers, options.agents));
    const workers = Array.from({ length: count }, () =>
      fork(WORKER, [], { execArgv: ['--import', 'tsx', '--max-old-space-size=2048'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const fleet = new Fleet(workers);
    const ready = await fleet.all<ReadyReport>('ready', (worker, i) => ({
      cmd: 'init',
      target: options.target,
      host: '127.0.0.1',
      port: options.port,
      ids: ids.filter((_, j) => j % count === i),
      series: options.series,
      pushConnections: Math.max(1, Math.round(options.pushConnections / count)),
      lifetimeMs: options.lifetimeMs,
      backlogBatches: options.backlogBatches ?? 0,
    }), 120_000);
    return { fleet, connectMs: Math.max(...ready.map((r) => r.connectMs)) };
  }

  /**
   * One push per agent, spread over spreadMs from startAt; resolves when every push was
   * acknowledged, or after maxMs with the cycle aborted (what was done is reported).
   */
  async runCycle(startAt: number, spreadMs: number, maxMs: number): Promise<CycleResult> {
    const cycle = ++this.cycle;
    const pending = this.all<CycleReport>('cycle', () => ({ cmd: 'cycle', cycle, startAt, spreadMs }), Number.POSITIVE_INFINITY);
    const bound = setTimeout(() => this.broadcast({ cmd: 'abort' }), Math.max(0, startAt - Date.now()) + maxMs);
    const reports = await pending;
    clearTimeout(bound);
    const finishedAt = Math.max(...reports.map((r) => r.finishedAt));
    const sum = (f: (r: CycleReport) => number): number => reports.reduce((n, r) => n + f(r), 0);
    return {
      cycle,
      startedAt: startAt,
      finishedAt,
      durationMs: finishedAt - startAt,
      pushes: sum((r) => r.pushes),
      samples: sum((r) => r.samples),
      failed: sum((r) => r.failed),
      aborted: reports.some((r) => r.aborted),
      maxPushMs: Math.max(...reports.map((r) => r.maxPushMs)),
      latenciesMs: reports.flatMap((r) => r.latenciesMs),
      firstError: reports.find((r) => r.firstError)?.firstError,
    };
  }

  /**
   * Every agent sends its backlog (see ReplayCommand) while cycles may go on; resolves when all
   * of it was acknowledged, or after maxMs with what was done by then.
   */
  async replay(command: Omit<ReplayCommand, 'cmd'>, maxMs: number): Promise<ReplayResult> {
    const startedAt = Date.now();
    const pending = this.all<ReplayReport>('replay', () => ({ cmd: 'replay', ...command }), Number.POSITIVE_INFINITY);
    const bound = setTimeout(() => this.broadcast({ cmd: 'abort-replay' }), maxMs);
    const reports = await pending;
    clearTimeout(bound);
    const sum = (f: (r: ReplayReport) => number): number => reports.reduce((n, r) => n + f(r), 0);
    return {
      startedAt,
      finishedAt: Math.max(...reports.map((r) => r.finishedAt)),
      batches: sum((r) => r.batches),
      samples: sum((r) => r.samples),
      retries: sum((r) => r.retries),
      failed: sum((r) => r.failed),
      aborted: reports.some((r) => r.aborted),
      firstError: reports.find((r) => r.firstError)?.firstError,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map((worker) => {
        if (worker.exitCode !== null || worker.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        try {
          worker.send({ cmd: 'stop' } satisfies WorkerCommand);
        } catch {
          worker.kill('SIGKILL');
        }
        const force = setTimeout(() => worker.kill('SIGKILL'), 3000);
        return exited.then(() => clearTimeout(force));
      }),
    );
  }

  private broadcast(command: WorkerCommand): void {
    for (const worker of this.workers) if (worker.connected) worker.send(command);
  }

  /** Sends each worker its command and collects one report of the expected type from each. */
  private all<R extends WorkerReport>(kind: Awaited, command: (worker: ChildProcess, index: number) => WorkerCommand, timeoutMs: number): Promise<R[]> {
    return Promise.all(
      this.workers.map(
        (worker, i) =>
          new Promise<R>((resolve, reject) => {
            const timer = Number.isFinite(timeoutMs) ? setTimeout(() => reject(new Error(`simulator did not answer within ${timeoutMs} ms`)), timeoutMs) : undefined;
            const onExit = (code: number | null): void => reject(new Error(`simulator exited with ${code}`));
            worker.once('exit', onExit);
            this.waiters.get(worker)!.set(kind, (report) => {
              clearTimeout(timer);
              worker.off('exit', onExit);
              if (report.type === 'fail') reject(new Error(`simulator failed: ${report.error}`));
              else resolve(report as R);
            });
            worker.send(command(worker, i));
          }),
      ),
    );
  }
}
