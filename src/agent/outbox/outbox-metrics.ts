import type { MetricFamily } from '../../protocol/messages.js';
import { DROP_REASONS, type OutboxStats } from './outbox.js';

/** The agent's own outbox families (src/protocol/known-families.ts AGENT_FLEETPULSE_FAMILIES lists them). */
export const OUTBOX_FAMILY_NAMES = [
  'fleetpulse_agent_buffer_batches',
  'fleetpulse_agent_buffer_bytes',
  'fleetpulse_agent_buffer_max_bytes',
  'fleetpulse_agent_buffer_oldest_age_seconds',
  'fleetpulse_agent_buffer_dropped_batches_total',
  'fleetpulse_agent_buffer_replayed_batches_total',
] as const;

/**
 * The outbox as it was when a batch was collected, sent in that batch: replayed later, a
 * batch still tells how full the outbox was at its own time.
 */
export function outboxFamilies(stats: OutboxStats, maxBytes: number, nowMs: number): MetricFamily[] {
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, type: 'gauge', help, samples: [{ value }] });
  return [
    gauge('fleetpulse_agent_buffer_batches', 'Batches in the agent outbox waiting for the bridge to acknowledge them (this one not included).', stats.batches),
    gauge('fleetpulse_agent_buffer_bytes', 'Bytes the waiting batches take (compressed, in memory or in FLEETPULSE_BUFFER_DIR).', stats.bytes),
    gauge('fleetpulse_agent_buffer_max_bytes', 'FLEETPULSE_BUFFER_MAX_BYTES: beyond it the oldest batches are dropped.', maxBytes),
    gauge('fleetpulse_agent_buffer_oldest_age_seconds', 'Age of the oldest batch waiting in the outbox; 0 when none waits.', stats.oldestTimestampMs === undefined ? 0 : Math.max(0, nowMs - stats.oldestTimestampMs) / 1000),
    {
      name: 'fleetpulse_agent_buffer_dropped_batches_total',
      type: 'counter',
      help: 'Batches that left the outbox without reaching the bridge, by reason (full, too_old, corrupt, refused, too_large).',
      samples: DROP_REASONS.map((reason) => ({ labels: { reason }, value: stats.dropped[reason] })),
    },
    { name: 'fleetpulse_agent_buffer_replayed_batches_total', type: 'counter', help: 'Batches sent from the outbox backlog after they first waited (re-sends included).', samples: [{ value: stats.replayed }] },
  ];
}
