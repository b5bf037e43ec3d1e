import { protocolError } from '../../protocol/error-codes.js';
import { SUPPORTED_PROTOCOL_VERSIONS, type HelloMessage, type ProbeEndpoint } from '../../protocol/messages.js';
import { AGENT_ID_RE, MAX_INTERVAL_MS, MIN_INTERVAL_MS, quoteForError, staticLabelsProblem } from '../../protocol/names.js';
import { tokenMatches } from '../util/token-matches.js';

const DEFAULT_INTERVAL_MS = 5000;

export interface CheckedHello {
  id: string;
  agentVersion: string;
  protocol: number;
  labels: Record<string, string>;
  intervalMs: number;
  /** The agent's probe responder; undefined when it has none (it then takes no part in tasks). */
  probe: ProbeEndpoint | undefined;
  /** Why a `probe` that was sent is ignored; reported to the agent as a non-fatal error. */
  probeProblem: string | undefined;
  /** The agent process's random run id; undefined for agents that send none (older ones). */
  runId: string | undefined;
}

const RUN_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** A host name or IP literal peers can dial; nothing that could be a URL, path or option. */
const PROBE_HOST_RE = /^[A-Za-z0-9.:_%-]{1,253}$/;

/** Checks hello.probe; a bad one costs the agent its tasks, not its connection. */
function checkProbe(probe: unknown): { probe: ProbeEndpoint | undefined; probeProblem: string | undefined } {
  if (probe === undefined) return { probe: undefined, probeProblem: undefined };
  const p = probe as Record<string, unknown>;
  const { port, address } = p;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { probe: undefined, probeProblem: `probe.port ${quoteForError(port)} is not a port number 1-65535; this agent takes no part in measurement tasks` };
  }
  if (address !== undefined && (typeof address !== 'string' || !PROBE_HOST_RE.test(address))) {
    return { probe: undefined, probeProblem: `probe.address ${quoteForError(address)} is not a host name or IP address; this agent takes no part in measurement tasks` };
  }
  return { probe: address === undefined ? { port } : { address, port }, probeProblem: undefined };
}

/** Validates a hello against the bridge's rules. Throws a fatal ProtocolError. */
export function checkHello(hello: HelloMessage, token: string | undefined, limits: { maxStaticLabelBytes: number } = { maxStaticLabelBytes: 4096 }): CheckedHello {
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
  // They repeat on every line of the agent: bounded together, not only one by one.
  const staticBytes = Object.entries(labels).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (staticBytes > limits.maxStaticLabelBytes) {
    throw protocolError('BAD_LABELS', `static labels take ${staticBytes} bytes (names and values); the bridge allows ${limits.maxStaticLabelBytes} (FLEETPULSE_MAX_STATIC_LABEL_BYTES)`);
  }
  const intervalMs = hello.interval_ms ?? DEFAULT_INTERVAL_MS;
  if (intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS) {
    throw protocolError('BAD_MESSAGE', `interval_ms ${intervalMs} is outside ${MIN_INTERVAL_MS}..${MAX_INTERVAL_MS}`);
  }
  if (hello.run_id !== undefined && !RUN_ID_RE.test(hello.run_id)) {
    throw protocolError('BAD_MESSAGE', `run_id ${quoteForError(hello.run_id)} is not 1-64 letters, digits, "_" or "-"`);
  }
  return { id: hello.agent_id, agentVersion: hello.agent_version.slice(0, 64), protocol: hello.protocol, labels, intervalMs, runId: hello.run_id, ...checkProbe(hello.probe) };
}
