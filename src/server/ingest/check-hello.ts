import { createHash, timingSafeEqual } from 'node:crypto';
import { protocolError } from '../../protocol/error-codes.js';
import { SUPPORTED_PROTOCOL_VERSIONS, type HelloMessage } from '../../protocol/messages.js';
import { AGENT_ID_RE, MAX_LABEL_VALUE_BYTES, RESERVED_LABELS, isValidLabelName } from '../../protocol/names.js';
import { INFO_LABELS } from '../exposition/agent-status.js';

const MAX_STATIC_LABELS = 32;
const DEFAULT_INTERVAL_MS = 5000;

/** Compares secrets in constant time; hashing first makes lengths equal without leaking them. */
export function tokenMatches(expected: string, offered: string | undefined): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(offered ?? '').digest();
  return timingSafeEqual(a, b) && offered !== undefined;
}

export interface CheckedHello {
  id: string;
  agentVersion: string;
  protocol: number;
  labels: Record<string, string>;
  intervalMs: number;
}

/** Validates a hello against the bridge's rules. Throws a fatal ProtocolError. */
export function checkHello(hello: HelloMessage, token: string | undefined): CheckedHello {
  if (!SUPPORTED_PROTOCOL_VERSIONS.includes(hello.protocol)) {
    throw protocolError('PROTOCOL_VERSION', `protocol version ${hello.protocol} is not supported; this bridge speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`);
  }
  if (token !== undefined && !tokenMatches(token, hello.token)) {
    throw protocolError('AUTH_FAILED', hello.token === undefined ? 'this bridge requires a token and the hello carried none' : 'the token does not match the bridge\'s token');
  }
  if (!AGENT_ID_RE.test(hello.agent_id)) {
    throw protocolError('BAD_AGENT_ID', `agent id ${JSON.stringify(hello.agent_id)} is not allowed`);
  }
  const labels = hello.labels ?? {};
  const names = Object.keys(labels);
  if (names.length > MAX_STATIC_LABELS) {
    throw protocolError('BAD_LABELS', `${names.length} static labels; at most ${MAX_STATIC_LABELS} are allowed`);
  }
  for (const name of names) {
    const value = labels[name];
    if (!isValidLabelName(name) || RESERVED_LABELS.has(name) || (INFO_LABELS as readonly string[]).includes(name)) {
      throw protocolError('BAD_LABELS', `static label name ${JSON.stringify(name)} is invalid or reserved (${[...RESERVED_LABELS, ...INFO_LABELS].join(', ')} are reserved)`);
    }
    if (typeof value !== 'string' || value.length > MAX_LABEL_VALUE_BYTES) {
      throw protocolError('BAD_LABELS', `static label "${name}" needs a string value of at most ${MAX_LABEL_VALUE_BYTES} characters`);
    }
  }
  const intervalMs = hello.interval_ms !== undefined && hello.interval_ms >= 100 ? hello.interval_ms : DEFAULT_INTERVAL_MS;
  return { id: hello.agent_id, agentVersion: hello.agent_version.slice(0, 64), protocol: hello.protocol, labels, intervalMs };
}
