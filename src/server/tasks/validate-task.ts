import { TASK_KINDS, type TaskKind } from '../../protocol/messages.js';
import { AGENT_ID_RE, quoteForError } from '../../protocol/names.js';
import { orderedPairs } from './pairs.js';
import { kindOf, runSpanMs } from './task-kinds.js';
import {
  MAX_DESCRIPTION_CHARS,
  MAX_MEMBERS,
  MAX_NAME_CHARS,
  MAX_PERIOD_SECONDS,
  MIN_MEMBERS,
  MIN_PERIOD_SECONDS,
  type TaskOptions,
  type TaskSpec,
} from './task.js';

// Checks a task as the API receives it (and as a task file stores it). Pure: the caller says
// which agents exist and what time it is. Each error names the field and what is allowed.

/** The input is unusable; the message names the field. Becomes a 400 bad_request. */
export class TaskInputError extends Error {}

export interface TaskInputContext {
  /** Whether the bridge knows this agent (it is in /api/agents). Not checked when undefined. */
  isKnownAgent?: (id: string) => boolean;
  /** When given, `end` must be later than this. */
  nowMs?: number;
}

const FIELDS = ['name', 'description', 'type', 'members', 'start', 'end', 'period_seconds', 'options'] as const;
/** Letters, digits, space, dot, underscore, hyphen: safe in a label, a log line and HTML. */
const NAME_RE = /^[A-Za-z0-9 ._-]+$/;
/** Control characters other than tab and newline have no business in a description. */
const CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const fail = (message: string): never => {
  throw new TaskInputError(message);
};
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An ISO 8601 date-time with a zone (Z or +hh:mm), e.g. 2030-01-31T09:00:00Z; epoch ms. */
export function parseIsoTime(field: string, value: unknown): number {
  const m = typeof value === 'string' ? ISO_RE.exec(value) : null;
  if (!m) return fail(`${field}: must be an ISO 8601 date-time with a time zone, e.g. "2030-01-31T09:00:00Z" or "2030-01-31T10:00:00+01:00"; got ${quoteForError(value)}`);
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = Number(m[6] ?? 0);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const zone = m[7]!;
  const zoneOk = zone === 'Z' || (Number(zone.slice(1, 3)) <= 23 && Number(zone.slice(4, 6)) <= 59);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || !zoneOk) {
    fail(`${field}: ${quoteForError(value)} is not a valid date and time`);
  }
  return Date.parse(value as string);
}

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${field}: must be a whole number from ${min} to ${max}; got ${quoteForError(value)}`);
  }
  return value as number;
}

function parseName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) return fail('name: is required: 1 to 64 characters of letters, digits, space, ".", "_" or "-"');
  if (value.length > MAX_NAME_CHARS) fail(`name: is ${value.length} characters long; at most ${MAX_NAME_CHARS} are allowed`);
  if (!NAME_RE.test(value)) fail(`name: ${quoteForError(value)} may only use letters, digits, space, ".", "_" and "-"`);
  return value;
}

function parseDescription(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') return fail(`description: must be a string; got ${quoteForError(value)}`);
  const chars = [...value].length;
  if (chars > MAX_DESCRIPTION_CHARS) fail(`description: is ${chars} characters long; at most ${MAX_DESCRIPTION_CHARS} are allowed`);
  if (CONTROL_RE.test(value)) fail('description: may not contain control characters (other than tab and newline)');
  return value;
}

function parseMembers(value: unknown, isKnown: ((id: string) => boolean) | undefined): string[] {
  if (!Array.isArray(value)) return fail(`members: must be an array of ${MIN_MEMBERS} to ${MAX_MEMBERS} agent ids; got ${quoteForError(value)}`);
  if (value.length < MIN_MEMBERS || value.length > MAX_MEMBERS) fail(`members: has ${value.length} agents; a task needs ${MIN_MEMBERS} to ${MAX_MEMBERS}`);
  const seen = new Set<string>();
  for (const [i, id] of value.entries()) {
    if (typeof id !== 'string' || !AGENT_ID_RE.test(id)) fail(`members[${i}]: ${quoteForError(id)} is not an agent id`);
    if (seen.has(id)) fail(`members: ${quoteForError(id)} is listed twice`);
    if (isKnown && !isKnown(id)) fail(`members: unknown agent ${quoteForError(id)} (not in /api/agents)`);
    seen.add(id);
  }
  return [...seen];
}

function parseOptions(type: TaskKind, value: unknown): TaskOptions {
  if (value !== undefined && !isRecord(value)) return fail(`options: must be an object; got ${quoteForError(value)}`);
  const given = value ?? {};
  const rules = kindOf(type).options;
  for (const key of Object.keys(given)) {
    if (!(key in rules)) fail(`options.${key}: unknown option for a ${type} task; allowed: ${Object.keys(rules).join(', ')}`);
  }
  const options: Record<string, number> = {};
  for (const [key, rule] of Object.entries(rules)) {
    options[key] = given[key] === undefined ? rule.default : integerIn(`options.${key}`, given[key], rule.min, rule.max);
  }
  return options as unknown as TaskOptions;
}

/** Why a period is too short for the work, in words the operator can act on. */
function periodProblem(spec: TaskSpec): string | undefined {
  const spanMs = runSpanMs(spec);
  if (spanMs <= spec.periodSeconds * 1000) return undefined;
  const work = kindOf(spec.type).describeWork(orderedPairs(spec.members).length, spec.options as unknown as Record<string, number>);
  return `period_seconds: ${spec.periodSeconds} is too short: one run takes up to ${(spanMs / 1000).toFixed(1)} s (${work}); use at least ${Math.ceil(spanMs / 1000)}`;
}

/** Validates a POST /api/tasks body. Throws TaskInputError naming the first bad field. */
export function parseTaskInput(body: unknown, context: TaskInputContext = {}): TaskSpec {
  if (!isRecord(body)) return fail(`the body must be a JSON object with ${FIELDS.join(', ')}; got ${quoteForError(body)}`);
  for (const key of Object.keys(body)) {
    if (!(FIELDS as readonly string[]).includes(key)) fail(`${key}: unknown field; allowed: ${FIELDS.join(', ')}`);
  }
  const name = parseName(body.name);
  const description = parseDescription(body.description);
  if (!TASK_KINDS.includes(body.type as TaskKind)) fail(`type: must be one of ${TASK_KINDS.map((k) => `"${k}"`).join(', ')}; got ${quoteForError(body.type)}`);
  const type = body.type as TaskKind;
  const members = parseMembers(body.members, context.isKnownAgent);
  const startMs = parseIsoTime('start', body.start);
  const endMs = parseIsoTime('end', body.end);
  if (endMs <= startMs) fail(`end: ${body.end as string} is not after start ${body.start as string}`);
  if (context.nowMs !== undefined && endMs <= context.nowMs) fail(`end: ${body.end as string} is in the past; the task would never run`);
  const periodSeconds = integerIn('period_seconds', body.period_seconds, MIN_PERIOD_SECONDS, MAX_PERIOD_SECONDS);
  const options = parseOptions(type, body.options);
  const spec: TaskSpec = { name, description, type, members, startMs, endMs, periodSeconds, options };
  const problem = periodProblem(spec);
  if (problem) fail(problem);
  return spec;
}
