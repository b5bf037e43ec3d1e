import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionState } from './connection.js';
import type { Outbox } from './outbox/outbox.js';

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
  /** Batches waiting for the bridge's ack. */
  outbox?: OutboxStatus;
}

export interface OutboxStatus {
  /** 'memory' or FLEETPULSE_BUFFER_DIR. */
  where: string;
  batches: number;
  bytes: number;
  max_bytes: number;
  /** Collection time of the oldest waiting batch, absent when none waits. */
  oldest_ms?: number;
  /** Batches dropped since the agent started, by reason (full, too_old, ...). */
  dropped: Record<string, number>;
}

export function outboxStatus(outbox: Outbox): OutboxStatus {
  const s = outbox.stats();
  return {
    where: outbox.where,
    batches: s.batches,
    bytes: s.bytes,
    max_bytes: outbox.maxBytes,
    ...(s.oldestTimestampMs === undefined ? {} : { oldest_ms: s.oldestTimestampMs }),
    dropped: { ...s.dropped },
  };
}

/** The outbox in one phrase for --check. */
function describeOutbox(o: OutboxStatus, now: number): string {
  const dropped = Object.entries(o.dropped).filter(([, n]) => n > 0).map(([reason, n]) => `${n} ${reason}`);
  const waiting = o.batches === 0 ? 'empty' : `${o.batches} batches waiting (${Math.round(o.bytes / 1024)} KiB of ${Math.round(o.max_bytes / 1024)} KiB, oldest ${Math.round((now - (o.oldest_ms ?? now)) / 1000)} s ago)`;
  return `outbox in ${o.where} ${waiting}${dropped.length > 0 ? `, dropped ${dropped.join(', ')}` : ''}`;
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
  const outbox = status.outbox ? `, ${describeOutbox(status.outbox, now)}` : '';
  return { healthy: true, message: `ok: ${status.collections} collections, last ${ageMs} ms ago, bridge connection ${status.connection}${outbox}` };
}
