import { hostname } from 'node:os';
import { LOG_LEVELS } from '../log.js';
import { AGENT_ID_RE } from '../protocol/names.js';
import {
  ConfigValueError,
  byteSizeBetween,
  durationBetween,
  listOf,
  nonEmpty,
  oneOf,
  parseBearerToken,
  parseCidrList,
  parseHost,
  parseHostOptionalPort,
  parseHeaders,
  parseHostPortList,
  parseHttpUrl,
  parseIpAddress,
  parseLabels,
  parseOnOff,
  parsePort,
  parseRegExp,
  parseRemoteWriteUrls,
  positiveInteger,
} from './value-parsers.js';

export type Command = 'server' | 'agent' | 'demo';

/** A measurement task takes at most 20 members (src/server/tasks/task.ts). */
const MAX_DEMO_AGENTS = 20;

/** Names of the agent's collectors; kept here so config does not load collector code. */
export const COLLECTOR_NAMES = [
  'cpu', 'loadavg', 'stat', 'meminfo', 'filesystem', 'diskstats', 'netdev', 'netclass', 'uname', 'time', 'timex', 'process',
  'netstat', 'sockstat', 'vmstat', 'pressure', 'softnet', 'filefd', 'entropy', 'conntrack', 'arp', 'udp_queues',
  'processes', 'os', 'powersupplyclass',
  'hwmon', 'thermal_zone',
] as const;

/**
 * Collectors node_exporter leaves off by default on Linux, and so do we: on only when
 * FLEETPULSE_COLLECTORS names them (node_exporter: --collector.processes).
 */
export const OPT_IN_COLLECTORS: readonly (typeof COLLECTOR_NAMES)[number][] = ['processes'];

/** What runs when FLEETPULSE_COLLECTORS is unset, and what `default` in it stands for. */
export const DEFAULT_COLLECTORS = COLLECTOR_NAMES.filter((name) => !OPT_IN_COLLECTORS.includes(name));

export interface Setting<T = unknown> {
  env: string;
  flag: string;
  commands: readonly Command[];
  /** Shown in --help and .env.example. */
  description: string;
  /** The default as a user would write it (parsed like any other value); undefined = unset. A function may depend on the command. */
  default: string | ((command: Command) => string) | undefined;
  parse(raw: string): T;
}

function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

const BRIDGE: Command[] = ['server', 'demo'];
const AGENT: Command[] = ['agent', 'demo'];
const ALL: Command[] = ['server', 'agent', 'demo'];
/** Not the demo: its agent and bridge talk over loopback in one process. */
const TLS: Command[] = ['server', 'agent'];

/** The demo runs with a working admin token: it listens on loopback unless told otherwise. */
function loopbackForDemo(otherwise: string): (command: Command) => string {
  return (command) => (command === 'demo' ? '127.0.0.1' : otherwise);
}

