// Every protocol error, with a stable code a user can search for. All are sent to the peer
// except FP_SLOW_CONSUMER, which is only logged and counted: that peer is not reading.
// docs/protocol.md lists the same table (a test keeps them in step).

export interface ProtocolErrorSpec {
  /** Stable identifier sent on the wire. */
  code: string;
  /** Short reason, used as the `reason` label of fleetpulse_bridge_frames_rejected_total. */
  reason: string;
  /** Whether the bridge closes the connection after sending it. */
  fatal: boolean;
  /** What the operator should do. */
  hint: string;
}

function spec(code: string, reason: string, fatal: boolean, hint: string): ProtocolErrorSpec {
  return { code, reason, fatal, hint };
}

export const ProtocolErrors = {
  BAD_JSON: spec('FP_BAD_JSON', 'bad_json', false, 'each line must be one JSON object encoded in UTF-8'),
  LINE_TOO_LONG: spec('FP_LINE_TOO_LONG', 'line_too_long', false, 'split the batch or raise the bridge max line size'),
  BAD_MESSAGE: spec('FP_BAD_MESSAGE', 'bad_message', false, 'the message does not match docs/protocol.md'),
  HELLO_REQUIRED: spec('FP_HELLO_REQUIRED', 'hello_required', true, 'send a hello message first'),
  HELLO_TIMEOUT: spec('FP_HELLO_TIMEOUT', 'hello_timeout', true, 'send a hello message right after connecting'),
  AUTH_FAILED: spec('FP_AUTH_FAILED', 'auth_failed', true, 'set FLEETPULSE_TOKEN on the agent to the bridge token, or to this agent\'s own token when the bridge has FLEETPULSE_AGENT_TOKENS_FILE'),
  TLS_REQUIRED: spec('FP_TLS_REQUIRED', 'tls_required', true, 'this bridge port speaks TLS only: set FLEETPULSE_TLS=on, or FLEETPULSE_TLS_CA to the CA of the bridge certificate, on the agent'),
  CLIENT_CERT: spec('FP_CLIENT_CERT', 'client_cert', true, 'set FLEETPULSE_TLS_CERT and FLEETPULSE_TLS_KEY on the agent to a certificate signed by the bridge\'s FLEETPULSE_TLS_CLIENT_CA (fleetpulse certs agent <id>)'),
  IDENTITY_MISMATCH: spec('FP_IDENTITY_MISMATCH', 'identity_mismatch', true, 'the agent id must be the Common Name or a DNS name of the agent\'s certificate: set FLEETPULSE_AGENT_ID to it, or issue a certificate for this id'),
  ID_IN_USE: spec('FP_ID_IN_USE', 'id_in_use', true, 'a connection that proved this agent id with stronger credentials holds it; present this agent\'s own token or certificate'),
  PROTECTED_MODE: spec('FP_PROTECTED_MODE', 'protected_mode', true, 'the bridge has no authentication configured and accepts agents only from loopback and private networks: set FLEETPULSE_TOKEN, FLEETPULSE_AGENT_TOKENS_FILE or FLEETPULSE_TLS_CLIENT_CA on the bridge, or FLEETPULSE_INSECURE=true to accept any address'),
  PROTOCOL_VERSION: spec('FP_PROTOCOL_VERSION', 'protocol_version', true, 'upgrade the agent or the bridge so they share a protocol version'),
  BAD_AGENT_ID: spec('FP_BAD_AGENT_ID', 'bad_agent_id', true, 'use 1-128 letters, digits, ".", "_", "-" or ":", starting with a letter or digit, for FLEETPULSE_AGENT_ID'),
  BAD_LABELS: spec('FP_BAD_LABELS', 'bad_labels', true, 'static labels must be valid Prometheus label names, not reserved, with short values'),
  INVALID_METRIC_NAME: spec('FP_INVALID_METRIC_NAME', 'invalid_metric_name', false, 'metric names must match [a-zA-Z_:][a-zA-Z0-9_:]* and not be up, scrape_* or fleetpulse_* (reserved)'),
  INVALID_LABEL: spec('FP_INVALID_LABEL', 'invalid_label', false, 'label names must match [a-zA-Z_][a-zA-Z0-9_]*, not start with __, and not be instance, job or one of the agent\'s static labels'),
  INVALID_VALUE: spec('FP_INVALID_VALUE', 'invalid_value', false, 'values are JSON numbers or "NaN", "+Inf", "-Inf"'),
  DUPLICATE_SERIES: spec('FP_DUPLICATE_SERIES', 'duplicate_series', false, 'each label set may appear once per family'),
  TYPE_CONFLICT: spec('FP_TYPE_CONFLICT', 'type_conflict', false, 'a metric name keeps one type across all agents, and node_exporter\'s and fleetpulse\'s names keep their own; rename the metric'),
  SERIES_LIMIT: spec('FP_SERIES_LIMIT', 'series_limit', false, 'send fewer series or raise FLEETPULSE_MAX_SERIES_PER_AGENT on the bridge'),
  TOO_MANY_CONNECTIONS: spec('FP_TOO_MANY_CONNECTIONS', 'too_many_connections', true, 'raise FLEETPULSE_MAX_CONNECTIONS on the bridge or run fewer agents'),
  ID_CONFLICT: spec('FP_ID_CONFLICT', 'id_conflict', true, 'another running agent holds this agent id (cloned VMs and hosts sharing a name get the same default id); give each agent its own FLEETPULSE_AGENT_ID. This agent retries with growing backoff and gets in once the id is free'),
  REPLACED: spec('FP_REPLACED', 'replaced', true, 'another connection with the same agent id took over; give each agent a distinct FLEETPULSE_AGENT_ID'),
  HEARTBEAT_TIMEOUT: spec('FP_HEARTBEAT_TIMEOUT', 'heartbeat_timeout', true, 'the peer was silent for 3 heartbeat intervals; check the network'),
  SLOW_CONSUMER: spec('FP_SLOW_CONSUMER', 'slow_consumer', true, 'the peer stopped reading; check it is not frozen'),
  SHUTTING_DOWN: spec('FP_SHUTTING_DOWN', 'shutting_down', true, 'the bridge is stopping; the agent reconnects by itself'),
  INTERNAL: spec('FP_INTERNAL', 'internal_error', true, 'the bridge failed while handling this connection and logged why; other agents are unaffected and reconnecting is safe; please report it'),
  TOO_MANY_HANDSHAKES: spec('FP_TOO_MANY_HANDSHAKES', 'too_many_handshakes', true, 'too many connections are waiting to send their hello; send hello right after connecting, or raise FLEETPULSE_MAX_HANDSHAKES / FLEETPULSE_MAX_HANDSHAKES_PER_SOURCE on the bridge'),
  AUTH_RATE_LIMITED: spec('FP_AUTH_RATE_LIMITED', 'auth_rate_limited', true, 'too many failed authentications from this address; fix the agent\'s credentials, it is let in again within a minute'),
  METRIC_NAME_TOO_LONG: spec('FP_METRIC_NAME_TOO_LONG', 'metric_name_too_long', false, 'shorten the metric name or raise FLEETPULSE_MAX_METRIC_NAME_BYTES on the bridge'),
  LABEL_TOO_LONG: spec('FP_LABEL_TOO_LONG', 'label_too_long', false, 'shorten the label name or value, or raise FLEETPULSE_MAX_LABEL_NAME_BYTES / FLEETPULSE_MAX_LABEL_VALUE_BYTES on the bridge'),
  AGENT_BYTES_LIMIT: spec('FP_AGENT_BYTES_LIMIT', 'agent_bytes_limit', false, 'send fewer or shorter series (long static labels repeat on every line) or raise FLEETPULSE_MAX_BYTES_PER_AGENT on the bridge'),
  FLEET_SERIES_LIMIT: spec('FP_FLEET_SERIES_LIMIT', 'fleet_series_limit', false, 'the bridge holds as many series as it may; raise FLEETPULSE_MAX_SERIES on the bridge or send fewer series'),
  TOO_MANY_AGENTS: spec('FP_TOO_MANY_AGENTS', 'too_many_agents', true, 'the bridge knows as many agents as it may; raise FLEETPULSE_MAX_AGENTS on the bridge, or lower FLEETPULSE_FORGET_AFTER so departed agents are forgotten sooner'),
  BAD_TIMESTAMP: spec('FP_BAD_TIMESTAMP', 'bad_timestamp', false, 'timestamp_ms must be the agent\'s clock when the batch was collected: at most 10 minutes ahead of the bridge\'s clock and not older than the bridge\'s FLEETPULSE_MAX_BATCH_AGE; keep the agent\'s clock in sync (NTP). The batch is refused whole: drop it, sending it again cannot help'),
  RETRY_LATER: spec('FP_RETRY_LATER', 'retry_later', false, 'the bridge applied the batch to its live view but cannot take it for history now (its remote_write queue is full, or it is shutting down): keep the batch and send it again later; no ack follows for it'),
  PROBE_ADDRESS: spec('FP_PROBE_ADDRESS', 'probe_address', false, 'peers dial the address the bridge sees the agent connect from; list other or special networks in FLEETPULSE_PROBE_NETWORKS on the bridge'),
} as const satisfies Record<string, ProtocolErrorSpec>;

export type ProtocolErrorName = keyof typeof ProtocolErrors;

/**
 * Error codes (sent with the batch's seq) that refuse a metrics batch as a whole: no ack
 * follows, and sending the batch again cannot help, so an agent drops it. Any other error with
 * a seq is about part of the batch, and the batch's ack follows. FP_RETRY_LATER is neither:
 * the agent keeps the batch and sends it again later. (docs/protocol.md, section 8.)
 */
export const WHOLE_BATCH_REFUSALS: ReadonlySet<string> = new Set([
  ProtocolErrors.SERIES_LIMIT.code,
  ProtocolErrors.AGENT_BYTES_LIMIT.code,
  ProtocolErrors.FLEET_SERIES_LIMIT.code,
  ProtocolErrors.BAD_TIMESTAMP.code,
]);

/** A rejected frame or message, carrying its catalogue entry and a precise message. */
export class ProtocolError extends Error {
  constructor(
    readonly spec: ProtocolErrorSpec,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function protocolError(name: ProtocolErrorName, message: string): ProtocolError {
  return new ProtocolError(ProtocolErrors[name], message);
}
