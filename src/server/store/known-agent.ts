import type { AgentState } from './agent-lifecycle.js';

/** What the bridge keeps of an agent across its own restarts (see agent-registry.ts): enough to report it down. */
export interface KnownAgent {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly address: string;
  readonly agentVersion: string;
  readonly protocol: number;
  readonly intervalMs: number;
  readonly state: AgentState;
  readonly connectedSince: number;
  readonly lastSeen: number;
  readonly disconnectedAt: number | undefined;
}
