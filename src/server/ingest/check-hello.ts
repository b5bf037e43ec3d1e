import { createHash, timingSafeEqual } from 'node:crypto';
import { protocolError } from '../../protocol/error-codes.js';
import { SUPPORTED_PROTOCOL_VERSIONS, type HelloMessage } from '../../protocol/messages.js';
import { AGENT_ID_RE, quoteForError, staticLabelsProblem } from '../../protocol/names.js';

const DEFAULT_INTERVAL_MS = 5000;
/** The agent's own FLEETPULSE_INTERVAL range; also keeps 3x it inside setTimeout's range. */
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 3_600_000;

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
    throw protocolError('BAD_AGENT_ID', `agent id ${quoteForError(hello.agent_id)} is not allowed`);
  }
  const labels = hello.labels ?? {};
  const problem = staticLabelsProblem(labels);
  if (problem !== undefined) throw protocolError('BAD_LABELS', problem);
  const intervalMs = hello.interval_ms ?? DEFAULT_INTERVAL_MS;
  if (intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS) {
    throw protocolError('BAD_MESSAGE', `interval_ms ${intervalMs} is outside ${MIN_INTERVAL_MS}..${MAX_INTERVAL_MS}`);
  }
  return { id: hello.agent_id, agentVersion: hello.agent_version.slice(0, 64), protocol: hello.protocol, labels, intervalMs };
}
