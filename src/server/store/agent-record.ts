import { renderLabelPairs } from '../text-format/format.js';
import type { AgentState, Life } from './agent-lifecycle.js';
import type { AgentSeries } from './series-store.js';

export interface AgentHello {
  id: string;
  address: string;
  agentVersion: string;
  protocol: number;
  labels: Record<string, string>;
  intervalMs: number;
  /** Where peers reach the agent's probe responder; undefined: it takes no part in tasks. */
  probe?: ProbeAddress | undefined;
}

export interface ProbeAddress {
  address: string;
  port: number;
}

/**
 * Connections refused because another live agent process held this id (FP_ID_CONFLICT): two
 * hosts share an agent id. Counted as current for ID_CONFLICT_HOLD_MS after the last refusal,
 * longer than the refused agent's longest backoff (FLEETPULSE_RECONNECT_MAX, 30 s by default).
 */
export interface IdConflict {
  /** Where the latest refused connection came from. */
  readonly address: string;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
  readonly refused: number;
}

export const ID_CONFLICT_HOLD_MS = 15 * 60_000;

/** The agent's id conflict if one is current at `nowMs`. */
export function currentIdConflict(agent: AgentStatus, nowMs: number): IdConflict | undefined {
  const c = agent.idConflict;
  return c !== undefined && nowMs - c.lastAtMs < ID_CONFLICT_HOLD_MS ? c : undefined;
}

/** One agent as routes and exposition see it. */
export interface AgentStatus {
  readonly id: string;
  readonly address: string;
  readonly agentVersion: string;
  readonly protocol: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly intervalMs: number;
  readonly state: AgentState;
  readonly connected: boolean;
  readonly connectedSince: number;
  readonly lastSeen: number;
  readonly disconnectedAt: number | undefined;
  readonly batches: number;
  readonly samplesReceived: number;
  /** Series held now. */
  readonly series: number;
  readonly lastError: string | undefined;
  /** `instance="id",k="v"` prefix of every line of this agent. */
  readonly labelPrefix: string;
  /** While connected: where peers reach its probe responder, if it runs one. */
  readonly probe: ProbeAddress | undefined;
  /** While connected: its clock minus the bridge's, ms; undefined until measured. */
  readonly clockOffsetMs: number | undefined;
  /** The latest id conflict (see currentIdConflict), if there ever was one. */
  readonly idConflict: IdConflict | undefined;
}

/** One agent's record: what its hello said, what the session measured, and its life and series (owned by agent-lifecycle.ts and series-store.ts). */
export class Agent implements AgentStatus {
  address: string;
  agentVersion: string;
  protocol: number;
  intervalMs: number;
  batches = 0;
  samplesReceived = 0;
  lastError: string | undefined = undefined;
  probeAddress: ProbeAddress | undefined;
  measuredOffsetMs: number | undefined = undefined;
  idConflict: IdConflict | undefined = undefined;
  readonly labelPrefix: string;
  readonly forbidden: ReadonlySet<string>;

  constructor(
    hello: AgentHello,
    readonly life: Life,
    public data: AgentSeries,
  ) {
    this.address = hello.address;
    this.agentVersion = hello.agentVersion;
    this.protocol = hello.protocol;
    this.intervalMs = hello.intervalMs;
    this.probeAddress = hello.probe;
    const staticLabels = Object.entries(hello.labels).sort(([a], [b]) => (a < b ? -1 : 1));
    this.labelPrefix = renderLabelPairs([['instance', hello.id], ...staticLabels]);
    this.forbidden = new Set(['instance', 'job', ...Object.keys(hello.labels)]);
    this.id = hello.id;
    this.labels = hello.labels;
  }

  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  get state(): AgentState {
    return this.life.state;
  }
  get connected(): boolean {
    return this.life.state === 'connected';
  }
  get connectedSince(): number {
    return this.life.connectedSince;
  }
  get lastSeen(): number {
    return this.life.lastSeen;
  }
  get disconnectedAt(): number | undefined {
    return this.life.disconnectedAt;
  }
  get series(): number {
    return this.data.series;
  }
  get probe(): ProbeAddress | undefined {
    return this.connected ? this.probeAddress : undefined;
  }
  get clockOffsetMs(): number | undefined {
    return this.connected ? this.measuredOffsetMs : undefined;
  }
}

