import type { AgentOptions } from '../agent/agent.js';
import { statusFilePath } from '../agent/status-file.js';
import { DEFAULT_BACKOFF } from '../agent/backoff.js';
import type { Logger } from '../log.js';
import type { BridgeOptions } from '../server/options.js';
import { VERSION } from '../version.js';
import { ConfigError } from './load-config.js';
import type { SettingValues } from './settings.js';

/** Turns resolved settings into what the bridge needs. */
export function bridgeOptions(v: SettingValues, log: Logger): BridgeOptions {
  return {
    bindHost: v.bind!,
    ingestPort: v.ingestPort!,
    httpPort: v.httpPort!,
    token: v.token,
    maxLineBytes: v.maxLineBytes!,
    maxConnections: v.maxConnections!,
    maxSeriesPerAgent: v.maxSeriesPerAgent!,
    helloTimeoutMs: v.helloTimeout!,
    heartbeatMs: v.heartbeat!,
    graceMs: v.gracePeriod,
    forgetMs: v.forgetAfter!,
    prometheusUrl: v.prometheusUrl,
    grafanaUrl: v.grafanaUrl,
    dataDir: v.dataDir,
    adminToken: v.adminToken,
    log,
  };
}

/** Turns resolved settings into what the agent needs; `server` overrides FLEETPULSE_SERVER (demo). */
export function agentOptions(v: SettingValues, log: Logger, server = v.server!): AgentOptions {
  const intervalMs = v.interval!;
  const backoff = { initialMs: v.reconnectMin ?? DEFAULT_BACKOFF.initialMs, maxMs: v.reconnectMax ?? DEFAULT_BACKOFF.maxMs };
  if (backoff.initialMs > backoff.maxMs) {
    throw new ConfigError(`FLEETPULSE_RECONNECT_MIN (${backoff.initialMs} ms) is larger than FLEETPULSE_RECONNECT_MAX (${backoff.maxMs} ms); make the minimum the smaller one`);
  }
  return {
    intervalMs,
    collectorTimeoutMs: v.collectorTimeout ?? Math.min(Math.round(intervalMs * 0.8), 10_000),
    paths: { proc: v.hostProc!, sys: v.hostSys!, root: v.hostRoot! },
    collectors: v.collectors!,
    statusFile: v.statusFile ?? statusFilePath(v.agentId!),
    probes: v.probes ? { bind: v.probeBind!, port: v.probePort!, advertise: v.probeAddress } : undefined,
    log,
    connection: {
      host: server.host,
      port: server.port,
      agentId: v.agentId!,
      agentVersion: VERSION,
      labels: v.labels ?? {},
      token: v.token,
      intervalMs,
      backoff,
      handshakeTimeoutMs: 10_000,
      log,
    },
  };
}
