import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ProtocolErrors } from '../../protocol/error-codes.js';

/** The bridge's limits, exposed so alerts can say "near the limit" before it refuses anything. */
export interface BridgeLimits {
  maxConnections: number;
  maxSeriesPerAgent: number;
}

/**
 * The bridge's metrics about itself. Everything is prefixed fleetpulse_bridge_ (including
 * prom-client's default process metrics) so it never collides with agents' process_* series.
 */
export class SelfMetrics {
  readonly registry = new Registry();
  readonly connectionsOpen = new Gauge({
    name: 'fleetpulse_bridge_connections',
    help: 'Agent TCP connections currently open (including ones still before hello).',
    registers: [this.registry],
  });
  readonly handshakesOpen = new Gauge({
    name: 'fleetpulse_bridge_handshakes',
    help: 'Agent TCP connections open that have not completed their hello yet.',
    registers: [this.registry],
  });
  readonly connectionsAccepted = new Counter({
    name: 'fleetpulse_bridge_connections_accepted_total',
    help: 'Agent TCP connections accepted.',
    registers: [this.registry],
  });
  readonly connectionsRefused = new Counter({
    name: 'fleetpulse_bridge_connections_refused_total',
    help: 'Agent TCP connections refused on connect (handshake pool full, source rate-limited); by reason in fleetpulse_bridge_frames_rejected_total.',
    registers: [this.registry],
  });
  readonly framesReceived = new Counter({
    name: 'fleetpulse_bridge_frames_received_total',
    help: 'Protocol frames (lines) received from agents.',
    registers: [this.registry],
  });
  readonly framesRejected = new Counter({
    name: 'fleetpulse_bridge_frames_rejected_total',
    help: 'Frames, batches or metric families refused, by reason (see docs/protocol.md error codes).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly samplesIngested = new Counter({
    name: 'fleetpulse_bridge_samples_ingested_total',
    help: 'Samples stored from agents\' metrics batches.',
    registers: [this.registry],
  });
  readonly bytesReceived = new Counter({
    name: 'fleetpulse_bridge_received_bytes_total',
    help: 'Bytes read from agent connections.',
    registers: [this.registry],
  });
  readonly agents = new Gauge({
    name: 'fleetpulse_bridge_agents',
    help: 'Agents the bridge knows, by state (connected, disconnected).',
    labelNames: ['state'],
    registers: [this.registry],
  });
  readonly series = new Gauge({
    name: 'fleetpulse_bridge_series',
    help: 'Agent series currently exposed.',
    registers: [this.registry],
  });
  readonly scrapeDuration = new Histogram({
    name: 'fleetpulse_bridge_scrape_duration_seconds',
    help: 'Time to produce /metrics, including compression.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly agentRegistryCorrupt = new Counter({
    name: 'fleetpulse_bridge_agent_registry_corrupt_total',
    help: 'Agent registry files (<data dir>/agents.json) found unusable at start-up and moved aside to agents.json.corrupt (the bridge logs why).',
    registers: [this.registry],
  });
  readonly agentRegistryWriteFailures = new Counter({
    name: 'fleetpulse_bridge_agent_registry_write_failures_total',
    help: 'Writes of the agent registry (<data dir>/agents.json) that failed; down agents may then be forgotten at a restart.',
    registers: [this.registry],
  });

  readonly maxConnections = new Gauge({
    name: 'fleetpulse_bridge_max_connections',
    help: 'Agent TCP connections the bridge accepts at most (FLEETPULSE_MAX_CONNECTIONS).',
    registers: [this.registry],
  });
  readonly maxSeriesPerAgent = new Gauge({
    name: 'fleetpulse_bridge_max_series_per_agent',
    help: 'Series one agent may send at most (FLEETPULSE_MAX_SERIES_PER_AGENT).',
    registers: [this.registry],
  });

  constructor(limits?: BridgeLimits) {
    collectDefaultMetrics({ register: this.registry, prefix: 'fleetpulse_bridge_' });
    // prom-client names these three gauges *_total, which promtool rightly flags; the
    // same figures stay available per type in the gauges without the suffix.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(`fleetpulse_bridge_${name}`);
    }
    // Every reason at 0 from the start, so increase() and alerts see the first rejection (a
    // series born at 1 has no increase); an agent with a wrong token shows up at once.
    for (const { reason } of Object.values(ProtocolErrors)) this.framesRejected.inc({ reason }, 0);
    if (limits) {
      this.maxConnections.set(limits.maxConnections);
      this.maxSeriesPerAgent.set(limits.maxSeriesPerAgent);
    }
  }
}
