import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentRecord, AgentStore } from '../store/agent-store.js';
import { sendData, sendError } from './json-envelope.js';

/** The /api/agents JSON shape. Part of the public contract: add fields, never rename. */
export interface AgentView {
  id: string;
  connected: boolean;
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

/** The probe endpoint of a connected agent, if it announced one. */
export type ProbeLookup = (agentId: string) => { address: string; port: number } | undefined;

export function agentView(agent: AgentRecord, probeOf: ProbeLookup = () => undefined): AgentView {
  const probe = agent.connected ? probeOf(agent.id) : undefined;
  return {
    id: agent.id,
    connected: agent.connected,
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
    cpu_percent: round(agent.summary.cpuPercent),
    memory_percent: round(agent.summary.memoryPercent),
    disk_percent: round(agent.summary.diskPercent),
    probe: probe ? { address: probe.address, port: probe.port } : null,
  };
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100;
}

/** GET /api/agents and GET /api/agents/<id>. */
export function agentsRoute(store: AgentStore, probeOf: ProbeLookup = () => undefined) {
  return (_req: IncomingMessage, res: ServerResponse, id: string | undefined): void => {
    if (id === undefined) return sendData(res, store.list().map((agent) => agentView(agent, probeOf)));
    const agent = store.get(id);
    if (!agent) return sendError(res, 404, 'not_found', `no agent with id ${JSON.stringify(id)}`);
    sendData(res, agentView(agent, probeOf));
  };
}
