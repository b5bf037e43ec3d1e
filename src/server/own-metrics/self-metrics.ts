import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ProtocolErrors } from '../../protocol/error-codes.js';
import type { BridgeOptions } from '../options.js';

/** The bridge's limits, exposed so alerts can say "near the limit" before it refuses anything. */
export type BridgeLimits = Pick<BridgeOptions, (typeof LIMIT_GAUGES)[number]['option']>;

/**
 * One gauge per limit, named after its setting (as Prometheus and Pushgateway expose their
 * configuration): each sits beside the figure it caps, e.g. fleetpulse_bridge_series /
 * fleetpulse_bridge_max_series.
 */
const LIMIT_GAUGES = [
  { option: 'maxConnections', name: 'fleetpulse_bridge_max_connections', help: 'Agent connections the bridge accepts at once after their hello (FLEETPULSE_MAX_CONNECTIONS); compare fleetpulse_bridge_connections.' },
  { option: 'maxHandshakes', name: 'fleetpulse_bridge_max_handshakes', help: 'Connections before their hello the bridge holds at once (FLEETPULSE_MAX_HANDSHAKES); compare fleetpulse_bridge_handshakes.' },
  { option: 'maxHandshakesPerSource', name: 'fleetpulse_bridge_max_handshakes_per_source', help: 'Connections before their hello from one address, IPv6 one /64 (FLEETPULSE_MAX_HANDSHAKES_PER_SOURCE).' },
  { option: 'authFailuresPerMinute', name: 'fleetpulse_bridge_max_auth_failures_per_minute', help: 'Failed authentications one address may have per minute before it is refused (FLEETPULSE_AUTH_FAILURES_PER_MINUTE).' },
  { option: 'maxAgents', name: 'fleetpulse_bridge_max_agents', help: 'Agents the bridge knows, connected or listed as down (FLEETPULSE_MAX_AGENTS); compare sum(fleetpulse_bridge_agents).' },
  { option: 'maxSeries', name: 'fleetpulse_bridge_max_series', help: 'Series of all agents together (FLEETPULSE_MAX_SERIES); compare fleetpulse_bridge_series.' },
  { option: 'maxSeriesPerAgent', name: 'fleetpulse_bridge_max_series_per_agent', help: 'Series one agent may send at most (FLEETPULSE_MAX_SERIES_PER_AGENT); compare fleetpulse_agent_series.' },
  { option: 'maxBytesPerAgent', name: 'fleetpulse_bridge_max_bytes_per_agent', help: 'Exposition text one agent\'s batch may render to, in bytes (FLEETPULSE_MAX_BYTES_PER_AGENT).' },
  { option: 'maxLineBytes', name: 'fleetpulse_bridge_max_line_bytes', help: 'Longest protocol line accepted from an agent after its hello, in bytes (FLEETPULSE_MAX_LINE_BYTES).' },
  { option: 'maxMetricNameBytes', name: 'fleetpulse_bridge_max_metric_name_bytes', help: 'Longest metric name an agent may send, in bytes (FLEETPULSE_MAX_METRIC_NAME_BYTES).' },
  { option: 'maxLabelNameBytes', name: 'fleetpulse_bridge_max_label_name_bytes', help: 'Longest sample label name, in bytes (FLEETPULSE_MAX_LABEL_NAME_BYTES).' },
  { option: 'maxLabelValueBytes', name: 'fleetpulse_bridge_max_label_value_bytes', help: 'Longest sample label value, in bytes (FLEETPULSE_MAX_LABEL_VALUE_BYTES).' },
  { option: 'maxStaticLabelBytes', name: 'fleetpulse_bridge_max_static_label_bytes', help: 'Names and values of one agent\'s static labels together, in bytes (FLEETPULSE_MAX_STATIC_LABEL_BYTES).' },
  { option: 'maxGraceMs', name: 'fleetpulse_bridge_max_grace_period_seconds', help: 'Cap of the default grace period of a lost agent\'s series, in seconds (FLEETPULSE_MAX_GRACE_PERIOD).', scale: 1 / 1000 },
] as const satisfies readonly { option: keyof BridgeOptions; name: string; help: string; scale?: number }[];

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
      for (const { option, name, help, ...rest } of LIMIT_GAUGES) {
        const scale = 'scale' in rest ? rest.scale : 1;
        new Gauge({ name, help, registers: [this.registry] }).set(limits[option] * scale);
      }
    }
  }
}
