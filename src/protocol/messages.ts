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
}

/** agent -> bridge: a complete snapshot of the agent's metric families. */
export interface MetricsMessage {
  type: 'metrics';
  seq: number;
  /** Agent clock when collection finished, ms since the epoch. */
  timestamp_ms: number;
  families: MetricFamily[];
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

export type AgentMessage = HelloMessage | MetricsMessage | PingMessage | PongMessage | GoodbyeMessage;
export type ServerMessage = WelcomeMessage | AckMessage | PingMessage | PongMessage | ErrorMessage;
export type Message = AgentMessage | ServerMessage;
