// Parent <-> simulator worker messages (over the fork IPC channel).

export type Target = 'fleetpulse' | 'pushgateway';

export interface InitCommand {
  cmd: 'init';
  target: Target;
  host: '127.0.0.1';
  port: number;
  /** Agent ids of this worker. */
  ids: string[];
  series: number;
  /** Concurrent HTTP connections to Pushgateway (ignored for fleetpulse). */
  pushConnections: number;
  /** The worker exits by itself after this long, whatever happens. */
  lifetimeMs: number;
}

/** Push one snapshot per agent, agent i at startAt + i/n * spreadMs. */
export interface CycleCommand {
  cmd: 'cycle';
  cycle: number;
  startAt: number;
  spreadMs: number;
}

/** Stop sending the current cycle (it overran its time bound) and report what was done. */
export interface AbortCommand {
  cmd: 'abort';
}

export interface StopCommand {
  cmd: 'stop';
}

export type WorkerCommand = InitCommand | CycleCommand | AbortCommand | StopCommand;

export interface ReadyReport {
  type: 'ready';
  agents: number;
  connectMs: number;
}

export interface CycleReport {
  type: 'cycle';
  cycle: number;
  /** When the last push of the cycle was acknowledged (or the cycle was aborted). */
  finishedAt: number;
  pushes: number;
  samples: number;
  failed: number;
  aborted: boolean;
  /** Longest push-to-acknowledgement time of the cycle. */
  maxPushMs: number;
  firstError?: string;
}

export interface FailReport {
  type: 'fail';
  error: string;
}

export type WorkerReport = ReadyReport | CycleReport | FailReport;
