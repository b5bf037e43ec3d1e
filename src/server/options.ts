import type { Logger } from '../log.js';
import type { RemoteWriteOptions } from './remote-write/remote-write-options.js';

/** Everything the bridge needs, already validated (see src/config). */
export interface BridgeOptions {
  bindHost: string;
  /** 0 picks a free port (tests). */
  ingestPort: number;
  httpPort: number;
  /** Shared secret agents must present; undefined accepts any agent. */
  token: string | undefined;
  /** TLS on the agent port; with clientCa, client certificates bind agent ids (docs/security.md). */
  agentTls?: { cert: string; key: string; clientCa: string | undefined } | undefined;
  /** Per-agent tokens: agent ids or patterns and token hashes, re-read on change. */
  agentTokensFile?: string | undefined;
  /** Accept agents from any address although no authentication is configured. */
  insecure?: boolean | undefined;
  maxLineBytes: number;
  /** Agents connected at once (connections that completed their hello). */
  maxConnections: number;
  /** Connections still before their hello: in all, and per source address (IPv6: per /64). */
  maxHandshakes: number;
  maxHandshakesPerSource: number;
  /** Failed authentications a source may have per minute before it is refused at connect. */
  authFailuresPerMinute: number;
  /** A batch with more samples than this is refused whole (FP_SERIES_LIMIT). */
  maxSeriesPerAgent: number;
  /** Series of all agents together; a batch that would pass it is refused whole (FP_FLEET_SERIES_LIMIT). */
  maxSeries: number;
  /** Exposition text one agent's batch may render to; refused whole past it (FP_AGENT_BYTES_LIMIT). */
  maxBytesPerAgent: number;
  /** Longest metric name (FP_METRIC_NAME_TOO_LONG). */
  maxMetricNameBytes: number;
  /** Longest sample label name and value (FP_LABEL_TOO_LONG). */
  maxLabelNameBytes: number;
  maxLabelValueBytes: number;
  /** Batches stamped older than this are refused (FP_BAD_TIMESTAMP); see ingest/batch-intake.ts. */
  maxBatchAgeMs: number;
  /** Names and values of an agent's static labels together (FP_BAD_LABELS). */
  maxStaticLabelBytes: number;
  /** Agents the bridge knows, connected or listed as down (FP_TOO_MANY_AGENTS for a new id). */
  maxAgents: number;
  /**
   * CIDRs whose addresses peers may dial for measurement tasks even when merely advertised by
   * the agent, or loopback/link-local/multicast (FLEETPULSE_PROBE_NETWORKS); default none.
   */
  probeNetworks?: readonly string[] | undefined;
  /** Cap of the default grace period (3 agent intervals), whatever interval an agent claims. */
  maxGraceMs: number;
  helloTimeoutMs: number;
  heartbeatMs: number;
  /** Fixed grace period before a lost agent's series go; undefined = 3 agent intervals. */
  graceMs: number | undefined;
  forgetMs: number;
  /** How long an agent that said goodbye stays listed as departed; undefined: as long as a lost one. */
  departedForgetMs?: number | undefined;
  /** Where the web console links Prometheus and Grafana (browser-reachable URLs); unset: no link. */
  prometheusUrl?: string | undefined;
  grafanaUrl?: string | undefined;
  /** Tasks are kept in <dataDir>/tasks; undefined keeps them in memory only (tests). */
  dataDir?: string | undefined;
  /** Bearer token for changes through /api/tasks; undefined disables them (403). */
  adminToken?: string | undefined;
  /** exporter-toolkit web-config file: TLS and basic auth for every HTTP route. */
  webConfig?: string | undefined;
  /** Host header names the HTTP side answers; undefined: any. */
  httpAllowedHosts?: string[] | undefined;
  /** HTTP connections at once (default 256). */
  httpMaxConnections?: number | undefined;
  /** Prometheus remote_write output (FLEETPULSE_REMOTE_WRITE_URL); undefined: off, agents are acked at once. */
  remoteWrite?: RemoteWriteOptions | undefined;
  log: Logger;
}
