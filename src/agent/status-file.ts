import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionState } from './connection.js';

// The running agent writes its status here after every collection; `fleetpulse agent --check`
// reads it. A container HEALTHCHECK or a systemd watchdog script can then ask "is this agent
// still collecting?" without the agent opening a port.

export interface AgentStatus {
  pid: number;
  agent_id: string;
  interval_ms: number;
  collections: number;
  last_collection_ms: number;
  connection: ConnectionState;
  /** The bridge (host:port) the agent is connected to, or tries next. */
  bridge?: string;
  /** Why the bridge keeps the agent out (e.g. FP_ID_CONFLICT); absent when nothing is wrong. */
  problem?: string;
}

/** One file per agent id, so several agents on one host do not clobber each other. */
export function statusFilePath(agentId: string, dir = tmpdir()): string {
  return join(dir, `fleetpulse-agent-${agentId.replace(/[^A-Za-z0-9._-]/g, '_')}.status.json`);
}

export function writeStatus(path: string, status: AgentStatus): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(status));
  renameSync(tmp, path); // atomic: a reader never sees half a file
}

export interface CheckResult {
  healthy: boolean;
  message: string;
}

/** Healthy when the agent process exists and collected within the last 3 intervals. */
export function checkStatus(path: string, now = Date.now()): CheckResult {
  let status: AgentStatus;
  try {
    status = JSON.parse(readFileSync(path, 'utf8')) as AgentStatus;
  } catch (err) {
    return { healthy: false, message: `no agent status at ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}); is the agent running with the same FLEETPULSE_AGENT_ID?` };
  }
  try {
    process.kill(status.pid, 0);
  } catch {
    return { healthy: false, message: `agent process ${status.pid} is gone` };
  }
  if (status.problem !== undefined) return { healthy: false, message: `collecting, but kept out by the bridge: ${status.problem}` };
  const ageMs = now - status.last_collection_ms;
  if (ageMs > 3 * status.interval_ms) {
    return { healthy: false, message: `last collection ${Math.round(ageMs / 1000)} s ago, more than 3 intervals of ${status.interval_ms} ms` };
  }
  return { healthy: true, message: `ok: ${status.collections} collections, last ${ageMs} ms ago, bridge connection ${status.connection}` };
}
