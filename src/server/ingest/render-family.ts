import { protocolError } from '../../protocol/error-codes.js';
import { METRIC_TYPES, type MetricType } from '../../protocol/messages.js';
import {
  MAX_HELP_BYTES,
  METRIC_NAME_RE,
  exceedsBytes,
  isValidLabelName,
  quoteForError,
} from '../../protocol/names.js';
import { reservedMetricNameProblem } from '../../protocol/known-families.js';
import { escapeLabelValue, formatValue } from '../text-format/format.js';
import { RenderedFamily } from '../text-format/rendered-family.js';
import type { ByteBudget, IngestLimits } from './ingest-limits.js';

type NameLimits = Pick<IngestLimits, 'maxMetricNameBytes' | 'maxLabelNameBytes' | 'maxLabelValueBytes'>;

// Label names repeat across every batch of every agent; remember the valid ones (bounded).
const knownLabelNames = new Set<string>();
const KNOWN_LABEL_NAMES_MAX = 10_000;
const KNOWN_LABEL_NAME_MAX_BYTES = 32;

function checkLabelName(name: string, family: string, forbidden: ReadonlySet<string>, limits: NameLimits): void {
  if (forbidden.has(name)) {
    throw protocolError('INVALID_LABEL', `${family}: label "${name}" is set by the bridge or by the agent's static labels`);
  }
  if (knownLabelNames.has(name)) return;
  if (name.length > limits.maxLabelNameBytes) {
    throw protocolError('LABEL_TOO_LONG', `${family}: label name ${quoteForError(name)} is ${name.length} bytes; the limit is ${limits.maxLabelNameBytes}`);
  }
  if (!isValidLabelName(name)) {
    throw protocolError('INVALID_LABEL', `${family}: invalid label name ${quoteForError(name)}`);
  }
  // Remembered only under the smallest limit any bridge in this process may have.
  if (knownLabelNames.size < KNOWN_LABEL_NAMES_MAX && name.length <= KNOWN_LABEL_NAME_MAX_BYTES) knownLabelNames.add(name);
}

function parseValue(raw: unknown, family: string): number {
  if (typeof raw === 'number') return raw;
  if (raw === 'NaN') return NaN;
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  throw protocolError('INVALID_VALUE', `${family}: value ${quoteForError(raw)} is not a number, "NaN", "+Inf" or "-Inf"`);
}

/** `k="v",...` sorted by name, so the same label set always renders the same. */
function renderSampleLabels(raw: unknown, family: string, forbidden: ReadonlySet<string>, limits: NameLimits): string {
  if (raw === undefined) return '';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw protocolError('INVALID_LABEL', `${family}: "labels" must be an object of strings`);
  }
  const labels = raw as Record<string, unknown>;
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let out = '';
  for (const name of names) {
    checkLabelName(name, family, forbidden, limits);
    const value = labels[name];
    if (typeof value !== 'string') {
      throw protocolError('INVALID_LABEL', `${family}: label "${name}" must have a string value`);
    }
    if (exceedsBytes(value, limits.maxLabelValueBytes)) {
      throw protocolError('LABEL_TOO_LONG', `${family}: label "${name}" value is longer than ${limits.maxLabelValueBytes} bytes`);
    }
    // Prometheus treats an empty label value as no label: render it so, and duplicates show.
    if (value === '') continue;
    out += (out === '' ? '' : ',') + name + '="' + escapeLabelValue(value) + '"';
  }
  return out;
}

function checkFamilyHead(raw: unknown, limits: NameLimits): { name: string; type: MetricType; help: string; samples: unknown[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw protocolError('BAD_MESSAGE', 'each entry of "families" must be an object');
  }
  const f = raw as Record<string, unknown>;
  if (typeof f.name === 'string' && f.name.length > limits.maxMetricNameBytes) {
    throw protocolError('METRIC_NAME_TOO_LONG', `metric name ${quoteForError(f.name)} is ${f.name.length} bytes; the limit is ${limits.maxMetricNameBytes}`);
  }
  if (typeof f.name !== 'string' || !METRIC_NAME_RE.test(f.name)) {
    throw protocolError('INVALID_METRIC_NAME', `invalid metric name ${quoteForError(f.name)}`);
  }
  const name = f.name;
  const reserved = reservedMetricNameProblem(name);
  if (reserved !== undefined) throw protocolError('INVALID_METRIC_NAME', reserved);
  if (typeof f.type !== 'string' || !(METRIC_TYPES as readonly string[]).includes(f.type)) {
    throw protocolError('BAD_MESSAGE', `${name}: type ${quoteForError(f.type)} is not one of ${METRIC_TYPES.join(', ')}`);
  }
  const help = f.help === undefined ? '' : f.help;
  if (typeof help !== 'string' || exceedsBytes(help, MAX_HELP_BYTES)) {
    throw protocolError('BAD_MESSAGE', `${name}: "help" must be a string of at most ${MAX_HELP_BYTES} characters`);
  }
  if (!Array.isArray(f.samples)) {
    throw protocolError('BAD_MESSAGE', `${name}: "samples" must be an array`);
  }
  // The constant, not the parsed copy: every agent's families then share one string.
  return { name, type: METRIC_TYPES.find((t) => t === f.type)!, help, samples: f.samples };
}

function bytesLimitError() {
  return protocolError('AGENT_BYTES_LIMIT', 'the batch renders to more exposition text than the limit per agent allows; it was refused whole and the previous snapshot stays');
}

/**
 * Validates one family sent by an agent and renders its sample lines.
 * @param agentLabels rendered `instance="id",k="v"` prefix of every line
 * @param forbiddenLabels label names samples may not use (instance, job, static labels)
 * @param budget exposition bytes the batch may still render; AGENT_BYTES_LIMIT when it runs out
 * @throws ProtocolError naming the family and the problem
 */
export function renderFamily(
  raw: unknown,
  agentLabels: string,
  forbiddenLabels: ReadonlySet<string>,
  limits: NameLimits,
  budget?: ByteBudget,
): RenderedFamily {
  const { name, type, help, samples } = checkFamilyHead(raw, limits);
  const seen = samples.length > 1 ? new Set<string>() : undefined;
  const lines: string[] = [];
  // A plain array (8 bytes per value), not a typed array per family: ~80 families per agent.
  // Made at its size: an array grown by push() has room for 17 values after the first, and most
  // families have 1-3 series (152 bytes of elements instead of 8-24).
  const values: number[] = new Array<number>(samples.length);
  for (const sample of samples) {
    if (typeof sample !== 'object' || sample === null || Array.isArray(sample)) {
      throw protocolError('BAD_MESSAGE', `${name}: each sample must be an object with "value"`);
    }
    const s = sample as Record<string, unknown>;
    const labels = renderSampleLabels(s.labels, name, forbiddenLabels, limits);
    if (seen) {
      if (seen.has(labels)) throw protocolError('DUPLICATE_SERIES', `${name}: series {${labels}} appears twice`);
      seen.add(labels);
    }
    const value = parseValue(s.value, name);
    // What the line shows: -0 prints as 0.
    values[lines.length] = value === 0 ? 0 : value;
    const line = name + '{' + agentLabels + (labels === '' ? '' : ',' + labels) + '} ' + formatValue(value) + '\n';
    // Checked line by line: the agent's labels repeat on every line, so a small batch can
    // render to a huge text; stop before holding it, not after.
    if (budget && (budget.remaining -= line.length) < 0) throw bytesLimitError();
    lines.push(line);
  }
  // One flat string: it lives as long as the values do, so no rope of per-line pieces.
  return new RenderedFamily(name, type, help, lines.join(''), values);
}
