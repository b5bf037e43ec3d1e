import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentIdConflict, type AgentStatus } from '../store/agent-record.js';
import type { AgentStore } from '../store/agent-store.js';
import type { AgentSummary } from '../store/agent-summary.js';
import { sendData, sendError } from './json-envelope.js';

/** The /api/agents JSON shape. Part of the public contract: add fields, never rename. */
export interface AgentView {
  id: string;
  connected: boolean;
  /** connected, down (connection lost: AgentDown) or departed (said goodbye: a deliberate stop). */
  state: 'connected' | 'down' | 'departed';
  /** Connections refused because another live agent holds this id (FP_ID_CONFLICT); null when none lately. */
  id_conflict: { address: string; first_at: string; last_at: string; refused_connections: number } | null;
  address: string;
  version: string;
  protocol: number;
  labels: Record<string, string>;
  connected_since: string;
  last_seen: string;
  disconnected_at: string | null;
  interval_seconds: number;
  batches_received: number;
  samples_received: number;
  series: number;
  last_error: string | null;
  /** Latest busy % over all cores, memory used %, root filesystem used %; null until known. */
  cpu_percent: number | null;
  memory_percent: number | null;
  disk_percent: number | null;
  /** Where peers reach the agent's probe responder for measurement tasks; null when not connected or without one. */
  probe: { address: string; port: number } | null;
}

export function agentView(agent: AgentStatus, summary: AgentSummary, nowMs = Date.now()): AgentView {
  const probe = agent.probe;
  const conflict = currentIdConflict(agent, nowMs);
  return {
    id: agent.id,
    connected: agent.connected,
    state: agent.state,
    id_conflict: conflict
      ? { address: conflict.address, first_at: new Date(conflict.firstAtMs).toISOString(), last_at: new Date(conflict.lastAtMs).toISOString(), refused_connections: conflict.refused }
      : null,
    address: agent.address,
    version: agent.agentVersion,
    protocol: agent.protocol,
    labels: agent.labels,
    connected_since: new Date(agent.connectedSince).toISOString(),
    last_seen: new Date(agent.lastSeen).toISOString(),
    disconnected_at: agent.disconnectedAt === undefined ? null : new Date(agent.disconnectedAt).toISOString(),
    interval_seconds: agent.intervalMs / 1000,
    batches_received: agent.batches,
    samples_received: agent.samplesReceived,
    series: agent.series,
    last_error: agent.lastError ?? null,
    cpu_percent: round(summary.cpuPercent),
    memory_percent: round(summary.memoryPercent),
    disk_percent: round(summary.diskPercent),
    probe: probe ? { address: probe.address, port: probe.port } : null,
  };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100;
}

/** GET /api/agents and GET /api/agents/<id>. */
/** Every agent's view, by id. */
export function agentViews(store: AgentStore): AgentView[] {
  return store.list().map((agent) => agentView(agent, store.summaryOf(agent.id), store.now()));
}

export function agentsRoute(store: AgentStore) {
  return (_req: IncomingMessage, res: ServerResponse, id: string | undefined): void => {
    if (id === undefined) return sendData(res, agentViews(store));
    const agent = store.get(id);
    if (!agent) return sendError(res, 404, 'not_found', `no agent with id ${JSON.stringify(id)}`);
    sendData(res, agentView(agent, store.summaryOf(id), store.now()));
  };
}
