// Parent <-> simulator worker messages (over the fork IPC channel).

/** How the simulated agents send: our protocol, Pushgateway's PUT, or vmagent's text import. */
export type Target = 'fleetpulse' | 'pushgateway' | 'vmagent';

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
  /** Batches each agent holds from before it connected (an outbox after an outage), for `replay`. */
  backlogBatches: number;
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

/**
 * Every agent sends its backlog, oldest first, keeping `window` batches in flight, while cycles
 * go on. Batch k of n was collected at newestMs - (n - k) * periodMs. A batch the bridge answers
 * FP_RETRY_LATER for is sent again after retryDelayMs.
 */
export interface ReplayCommand {
  cmd: 'replay';
  newestMs: number;
  periodMs: number;
  window: number;
  retryDelayMs: number;
}

/** Stop replaying (the phase's time bound) and report how far it got. */
export interface AbortReplayCommand {
  cmd: 'abort-replay';
}

export interface StopCommand {
  cmd: 'stop';
}

export type WorkerCommand = InitCommand | CycleCommand | AbortCommand | ReplayCommand | AbortReplayCommand | StopCommand;

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
  /** Push-to-acknowledgement time of every push of the cycle. */
  latenciesMs: number[];
  firstError?: string;
}

export interface ReplayReport {
  type: 'replay';
  /** When the last backlog batch was acknowledged (or the replay was aborted). */
  finishedAt: number;
  /** Backlog batches acknowledged, and their samples. */
  batches: number;
  samples: number;
  /** FP_RETRY_LATER answers (each batch is sent again later). */
  retries: number;
  failed: number;
  aborted: boolean;
  firstError?: string;
}

export interface FailReport {
  type: 'fail';
  error: string;
}

export type WorkerReport = ReadyReport | CycleReport | ReplayReport | FailReport;
