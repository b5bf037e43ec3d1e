import { protocolError } from './error-codes.js';
import type {
  AckMessage,
  AgentMessage,
  ErrorMessage,
  GoodbyeMessage,
  HelloMessage,
  MetricsMessage,
  PingMessage,
  PongMessage,
  ServerMessage,
  TaskResultMessage,
  TaskRevokeMessage,
  TaskRunMessage,
  WelcomeMessage,
} from './messages.js';

// Structural checks of each message type. Deep checks of metric families (names, labels,
// values) happen where they are stored, in one pass with rendering (server/ingest).

type Json = Record<string, unknown>;

function parseObject(line: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw protocolError('BAD_JSON', `line is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw protocolError('BAD_JSON', 'line must be a JSON object');
  }
  return value as Json;
}

function need(obj: Json, field: string, type: 'string' | 'number' | 'boolean' | 'object' | 'array'): void {
  const value = obj[field];
  const ok =
    type === 'array' ? Array.isArray(value)
    : type === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value)
    : type === 'number' ? typeof value === 'number' && Number.isFinite(value)
    : typeof value === type;
  if (!ok) {
    throw protocolError('BAD_MESSAGE', `${String(obj.type)} message needs "${field}" as a ${type}`);
  }
}

function optional(obj: Json, field: string, type: 'string' | 'number' | 'object'): void {
  if (obj[field] !== undefined) need(obj, field, type);
}

function checkHello(m: Json): HelloMessage {
  need(m, 'protocol', 'number');
  need(m, 'agent_id', 'string');
  need(m, 'agent_version', 'string');
  optional(m, 'labels', 'object');
  optional(m, 'token', 'string');
  optional(m, 'interval_ms', 'number');
  optional(m, 'probe', 'object');
  optional(m, 'run_id', 'string');
  return m as unknown as HelloMessage;
}

function checkMetrics(m: Json): MetricsMessage {
  need(m, 'seq', 'number');
  need(m, 'timestamp_ms', 'number');
  need(m, 'families', 'array');
  return m as unknown as MetricsMessage;
}

function checkPing(m: Json): PingMessage {
  need(m, 'id', 'number');
  need(m, 't0', 'number');
  return m as unknown as PingMessage;
}

function checkPong(m: Json): PongMessage {
  for (const field of ['id', 't0', 't1', 't2']) need(m, field, 'number');
  return m as unknown as PongMessage;
}

/** Parses one line from an agent. Throws ProtocolError (BAD_JSON or BAD_MESSAGE). */
export function parseAgentMessage(line: string): AgentMessage {
  const m = parseObject(line);
  switch (m.type) {
    case 'hello': return checkHello(m);
    case 'metrics': return checkMetrics(m);
    case 'ping': return checkPing(m);
    case 'pong': return checkPong(m);
    case 'goodbye':
      optional(m, 'reason', 'string');
      return m as unknown as GoodbyeMessage;
    case 'task_result':
      need(m, 'task_id', 'string');
      need(m, 'run_id', 'string');
      need(m, 'results', 'array');
      return m as unknown as TaskResultMessage;
    default:
      throw protocolError('BAD_MESSAGE', `unknown message type ${JSON.stringify(m.type)}; expected hello, metrics, ping, pong, goodbye or task_result`);
  }
}

/** Parses one line from the bridge. Throws ProtocolError (BAD_JSON or BAD_MESSAGE). */
export function parseServerMessage(line: string): ServerMessage {
  const m = parseObject(line);
  switch (m.type) {
    case 'welcome':
      for (const field of ['protocol', 'heartbeat_ms', 'max_line_bytes', 'max_series']) need(m, field, 'number');
      need(m, 'server_version', 'string');
      return m as unknown as WelcomeMessage;
    case 'ack':
      need(m, 'seq', 'number');
      need(m, 'samples', 'number');
      return m as unknown as AckMessage;
    case 'error':
      need(m, 'code', 'string');
      need(m, 'message', 'string');
      need(m, 'fatal', 'boolean');
      return m as unknown as ErrorMessage;
    case 'ping': return checkPing(m);
    case 'pong': return checkPong(m);
    case 'task_run':
      for (const field of ['task_id', 'run_id', 'kind', 'secret']) need(m, field, 'string');
      for (const field of ['start_at_ms', 'deadline_ms']) need(m, field, 'number');
      optional(m, 'clock_offset_ms', 'number');
      need(m, 'options', 'object');
      need(m, 'targets', 'array');
      return m as unknown as TaskRunMessage;
    case 'task_revoke':
      need(m, 'task_id', 'string');
      return m as unknown as TaskRevokeMessage;
    default:
      throw protocolError('BAD_MESSAGE', `unknown message type ${JSON.stringify(m.type)}; expected welcome, ack, error, ping, pong, task_run or task_revoke`);
  }
}
