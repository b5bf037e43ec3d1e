import type { AgentOptions } from '../agent/agent.js';
import type { ConnectionOptions } from '../agent/connection.js';
import { statusFilePath } from '../agent/status-file.js';
import { DEFAULT_BACKOFF } from '../agent/backoff.js';
import { DEFAULT_DISK_MAX_BYTES, DEFAULT_MEMORY_MAX_BYTES } from '../agent/outbox/defaults.js';
import type { Logger } from '../log.js';
import type { BridgeOptions } from '../server/options.js';
import type { RemoteWriteOptions } from '../server/remote-write/remote-write-options.js';
import { VERSION } from '../version.js';
import { ConfigError, loadConfig } from './load-config.js';
import type { SettingValues } from './settings.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ReloadingTlsFiles, TlsFileError } from '../net/tls-files.js';
import { lazyCrypto } from '../lazy-builtins.js';

/**
 * FLEETPULSE_TOKEN, else the first line of FLEETPULSE_TOKEN_FILE. The bridge creates a missing
 * file with a random token, so a Compose stack has agent authentication with no setup at all.
 */
function sharedToken(v: SettingValues, createIfMissing = false): string | undefined {
  if (v.token !== undefined || v.tokenFile === undefined) return v.token;
  if (createIfMissing && !existsSync(v.tokenFile)) {
    try {
      writeFileSync(v.tokenFile, `${lazyCrypto().randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new ConfigError(`FLEETPULSE_TOKEN_FILE=${v.tokenFile} does not exist and cannot be created: ${(err as Error).message}`);
    }
  }
  let text: string;
  try {
    text = readFileSync(v.tokenFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`FLEETPULSE_TOKEN_FILE=${v.tokenFile} cannot be read: ${(err as Error).message}`);
  }
  const token = text.split('\n')[0]!.trim();
  if (token === '') throw new ConfigError(`FLEETPULSE_TOKEN_FILE=${v.tokenFile} is empty; put the token on its first line`);
  return token;
}

function bridgeTls(v: SettingValues): BridgeOptions['agentTls'] {
  if (v.tlsCert === undefined && v.tlsKey === undefined) {
    if (v.tlsClientCa !== undefined) throw new ConfigError('FLEETPULSE_TLS_CLIENT_CA needs FLEETPULSE_TLS_CERT and FLEETPULSE_TLS_KEY: client certificates are checked in TLS');
    return undefined;
  }
  if (v.tlsCert === undefined || v.tlsKey === undefined) throw new ConfigError(`FLEETPULSE_TLS_${v.tlsCert === undefined ? 'CERT' : 'KEY'} is unset; set both FLEETPULSE_TLS_CERT and FLEETPULSE_TLS_KEY (fleetpulse certs bridge makes them)`);
  return { cert: v.tlsCert, key: v.tlsKey, clientCa: v.tlsClientCa };
}

function agentTls(v: SettingValues, log: Logger): ConnectionOptions['tls'] {
  const wanted = v.tls ?? (v.tlsCa !== undefined || v.tlsCert !== undefined);
  if (!wanted) {
    if (v.tlsCa !== undefined || v.tlsCert !== undefined) throw new ConfigError('FLEETPULSE_TLS=off but FLEETPULSE_TLS_CA or FLEETPULSE_TLS_CERT is set; remove one or the other');
    return undefined;
  }
  if ((v.tlsCert === undefined) !== (v.tlsKey === undefined)) throw new ConfigError(`FLEETPULSE_TLS_${v.tlsCert === undefined ? 'CERT' : 'KEY'} is unset; a client certificate needs both FLEETPULSE_TLS_CERT and FLEETPULSE_TLS_KEY (fleetpulse certs agent <id> makes them)`);
  try {
    const files = new ReloadingTlsFiles(
      {
        ca: v.tlsCa === undefined ? undefined : { path: v.tlsCa, setting: 'FLEETPULSE_TLS_CA' },
        cert: v.tlsCert === undefined ? undefined : { path: v.tlsCert, setting: 'FLEETPULSE_TLS_CERT' },
        key: v.tlsKey === undefined ? undefined : { path: v.tlsKey, setting: 'FLEETPULSE_TLS_KEY' },
      },
      {
        reloaded: () => log.info('TLS files changed; the next connection uses them'),
        failed: (err) => log.error('TLS files changed but cannot be used; keeping the previous ones', { error: err.message }),
      },
    );
    return { files, serverName: v.tlsServerName };
  } catch (err) {
    if (err instanceof TlsFileError) throw new ConfigError(err.message);
    throw err;
  }
}

function remoteWriteOptions(v: SettingValues): RemoteWriteOptions | undefined {
  if (v.remoteWriteUrl === undefined) return undefined;
  if (v.remoteWritePasswordFile !== undefined && v.remoteWriteUsername === undefined) throw new ConfigError('FLEETPULSE_REMOTE_WRITE_PASSWORD_FILE is set without FLEETPULSE_REMOTE_WRITE_USERNAME; set the user name too');
  if (v.remoteWriteUsername !== undefined && v.remoteWriteBearerTokenFile !== undefined) throw new ConfigError('FLEETPULSE_REMOTE_WRITE_USERNAME and FLEETPULSE_REMOTE_WRITE_BEARER_TOKEN_FILE are both set; a receiver takes one kind of credentials, keep one');
  for (const [setting, path] of [['FLEETPULSE_REMOTE_WRITE_PASSWORD_FILE', v.remoteWritePasswordFile], ['FLEETPULSE_REMOTE_WRITE_BEARER_TOKEN_FILE', v.remoteWriteBearerTokenFile], ['FLEETPULSE_REMOTE_WRITE_TLS_CA', v.remoteWriteTlsCa]] as const) {
    if (path === undefined) continue;
    try {
      readFileSync(path);
    } catch (err) {
      throw new ConfigError(`${setting}=${path} cannot be read: ${(err as Error).message}`);
    }
  }
  const retryMinMs = v.remoteWriteRetryMin!;
  const retryMaxMs = v.remoteWriteRetryMax!;
  if (retryMinMs > retryMaxMs) throw new ConfigError(`FLEETPULSE_REMOTE_WRITE_RETRY_MIN (${retryMinMs} ms) is larger than FLEETPULSE_REMOTE_WRITE_RETRY_MAX (${retryMaxMs} ms); make the minimum the smaller one`);
  return {
    urls: v.remoteWriteUrl,
    username: v.remoteWriteUsername,
    passwordFile: v.remoteWritePasswordFile,
    bearerTokenFile: v.remoteWriteBearerTokenFile,
    headers: v.remoteWriteHeaders ?? {},
    tlsCaFile: v.remoteWriteTlsCa,
    insecureSkipVerify: v.remoteWriteInsecureSkipVerify,
    timeoutMs: v.remoteWriteTimeout!,
    queueBytes: v.remoteWriteQueueBytes!,
    flushIntervalMs: v.remoteWriteFlushInterval!,
    maxSamplesPerRequest: v.remoteWriteMaxSamplesPerRequest!,
    concurrency: v.remoteWriteConcurrency!,
    retryMinMs,
    retryMaxMs,
    job: v.remoteWriteJob!,
    externalLabels: v.remoteWriteExternalLabels ?? {},
    flushTimeoutMs: v.remoteWriteFlushTimeout!,
  };
}

/** Turns resolved settings into what the bridge needs. */
export function bridgeOptions(v: SettingValues, log: Logger): BridgeOptions {
  return {
    bindHost: v.bind!,
    ingestPort: v.ingestPort!,
    httpPort: v.httpPort!,
    token: sharedToken(v, true),
    agentTls: bridgeTls(v),
    agentTokensFile: v.agentTokensFile,
    insecure: v.insecure,
    webConfig: v.webConfig,
    httpAllowedHosts: v.httpAllowedHosts,
    httpMaxConnections: v.httpMaxConnections,
    maxLineBytes: v.maxLineBytes!,
    maxConnections: v.maxConnections!,
    maxHandshakes: v.maxHandshakes!,
    maxHandshakesPerSource: v.maxHandshakesPerSource!,
    authFailuresPerMinute: v.authFailuresPerMinute!,
    maxSeriesPerAgent: v.maxSeriesPerAgent!,
    maxSeries: v.maxSeries!,
    maxBytesPerAgent: v.maxBytesPerAgent!,
    maxMetricNameBytes: v.maxMetricNameBytes!,
    maxLabelNameBytes: v.maxLabelNameBytes!,
    maxLabelValueBytes: v.maxLabelValueBytes!,
    maxBatchAgeMs: v.maxBatchAge!,
    remoteWrite: remoteWriteOptions(v),
    maxStaticLabelBytes: v.maxStaticLabelBytes!,
    maxAgents: v.maxAgents!,
    maxGraceMs: v.maxGracePeriod!,
    probeNetworks: v.probeNetworks ?? [],
    helloTimeoutMs: v.helloTimeout!,
    heartbeatMs: v.heartbeat!,
    graceMs: v.gracePeriod,
    forgetMs: v.forgetAfter!,
    departedForgetMs: v.forgetDepartedAfter!,
    prometheusUrl: v.prometheusUrl,
    grafanaUrl: v.grafanaUrl,
    dataDir: v.dataDir,
    adminToken: v.adminToken,
    log,
  };
}

/**
 * The bridge as `fleetpulse server` starts with no setting given: the settings table's defaults,
 * for tests and benchmarks that need the shipped limits rather than a copy of them.
 */
export function defaultBridgeOptions(log: Logger): BridgeOptions {
  return bridgeOptions(loadConfig('server', [], {}, {}).values, log);
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
    collectorOptions: { netstatFields: v.netstatFields, vmstatFields: v.vmstatFields },
    textfileDir: v.textfileDir,
    statusFile: v.statusFile ?? statusFilePath(v.agentId!),
    probes: v.probes ? { bind: v.probeBind!, port: v.probePort!, advertise: v.probeAddress } : undefined,
    outbox: {
      dir: v.bufferDir,
      maxBytes: v.bufferMaxBytes ?? (v.bufferDir === undefined ? DEFAULT_MEMORY_MAX_BYTES : DEFAULT_DISK_MAX_BYTES),
      maxAgeMs: v.bufferMaxAge!,
      replay: { perSecond: v.bufferReplayRate!, maxInFlight: v.bufferMaxInFlight! },
    },
    log,
    connection: {
      bridges: server,
      agentId: v.agentId!,
      agentVersion: VERSION,
      labels: v.labels ?? {},
      token: sharedToken(v),
      tls: agentTls(v, log),
      intervalMs,
      backoff,
      handshakeTimeoutMs: 10_000,
      log,
    },
  };
}
