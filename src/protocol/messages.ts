// The fleetpulse wire protocol, version 1: one JSON object per line over TCP.
// docs/protocol.md is the normative description; these types mirror it.

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [PROTOCOL_VERSION];

export type MetricType = 'counter' | 'gauge' | 'untyped';
export const METRIC_TYPES: readonly MetricType[] = ['counter', 'gauge', 'untyped'];

/** JSON has no NaN or infinities, so they travel as these strings. */
export type SpecialValue = 'NaN' | '+Inf' | '-Inf';
export type SampleValue = number | SpecialValue;

export interface Sample {
  /** Label names and values of this series, without instance or the agent's static labels. */
  labels?: Record<string, string>;
  value: SampleValue;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  /** Informational (e.g. "seconds", "bytes"); the name already carries it. */
  unit?: string;
  samples: Sample[];
}

/** agent -> bridge, first message on every connection. */
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  agent_id: string;
  agent_version: string;
  labels?: Record<string, string>;
  token?: string;
  /** Collection interval, so the bridge can size the grace period. */
  interval_ms?: number;
  /** The agent runs a probe responder and takes part in measurement tasks (docs/tasks.md). */
  probe?: ProbeEndpoint;
  /** Random per agent process: tells a reconnect of the same agent from a second agent with the same id. */
  run_id?: string;
}

/** Where peers reach an agent's probe responder (UDP echo and TCP sink on one port). */
export interface ProbeEndpoint {
  /** Host or IP peers should use; absent: the address the bridge sees the agent connect from. */
  address?: string;
  port: number;
}

/** bridge -> agent, accepts the hello. */
export interface WelcomeMessage {
  type: 'welcome';
  protocol: number;
  server_version: string;
  /** Each side sends a ping at least this often; silence for 3x this closes the link. */
  heartbeat_ms: number;
  max_line_bytes: number;
  max_series: number;
  /** The bridge sends batches on to remote_write: acks wait for the receivers (docs/remote-write.md). */
  history?: boolean;
}

/** agent -> bridge: a complete snapshot of the agent's metric families. */
export interface MetricsMessage {
  type: 'metrics';
  seq: number;
  /** Agent clock when collection finished, ms since the epoch: the time of every sample sent to remote_write. */
  timestamp_ms: number;
  families: MetricFamily[];
  /** Informational: the agent re-sends this batch from its outbox (the bridge decides by timestamp_ms). */
  replay?: boolean;
}

/** bridge -> agent: the batch with this seq was stored. */
export interface AckMessage {
  type: 'ack';
  seq: number;
  /** Samples stored from this batch (families rejected from it are not counted). */
  samples: number;
}

/** Either direction. The receiver answers with a pong echoing id and t0. */
export interface PingMessage {
  type: 'ping';
  id: number;
  /** Sender's clock at send, ms since the epoch. */
  t0: number;
}

export interface PongMessage {
  type: 'pong';
  id: number;
  t0: number;
  /** Responder's clock when the ping arrived and when the pong left (NTP-style offset estimate). */
  t1: number;
  t2: number;
}

/** bridge -> agent. */
export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
  /** True when the sender closes the connection right after this message. */
  fatal: boolean;
  /** Set when the error refers to one metrics batch. */
  seq?: number;
}

/**
 * agent -> bridge, just before a deliberate stop (SIGTERM, Ctrl-C). The bridge then forgets
 * the agent once the grace period ends instead of keeping it listed as down, so replaced
 * containers and retired hosts do not fire AgentDown.
 */
export interface GoodbyeMessage {
  type: 'goodbye';
  reason?: string;
}

export type TaskKind = 'latency' | 'bandwidth';
export const TASK_KINDS: readonly TaskKind[] = ['latency', 'bandwidth'];

/** One peer to probe in a run. Times are on the bridge's clock. */
export interface TaskRunTarget {
  agent_id: string;
  address: string;
  port: number;
  /** The target's clock minus the bridge's, ms; absent while the bridge has no estimate. */
  clock_offset_ms?: number;
  /** When this pair starts; absent: the run's start_at_ms. Bandwidth pairs get successive slots. */
  start_at_ms?: number;
}

/**
 * bridge -> agent (only to agents whose hello had `probe`): grant the run's secret to the
 * responder at once, probe each target from start_at_ms, report by deadline_ms.
 */
export interface TaskRunMessage {
  type: 'task_run';
  task_id: string;
  run_id: string;
  kind: TaskKind;
  /** Fresh for every run; signs the run's probes (HMAC key, never sent in a probe). */
  secret: string;
  start_at_ms: number;
  deadline_ms: number;
  /** latency: count, interval_ms; bandwidth: duration_ms. */
  options: Record<string, number>;
  /** This agent's clock minus the bridge's, ms; absent while unknown. */
  clock_offset_ms?: number;
  targets: TaskRunTarget[];
}

/** bridge -> agent: the task was deleted; stop answering and sending its probes at once. */
export interface TaskRevokeMessage {
  type: 'task_revoke';
  task_id: string;
}

/** Why a pair has no measurement. `offline` is only ever set by the bridge. */
export type ProbeResultReason = 'offline' | 'timeout' | 'refused' | 'unreachable' | 'auth_failed' | 'error';
export const PROBE_RESULT_REASONS: readonly ProbeResultReason[] = ['offline', 'timeout', 'refused', 'unreachable', 'auth_failed', 'error'];

/** The figures of one pair's result, in base units; a figure that does not apply is left out. */
export const PROBE_FIGURES = [
  'rtt_min_seconds',
  'rtt_avg_seconds',
  'rtt_max_seconds',
  'jitter_seconds',
  'loss_ratio',
  'one_way_delay_seconds',
  'one_way_jitter_seconds',
  'one_way_loss_ratio',
  'bandwidth_bits_per_second',
] as const;
export type ProbeFigure = (typeof PROBE_FIGURES)[number];

/** One ordered pair (the sending agent -> dst) of a run. */
export type WireProbeResult = { dst: string; ok: boolean; reason?: ProbeResultReason; message?: string } & Partial<Record<ProbeFigure, number>>;

/** agent -> bridge: results of a task_run; a run's results may come in several messages. */
export interface TaskResultMessage {
  type: 'task_result';
  task_id: string;
  run_id: string;
  results: WireProbeResult[];
}

export type AgentMessage = HelloMessage | MetricsMessage | PingMessage | PongMessage | GoodbyeMessage | TaskResultMessage;
export type ServerMessage = WelcomeMessage | AckMessage | PingMessage | PongMessage | ErrorMessage | TaskRunMessage | TaskRevokeMessage;
export type Message = AgentMessage | ServerMessage;
