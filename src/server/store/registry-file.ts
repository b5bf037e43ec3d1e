import { AGENT_ID_RE, MAX_INTERVAL_MS, MIN_INTERVAL_MS, quoteForError, staticLabelsProblem } from '../../protocol/names.js';
import type { AgentState } from './agent-lifecycle.js';
import type { KnownAgent } from './known-agent.js';

// The agent registry's file format (<data dir>/agents.json), pure text in and out. The file is
// ours, but it is read as hostile all the same: a hand edit or a full disk must not put an
// agent id or label on /metrics that no hello could have.

export const REGISTRY_FORMAT = 1;
/** Agents kept at most; past it the longest-gone are left out (and the bridge says so). */
export const MAX_REGISTRY_AGENTS = 100_000;
/** Larger files are refused before they are read: 100 000 agents with 32 labels fit with room. */
export const MAX_REGISTRY_FILE_BYTES = 256 * 1024 * 1024;

const STATES: readonly AgentState[] = ['connected', 'down', 'departed'];
const MAX_ADDRESS_CHARS = 300;
const MAX_VERSION_CHARS = 64;

interface AgentJson {
  id: string;
  labels: Record<string, string>;
  address: string;
  agent_version: string;
  protocol: number;
  interval_ms: number;
  state: AgentState;
  connected_since_ms: number;
  last_seen_ms: number;
  disconnected_at_ms: number | null;
}

/**
 * The file's text for the agents, in the order given (put the ones to keep first); stops
 * before MAX_REGISTRY_AGENTS or maxBytes would be passed. `kept` says how many made it.
 */
export function encodeRegistry(agents: readonly KnownAgent[], writtenAtMs: number, maxBytes = MAX_REGISTRY_FILE_BYTES): { text: string; kept: number } {
  const head = `{"format":${REGISTRY_FORMAT},"written_at_ms":${writtenAtMs},"agents":[\n`;
  const tail = '\n]}\n';
  const lines: string[] = [];
  let bytes = head.length + tail.length;
  for (const a of agents) {
    if (lines.length === MAX_REGISTRY_AGENTS) break;
    const row: AgentJson = {
      id: a.id,
      labels: { ...a.labels },
      address: a.address,
      agent_version: a.agentVersion,
      protocol: a.protocol,
      interval_ms: a.intervalMs,
      state: a.state,
      connected_since_ms: a.connectedSince,
      last_seen_ms: a.lastSeen,
      disconnected_at_ms: a.disconnectedAt ?? null,
    };
    // One agent per line: readable with less, and a diff shows who changed.
    const line = JSON.stringify(row);
    const lineBytes = Buffer.byteLength(line) + 2;
    if (bytes + lineBytes > maxBytes) break;
    bytes += lineBytes;
    lines.push(line);
  }
  return { text: head + lines.join(',\n') + tail, kept: lines.length };
}

/** Parses a registry file; throws an Error saying what is wrong and where. */
export function decodeRegistry(text: string): KnownAgent[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new Error('not a JSON object');
  if (doc.format !== REGISTRY_FORMAT) throw new Error(`format ${quoteForError(doc.format)} is not ${REGISTRY_FORMAT}`);
  if (!Array.isArray(doc.agents)) throw new Error('"agents" is not a list');
  if (doc.agents.length > MAX_REGISTRY_AGENTS) throw new Error(`${doc.agents.length} agents, more than ${MAX_REGISTRY_AGENTS}`);
  const seen = new Set<string>();
  return doc.agents.map((row: unknown, i: number) => {
    const agent = decodeAgent(row, `agents[${i}]`);
    if (seen.has(agent.id)) throw new Error(`agents[${i}]: agent ${agent.id} is listed twice`);
    seen.add(agent.id);
    return agent;
  });
}

function decodeAgent(row: unknown, at: string): KnownAgent {
  if (!isObject(row)) throw new Error(`${at} is not an object`);
  const { id, labels, address, agent_version, protocol, interval_ms, state, connected_since_ms, last_seen_ms, disconnected_at_ms } = row;
  if (typeof id !== 'string' || !AGENT_ID_RE.test(id)) throw new Error(`${at}.id ${quoteForError(id)} is not an agent id`);
  if (!isObject(labels)) throw new Error(`${at}.labels is not an object`);
  const labelProblem = staticLabelsProblem(labels);
  if (labelProblem !== undefined) throw new Error(`${at}.labels: ${labelProblem}`);
  if (typeof address !== 'string' || address.length > MAX_ADDRESS_CHARS) throw new Error(`${at}.address is not a string of at most ${MAX_ADDRESS_CHARS} characters`);
  if (typeof agent_version !== 'string' || agent_version.length > MAX_VERSION_CHARS) throw new Error(`${at}.agent_version is not a string of at most ${MAX_VERSION_CHARS} characters`);
  if (!Number.isInteger(protocol) || (protocol as number) < 1) throw new Error(`${at}.protocol ${quoteForError(protocol)} is not a protocol version`);
  if (!Number.isInteger(interval_ms) || (interval_ms as number) < MIN_INTERVAL_MS || (interval_ms as number) > MAX_INTERVAL_MS) {
    throw new Error(`${at}.interval_ms ${quoteForError(interval_ms)} is outside ${MIN_INTERVAL_MS}..${MAX_INTERVAL_MS}`);
  }
  if (!STATES.includes(state as AgentState)) throw new Error(`${at}.state ${quoteForError(state)} is not one of ${STATES.join(', ')}`);
  return {
    id,
    labels: labels as Record<string, string>,
    address,
    agentVersion: agent_version,
    protocol: protocol as number,
    intervalMs: interval_ms as number,
    state: state as AgentState,
    connectedSince: timestamp(connected_since_ms, `${at}.connected_since_ms`),
    lastSeen: timestamp(last_seen_ms, `${at}.last_seen_ms`),
    disconnectedAt: disconnected_at_ms === null ? undefined : timestamp(disconnected_at_ms, `${at}.disconnected_at_ms`),
  };
}

function timestamp(value: unknown, at: string): number {
  // Up to the year 275760, the end of JavaScript's dates.
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 8.64e15) throw new Error(`${at} ${quoteForError(value)} is not a time in ms since the epoch`);
  return value as number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