// One table of every setting. Precedence: flag > environment > .env file > default.
export const SETTINGS = {
  logLevel: setting({ env: 'FLEETPULSE_LOG_LEVEL', flag: 'log-level', commands: ALL, default: 'info', description: 'Log verbosity: error, warn, info or debug', parse: oneOf(LOG_LEVELS) }),
  token: setting({ env: 'FLEETPULSE_TOKEN', flag: 'token', commands: ALL, default: undefined, description: 'Shared secret. On the bridge: agents must present it. On the agent: sent in hello.', parse: nonEmpty }),
  tokenFile: setting({ env: 'FLEETPULSE_TOKEN_FILE', flag: 'token-file', commands: ALL, default: undefined, description: 'File whose first line is the shared secret (Docker and Kubernetes secrets); the bridge creates it with a random token when missing; FLEETPULSE_TOKEN wins when both are set', parse: nonEmpty }),
  tlsCert: setting({ env: 'FLEETPULSE_TLS_CERT', flag: 'tls-cert', commands: TLS, default: undefined, description: 'PEM certificate. On the bridge: the agent port then speaks TLS only. On the agent: its client certificate for mutual TLS (turns TLS on). Re-read when the file changes', parse: nonEmpty }),
  tlsKey: setting({ env: 'FLEETPULSE_TLS_KEY', flag: 'tls-key', commands: TLS, default: undefined, description: 'PEM private key of FLEETPULSE_TLS_CERT', parse: nonEmpty }),

  bind: setting({ env: 'FLEETPULSE_BIND', flag: 'bind', commands: BRIDGE, default: loopbackForDemo('::'), description: 'Address the bridge listens on (both ports); default :: (every IPv4 and IPv6 address, falling back to 0.0.0.0 where IPv6 is unavailable), for the demo 127.0.0.1', parse: parseHost }),
  ingestPort: setting({ env: 'FLEETPULSE_INGEST_PORT', flag: 'ingest-port', commands: BRIDGE, default: '9700', description: 'TCP port agents connect to', parse: parsePort }),
  httpPort: setting({ env: 'FLEETPULSE_HTTP_PORT', flag: 'http-port', commands: BRIDGE, default: '9701', description: 'HTTP port for the web console, /metrics, /api/*, /healthz, /readyz', parse: parsePort }),
  maxLineBytes: setting({ env: 'FLEETPULSE_MAX_LINE_BYTES', flag: 'max-line-bytes', commands: BRIDGE, default: '1MiB', description: 'Largest protocol line accepted from an agent', parse: byteSizeBetween(1024, 64 * 1024 ** 2) }),
  maxConnections: setting({ env: 'FLEETPULSE_MAX_CONNECTIONS', flag: 'max-connections', commands: BRIDGE, default: '10000', description: 'Agents connected at once (after their hello); more are refused with FP_TOO_MANY_CONNECTIONS', parse: positiveInteger(1_000_000) }),
  maxHandshakes: setting({ env: 'FLEETPULSE_MAX_HANDSHAKES', flag: 'max-handshakes', commands: BRIDGE, default: '256', description: 'Connections waiting for their hello at once, apart from connected agents; more are refused with FP_TOO_MANY_HANDSHAKES', parse: positiveInteger(1_000_000) }),
  maxHandshakesPerSource: setting({ env: 'FLEETPULSE_MAX_HANDSHAKES_PER_SOURCE', flag: 'max-handshakes-per-source', commands: BRIDGE, default: '32', description: 'Connections waiting for their hello from one address (IPv6: one /64); more are refused with FP_TOO_MANY_HANDSHAKES', parse: positiveInteger(1_000_000) }),
  authFailuresPerMinute: setting({ env: 'FLEETPULSE_AUTH_FAILURES_PER_MINUTE', flag: 'auth-failures-per-minute', commands: BRIDGE, default: '10', description: 'Failed authentications one address (IPv6: one /64) may have per minute; then it is refused with FP_AUTH_RATE_LIMITED until the minute is over', parse: positiveInteger(1_000_000) }),
  maxSeriesPerAgent: setting({ env: 'FLEETPULSE_MAX_SERIES_PER_AGENT', flag: 'max-series-per-agent', commands: BRIDGE, default: '10000', description: 'Series one agent may send; larger batches are refused with FP_SERIES_LIMIT', parse: positiveInteger(10_000_000) }),
  maxSeries: setting({ env: 'FLEETPULSE_MAX_SERIES', flag: 'max-series', commands: BRIDGE, default: '5000000', description: 'Series of all agents together; a batch that would pass it is refused with FP_FLEET_SERIES_LIMIT', parse: positiveInteger(1_000_000_000) }),
  maxBytesPerAgent: setting({ env: 'FLEETPULSE_MAX_BYTES_PER_AGENT', flag: 'max-bytes-per-agent', commands: BRIDGE, default: '8MiB', description: 'Exposition text one agent\'s batch may render to (its labels repeat on every line); larger batches are refused with FP_AGENT_BYTES_LIMIT', parse: byteSizeBetween(64 * 1024, 1024 ** 3) }),
  maxMetricNameBytes: setting({ env: 'FLEETPULSE_MAX_METRIC_NAME_BYTES', flag: 'max-metric-name-bytes', commands: BRIDGE, default: '256', description: 'Longest metric name an agent may send; longer families are refused with FP_METRIC_NAME_TOO_LONG', parse: positiveInteger(65_536) }),
  maxLabelNameBytes: setting({ env: 'FLEETPULSE_MAX_LABEL_NAME_BYTES', flag: 'max-label-name-bytes', commands: BRIDGE, default: '128', description: 'Longest sample label name; longer families are refused with FP_LABEL_TOO_LONG', parse: positiveInteger(65_536) }),
  maxLabelValueBytes: setting({ env: 'FLEETPULSE_MAX_LABEL_VALUE_BYTES', flag: 'max-label-value-bytes', commands: BRIDGE, default: '4096', description: 'Longest sample label value in bytes; longer families are refused with FP_LABEL_TOO_LONG', parse: positiveInteger(1024 ** 2) }),
  maxStaticLabelBytes: setting({ env: 'FLEETPULSE_MAX_STATIC_LABEL_BYTES', flag: 'max-static-label-bytes', commands: BRIDGE, default: '4096', description: 'Names and values of one agent\'s static labels together (they repeat on every line); a larger hello is refused with FP_BAD_LABELS', parse: positiveInteger(16 * 1024) }),
  maxAgents: setting({ env: 'FLEETPULSE_MAX_AGENTS', flag: 'max-agents', commands: BRIDGE, default: '20000', description: 'Agents the bridge knows, connected or listed as down; a hello under a new id beyond it is refused with FP_TOO_MANY_AGENTS', parse: positiveInteger(10_000_000) }),
  maxGracePeriod: setting({ env: 'FLEETPULSE_MAX_GRACE_PERIOD', flag: 'max-grace-period', commands: BRIDGE, default: '5m', description: 'Cap of the default grace period (3 of the agent\'s intervals), whatever interval an agent claims', parse: durationBetween(0, 86_400_000, 'use 0s to 24h') }),
  probeNetworks: setting({ env: 'FLEETPULSE_PROBE_NETWORKS', flag: 'probe-networks', commands: BRIDGE, default: '', description: 'CIDRs (comma-separated) whose addresses peers may dial for measurement tasks even when an agent merely advertises them, or when they are loopback, link-local or multicast (e.g. 127.0.0.0/8 to measure between agents on one host); otherwise peers dial the address the bridge sees', parse: parseCidrList }),
  helloTimeout: setting({ env: 'FLEETPULSE_HELLO_TIMEOUT', flag: 'hello-timeout', commands: BRIDGE, default: '10s', description: 'Time a new connection has to send hello', parse: durationBetween(100, 600_000, 'use 100ms to 10m') }),
  heartbeat: setting({ env: 'FLEETPULSE_HEARTBEAT', flag: 'heartbeat', commands: BRIDGE, default: '5s', description: 'Ping period both ways; 3 silent periods close a connection', parse: durationBetween(100, 300_000, 'use 100ms to 5m') }),
  gracePeriod: setting({ env: 'FLEETPULSE_GRACE_PERIOD', flag: 'grace-period', commands: BRIDGE, default: undefined, description: 'How long a lost agent\'s series stay before removal (default: 3 of the agent\'s intervals)', parse: durationBetween(0, 86_400_000, 'use 0s to 24h') }),
  dataDir: setting({ env: 'FLEETPULSE_DATA_DIR', flag: 'data-dir', commands: BRIDGE, default: './fleetpulse-data', description: 'Where the bridge keeps its state: one file per measurement task in <dir>/tasks, the agents it knows (to report down ones after a restart) in <dir>/agents.json', parse: nonEmpty }),
  adminToken: setting({ env: 'FLEETPULSE_ADMIN_TOKEN', flag: 'admin-token', commands: BRIDGE, default: undefined, description: 'Bearer token for creating and deleting measurement tasks (/api/tasks); unset: task changes are disabled (demo: generated and printed)', parse: parseBearerToken }),
  tlsClientCa: setting({ env: 'FLEETPULSE_TLS_CLIENT_CA', flag: 'tls-client-ca', commands: ['server'], default: undefined, description: 'PEM CA bundle: agents must present a certificate it signed, whose Common Name or a DNS name is their agent id (needs FLEETPULSE_TLS_CERT)', parse: nonEmpty }),
  agentTokensFile: setting({ env: 'FLEETPULSE_AGENT_TOKENS_FILE', flag: 'agent-tokens-file', commands: BRIDGE, default: undefined, description: 'Per-agent tokens: lines of "<agent id or pattern> sha256:<hash>" (fleetpulse certs token <id>); re-read when it changes', parse: nonEmpty }),
  insecure: setting({ env: 'FLEETPULSE_INSECURE', flag: 'insecure', commands: BRIDGE, default: 'false', description: 'Without any agent authentication the bridge accepts agents only from loopback and private addresses (protected mode); true accepts any address', parse: parseOnOff }),
  webConfig: setting({ env: 'FLEETPULSE_WEB_CONFIG', flag: 'web-config', commands: BRIDGE, default: undefined, description: 'exporter-toolkit web-config file (tls_server_config, basic_auth_users with bcrypt hashes), as node_exporter\'s --web.config.file: with TLS in it the HTTP port serves HTTPS only; re-read when it changes', parse: nonEmpty }),
  httpAllowedHosts: setting({ env: 'FLEETPULSE_HTTP_ALLOWED_HOSTS', flag: 'http-allowed-hosts', commands: BRIDGE, default: undefined, description: 'Host names the HTTP side answers to, comma-separated (others get 421; guards against DNS rebinding); unset: any', parse: parseHostList }),
  httpMaxConnections: setting({ env: 'FLEETPULSE_HTTP_MAX_CONNECTIONS', flag: 'http-max-connections', commands: BRIDGE, default: '256', description: 'HTTP connections accepted at once; more are dropped (headers must arrive within 10s)', parse: positiveInteger(100_000) }),
  forgetAfter: setting({ env: 'FLEETPULSE_FORGET_AFTER', flag: 'forget-after', commands: BRIDGE, default: '24h', description: 'How long a lost agent (connection lost, no goodbye) stays listed as down, with fleetpulse_agent_up 0', parse: durationBetween(0, 365 * 86_400_000, 'use 0s to 365d') }),
  forgetDepartedAfter: setting({ env: 'FLEETPULSE_FORGET_DEPARTED_AFTER', flag: 'forget-departed-after', commands: BRIDGE, default: '24h', description: 'How long an agent that said goodbye (a deliberate stop) stays listed as departed, with fleetpulse_agent_state{state="departed"} 1; 0s forgets it when its series go', parse: durationBetween(0, 365 * 86_400_000, 'use 0s to 365d') }),
  prometheusUrl: setting({ env: 'FLEETPULSE_PROMETHEUS_URL', flag: 'prometheus-url', commands: BRIDGE, default: undefined, description: 'Prometheus as the operator\'s browser reaches it; the web console links to it when set', parse: parseHttpUrl }),
  grafanaUrl: setting({ env: 'FLEETPULSE_GRAFANA_URL', flag: 'grafana-url', commands: BRIDGE, default: undefined, description: 'Grafana as the operator\'s browser reaches it; the web console links to its fleetpulse dashboards when set', parse: parseHttpUrl }),
  maxBatchAge: setting({ env: 'FLEETPULSE_MAX_BATCH_AGE', flag: 'max-batch-age', commands: BRIDGE, default: '24h', description: 'Batches whose timestamp_ms is older than this (agents replaying an outbox) are refused with FP_BAD_TIMESTAMP; batches more than 10m ahead of the bridge\'s clock always are', parse: durationBetween(60_000, 365 * 86_400_000, 'use 1m to 365d') }),
  remoteWriteUrl: setting({ env: 'FLEETPULSE_REMOTE_WRITE_URL', flag: 'remote-write-url', commands: BRIDGE, default: undefined, description: 'Prometheus remote_write 1.0 endpoints, comma-separated (e.g. http://victoria-metrics:8428/api/v1/write): every agent batch is sent to each with the agent\'s timestamps, and acked to the agent only once all have it (docs/remote-write.md); unset: off', parse: parseRemoteWriteUrls }),
  remoteWriteUsername: setting({ env: 'FLEETPULSE_REMOTE_WRITE_USERNAME', flag: 'remote-write-username', commands: BRIDGE, default: undefined, description: 'Basic auth user name for the remote_write endpoints', parse: nonEmpty }),
  remoteWritePasswordFile: setting({ env: 'FLEETPULSE_REMOTE_WRITE_PASSWORD_FILE', flag: 'remote-write-password-file', commands: BRIDGE, default: undefined, description: 'File whose first line is the basic auth password (read at each request, so a rotated one is used at once)', parse: nonEmpty }),
  remoteWriteBearerTokenFile: setting({ env: 'FLEETPULSE_REMOTE_WRITE_BEARER_TOKEN_FILE', flag: 'remote-write-bearer-token-file', commands: BRIDGE, default: undefined, description: 'File whose first line is a bearer token for the remote_write endpoints (read at each request)', parse: nonEmpty }),
  remoteWriteHeaders: setting({ env: 'FLEETPULSE_REMOTE_WRITE_HEADERS', flag: 'remote-write-headers', commands: BRIDGE, default: '', description: 'Extra HTTP headers Name=value,Name=value sent with every remote_write request (e.g. X-Scope-OrgID=team-a for a Mimir or Cortex tenant, THANOS-TENANT for Thanos Receive)', parse: parseHeaders }),
  remoteWriteTlsCa: setting({ env: 'FLEETPULSE_REMOTE_WRITE_TLS_CA', flag: 'remote-write-tls-ca', commands: BRIDGE, default: undefined, description: 'PEM CA bundle the remote_write endpoints\' certificates must be signed by (default: the system CAs)', parse: nonEmpty }),
  remoteWriteInsecureSkipVerify: setting({ env: 'FLEETPULSE_REMOTE_WRITE_INSECURE_SKIP_VERIFY', flag: 'remote-write-insecure-skip-verify', commands: BRIDGE, default: 'false', description: 'Accept any certificate from the remote_write endpoints (testing only)', parse: parseOnOff }),
  remoteWriteTimeout: setting({ env: 'FLEETPULSE_REMOTE_WRITE_TIMEOUT', flag: 'remote-write-timeout', commands: BRIDGE, default: '30s', description: 'Deadline of one remote_write request; then it is retried', parse: durationBetween(100, 600_000, 'use 100ms to 10m') }),
  remoteWriteQueueBytes: setting({ env: 'FLEETPULSE_REMOTE_WRITE_QUEUE_BYTES', flag: 'remote-write-queue-bytes', commands: BRIDGE, default: '64MiB', description: 'Encoded samples held per remote_write endpoint; when full, batches get FP_RETRY_LATER and their agents keep them', parse: byteSizeBetween(64 * 1024, 16 * 1024 ** 3) }),
  remoteWriteFlushInterval: setting({ env: 'FLEETPULSE_REMOTE_WRITE_FLUSH_INTERVAL', flag: 'remote-write-flush-interval', commands: BRIDGE, default: '1s', description: 'How long an agent batch may wait for others to share its remote_write request (as vmagent\'s -remoteWrite.flushInterval): fewer, larger requests cost the bridge and the receiver less CPU; 0s sends as soon as a request slot is free', parse: durationBetween(0, 60_000, 'use 0s to 1m') }),
  remoteWriteMaxSamplesPerRequest: setting({ env: 'FLEETPULSE_REMOTE_WRITE_MAX_SAMPLES_PER_REQUEST', flag: 'remote-write-max-samples-per-request', commands: BRIDGE, default: '10000', description: 'Samples in one remote_write request (vmagent\'s -remoteWrite.maxRowsPerBlock; Prometheus\' max_samples_per_send is 2000); a request is sent once it holds this many, before the flush interval', parse: positiveInteger(1_000_000) }),
  remoteWriteConcurrency: setting({ env: 'FLEETPULSE_REMOTE_WRITE_CONCURRENCY', flag: 'remote-write-concurrency', commands: BRIDGE, default: '2', description: 'remote_write requests in flight at once per endpoint (Prometheus\' shards); each agent\'s batches stay on one, in order', parse: positiveInteger(64) }),
  remoteWriteRetryMin: setting({ env: 'FLEETPULSE_REMOTE_WRITE_RETRY_MIN', flag: 'remote-write-retry-min', commands: BRIDGE, default: '250ms', description: 'Backoff ceiling of the first retry of a failed remote_write request (network error, 5xx, 429; doubles per retry, full jitter)', parse: durationBetween(10, 600_000, 'use 10ms to 10m') }),
  remoteWriteRetryMax: setting({ env: 'FLEETPULSE_REMOTE_WRITE_RETRY_MAX', flag: 'remote-write-retry-max', commands: BRIDGE, default: '10s', description: 'Longest wait between retries of a remote_write request (retries go on until the receiver takes it)', parse: durationBetween(10, 3_600_000, 'use 10ms to 1h') }),
  remoteWriteJob: setting({ env: 'FLEETPULSE_REMOTE_WRITE_JOB', flag: 'remote-write-job', commands: BRIDGE, default: 'fleetpulse', description: 'The job label of every series sent: the job_name of the Prometheus scrape of the bridge, so both paths give the same series', parse: nonEmpty }),
  remoteWriteExternalLabels: setting({ env: 'FLEETPULSE_REMOTE_WRITE_EXTERNAL_LABELS', flag: 'remote-write-external-labels', commands: BRIDGE, default: '', description: 'Labels k=v,k=v added to every series sent unless it has them (as Prometheus\' external_labels); give all bridges the same, or an agent moving between them splits its series', parse: parseLabels }),
  remoteWriteFlushTimeout: setting({ env: 'FLEETPULSE_REMOTE_WRITE_FLUSH_TIMEOUT', flag: 'remote-write-flush-timeout', commands: BRIDGE, default: '5s', description: 'On shutdown, how long the bridge waits for the remote_write queues to empty; what is left stays with the agents, unacked', parse: durationBetween(0, 600_000, 'use 0s to 10m') }),

  tls: setting({ env: 'FLEETPULSE_TLS', flag: 'tls', commands: ['agent'], default: undefined, description: 'Connect to the bridge over TLS: on, off (default: on when FLEETPULSE_TLS_CA or FLEETPULSE_TLS_CERT is set; on with only system CAs)', parse: parseOnOff }),
  tlsCa: setting({ env: 'FLEETPULSE_TLS_CA', flag: 'tls-ca', commands: ['agent'], default: undefined, description: 'PEM CA bundle the bridge certificate must be signed by (instead of the system CAs); turns TLS on', parse: nonEmpty }),
  tlsServerName: setting({ env: 'FLEETPULSE_TLS_SERVER_NAME', flag: 'tls-server-name', commands: ['agent'], default: undefined, description: 'Name the bridge certificate must carry (default: the host of FLEETPULSE_SERVER)', parse: nonEmpty }),
  server: setting({ env: 'FLEETPULSE_SERVER', flag: 'server', commands: ['agent'], default: 'localhost:9700', description: 'Bridge address host:port the agent connects to; several, comma-separated: it stays on one and moves to the next when a connection fails (docs/deploy.md)', parse: parseHostPortList }),
  agentId: setting({ env: 'FLEETPULSE_AGENT_ID', flag: 'agent-id', commands: AGENT, default: () => hostname(), description: 'This agent\'s identity, exposed as instance="<id>" (default: the hostname)', parse: (raw: string) => parseAgentId(raw) }),
  labels: setting({ env: 'FLEETPULSE_LABELS', flag: 'labels', commands: AGENT, default: '', description: 'Static labels on all of this agent\'s series, k=v,k=v', parse: parseLabels }),
  interval: setting({ env: 'FLEETPULSE_INTERVAL', flag: 'interval', commands: AGENT, default: '5s', description: 'Collection and push period', parse: durationBetween(100, 3_600_000, 'use 100ms to 1h') }),
  collectorTimeout: setting({ env: 'FLEETPULSE_COLLECTOR_TIMEOUT', flag: 'collector-timeout', commands: AGENT, default: undefined, description: 'Time each collector may take before it counts as failed (default: 80% of the interval, at most 10s)', parse: durationBetween(10, 600_000, 'use 10ms to 10m') }),
  collectors: setting({ env: 'FLEETPULSE_COLLECTORS', flag: 'collectors', commands: AGENT, default: DEFAULT_COLLECTORS.join(','), description: `Host collectors to run, comma-separated; "default" stands for node_exporter's Linux defaults, so "default,processes" adds the opt-in ${OPT_IN_COLLECTORS.join(', ')} (the probe responder's counters come with FLEETPULSE_PROBES)`, parse: listOf(COLLECTOR_NAMES, { default: DEFAULT_COLLECTORS }) }),
  netstatFields: setting({ env: 'FLEETPULSE_NETSTAT_FIELDS', flag: 'netstat-fields', commands: AGENT, default: undefined, description: 'Regular expression of "<Protocol>_<Field>" names the netstat collector sends, as node_exporter\'s --collector.netstat.fields (default: its default, in docs/collectors.md)', parse: parseRegExp }),
  vmstatFields: setting({ env: 'FLEETPULSE_VMSTAT_FIELDS', flag: 'vmstat-fields', commands: AGENT, default: undefined, description: 'Regular expression of /proc/vmstat fields the vmstat collector sends, as node_exporter\'s --collector.vmstat.fields (default: ^(oom_kill|pgpg|pswp|pg.*fault).*)', parse: parseRegExp }),
  textfileDir: setting({ env: 'FLEETPULSE_TEXTFILE_DIR', flag: 'textfile-dir', commands: AGENT, default: undefined, description: 'Directory of *.prom files (Prometheus text format) sent with every batch, as node_exporter\'s textfile collector; unset: none', parse: nonEmpty }),
  probes: setting({ env: 'FLEETPULSE_PROBES', flag: 'probes', commands: AGENT, default: 'on', description: 'Run the probe responder and take part in measurement tasks: on or off', parse: parseOnOff }),
  probePort: setting({ env: 'FLEETPULSE_PROBE_PORT', flag: 'probe-port', commands: AGENT, default: '9702', description: 'UDP and TCP port of the probe responder that peers measure against', parse: parsePort }),
  probeBind: setting({ env: 'FLEETPULSE_PROBE_BIND', flag: 'probe-bind', commands: AGENT, default: loopbackForDemo('::'), description: 'Address the probe responder binds; default :: (falling back to 0.0.0.0 where IPv6 is unavailable), for the demo 127.0.0.1', parse: parseIpAddress }),
  probeAddress: setting({ env: 'FLEETPULSE_PROBE_ADDRESS', flag: 'probe-address', commands: AGENT, default: undefined, description: 'Host or host:port peers use to reach the probe responder (default: the local address of the connection to the bridge, and the probe port)', parse: parseHostOptionalPort }),
  reconnectMin: setting({ env: 'FLEETPULSE_RECONNECT_MIN', flag: 'reconnect-min', commands: AGENT, default: '500ms', description: 'Backoff ceiling of the first reconnect attempt (doubles per attempt, full jitter)', parse: durationBetween(10, 600_000, 'use 10ms to 10m') }),
  reconnectMax: setting({ env: 'FLEETPULSE_RECONNECT_MAX', flag: 'reconnect-max', commands: AGENT, default: '30s', description: 'Longest wait between reconnect attempts', parse: durationBetween(10, 3_600_000, 'use 10ms to 1h') }),
  bufferDir: setting({ env: 'FLEETPULSE_BUFFER_DIR', flag: 'buffer-dir', commands: ['agent'], default: undefined, description: 'Directory where batches wait for the bridge\'s ack, so they survive an agent restart (in its subdirectory <dir>/<agent id>); unset: in memory', parse: nonEmpty }),
  bufferMaxBytes: setting({ env: 'FLEETPULSE_BUFFER_MAX_BYTES', flag: 'buffer-max-bytes', commands: AGENT, default: undefined, description: 'Bytes the waiting batches may take (compressed); beyond it the oldest are dropped and counted (default 4MiB in memory, 40 minutes of a typical host at 5s; 256MiB with FLEETPULSE_BUFFER_DIR)', parse: byteSizeBetween(64 * 1024, 64 * 1024 ** 3) }),
  bufferMaxAge: setting({ env: 'FLEETPULSE_BUFFER_MAX_AGE', flag: 'buffer-max-age', commands: AGENT, default: '6h', description: 'Batches older than this are dropped from the outbox and counted', parse: durationBetween(60_000, 30 * 86_400_000, 'use 1m to 30d') }),
  bufferReplayRate: setting({ env: 'FLEETPULSE_BUFFER_REPLAY_RATE', flag: 'buffer-replay-rate', commands: AGENT, default: '5', description: 'Waiting batches sent per second after a reconnect (the newest goes at once, fresh ones are never held back)', parse: positiveInteger(1000) }),
  bufferMaxInFlight: setting({ env: 'FLEETPULSE_BUFFER_MAX_IN_FLIGHT', flag: 'buffer-max-in-flight', commands: AGENT, default: '8', description: 'Batches sent and not yet acknowledged before the backlog waits for acks', parse: positiveInteger(1000) }),
  statusFile: setting({ env: 'FLEETPULSE_STATUS_FILE', flag: 'status-file', commands: ['agent'], default: undefined, description: 'Where the agent writes the status that `fleetpulse agent --check` reads (default: <tmpdir>/fleetpulse-agent-<id>.status.json)', parse: nonEmpty }),
  demoAgents: setting({ env: 'FLEETPULSE_DEMO_AGENTS', flag: 'agents', commands: ['demo'], default: '1', description: 'Agents the demo runs (ids <agent id>, <agent id>-2, ...; each its own responder port); with 2 or more it also creates a latency task between them', parse: positiveInteger(MAX_DEMO_AGENTS) }),
  hostProc: setting({ env: 'HOST_PROC', flag: 'path.procfs', commands: AGENT, default: '/proc', description: 'Where the host\'s /proc is mounted (e.g. /host/proc in a container)', parse: nonEmpty }),
  hostSys: setting({ env: 'HOST_SYS', flag: 'path.sysfs', commands: AGENT, default: '/sys', description: 'Where the host\'s /sys is mounted', parse: nonEmpty }),
  hostRoot: setting({ env: 'HOST_ROOT', flag: 'path.rootfs', commands: AGENT, default: '/', description: 'Where the host\'s / is mounted; filesystem mount points are reported relative to it', parse: nonEmpty }),
} as const;

function parseHostList(raw: string): string[] {
  const hosts = raw.split(',').map((h) => h.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')).filter(Boolean);
  if (hosts.length === 0 || hosts.some((h) => !/^[a-z0-9.:_-]{1,253}$/.test(h))) throw new ConfigValueError('is not a comma-separated list of host names (no ports), e.g. bridge.example.org,localhost');
  return hosts;
}

function parseAgentId(raw: string): string {
  const id = raw.trim();
  if (!AGENT_ID_RE.test(id)) {
    throw new ConfigValueError('is not a valid agent id; use 1-128 letters, digits, ".", "_", "-" or ":", starting with a letter or digit');
  }
  return id;
}

export type SettingKey = keyof typeof SETTINGS;
export type SettingValues = { [K in SettingKey]: ReturnType<(typeof SETTINGS)[K]['parse']> | undefined };
