import type { MetricFamily, Sample, SampleValue } from '../../protocol/messages.js';
import { MAX_HELP_BYTES, MAX_LABEL_VALUE_BYTES, RESERVED_METRIC_PREFIXES, exceedsBytes, isValidLabelName } from '../../protocol/names.js';
import { parseTextFormat, type ParsedFamily, type ParsedSample } from './parse-text-format.js';

/**
 * Names a textfile may not use: Prometheus' own per-target series (`up`, `scrape_*`), the series
 * the agent reports about its collectors and the textfile collector itself, and the bridge's.
 */
export function reservedNameProblem(name: string): string | undefined {
  if (name === 'up' || name.startsWith('scrape_')) return `${name} is a name Prometheus sets on every target`;
  if (name.startsWith('node_scrape_collector_') || name.startsWith('node_textfile_')) return `${name} is reported by the agent itself`;
  const prefix = RESERVED_METRIC_PREFIXES.find((p) => name.startsWith(p));
  if (prefix !== undefined) return `${name}: the prefix ${prefix} belongs to the bridge`;
  return undefined;
}

/** Labels per sample: generous for hand-written files, small enough to bound a batch. */
export const MAX_LABELS_PER_SAMPLE = 64;

/** One textfile's families, ready to send, with the series keys the merge checks for duplicates. */
export interface FileFamilies {
  families: MetricFamily[];
  series: number;
}

/**
 * Parses one .prom file and checks it against the rules every agent family obeys (the bridge
 * refuses anything else, and one refused family must not cost the agent its batch). Throws an
 * Error naming the line and the problem; the caller skips the whole file then, as node_exporter.
 * Histograms and summaries travel as their untyped component series (_bucket, _sum, _count, and
 * the quantiles), since the protocol's types are counter, gauge and untyped.
 */
export function fileFamilies(text: string, path: string, forbiddenLabels: ReadonlySet<string>): FileFamilies {
  const parsed = parseTextFormat(text);
  const families: MetricFamily[] = [];
  let series = 0;
  for (const family of parsed) {
    if (family.samples.length === 0) continue; // a HELP or TYPE without samples: nothing to send
    const help = family.help ?? `Metric read from ${path}`;
    if (exceedsBytes(help, MAX_HELP_BYTES)) throw new Error(`${family.name}: HELP is longer than ${MAX_HELP_BYTES} bytes`);
    for (const part of components(family)) {
      const problem = reservedNameProblem(part.name);
      if (problem !== undefined) throw new Error(`line ${part.samples[0]!.lineNo}: ${problem}; textfiles may not use it`);
      const seen = new Set<string>();
      const samples: Sample[] = part.samples.map((s) => {
        if (s.hasTimestamp) throw new Error(`line ${s.lineNo}: ${s.name} has a timestamp; textfile samples may not carry one (node_exporter skips such files too)`);
        const labels = checkedLabels(s, forbiddenLabels);
        const key = seriesKey(labels);
        if (seen.has(key)) throw new Error(`line ${s.lineNo}: ${s.name}{${key}} appears twice`);
        seen.add(key);
        return Object.keys(labels).length === 0 ? { value: sampleValue(s.value) } : { labels, value: sampleValue(s.value) };
      });
      series += samples.length;
      families.push({ name: part.name, type: part.type, help, samples });
    }
  }
  return { families, series };
}

/** The label set as the bridge identifies a series: sorted, empty values left out (Prometheus drops them). */
export function seriesKey(labels: Record<string, string> | undefined): string {
  if (labels === undefined) return '';
  return Object.entries(labels)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
}

function checkedLabels(s: ParsedSample, forbidden: ReadonlySet<string>): Record<string, string> {
  const names = Object.keys(s.labels);
  if (names.length > MAX_LABELS_PER_SAMPLE) throw new Error(`line ${s.lineNo}: ${s.name} has ${names.length} labels; at most ${MAX_LABELS_PER_SAMPLE}`);
  for (const name of names) {
    if (!isValidLabelName(name)) throw new Error(`line ${s.lineNo}: label name ${name} is reserved (names starting with "__" are Prometheus' own)`);
    if (forbidden.has(name)) throw new Error(`line ${s.lineNo}: label ${name} is set by the bridge or by the agent's static labels; a textfile may not set it`);
    if (exceedsBytes(s.labels[name]!, MAX_LABEL_VALUE_BYTES)) throw new Error(`line ${s.lineNo}: the value of label ${name} is longer than ${MAX_LABEL_VALUE_BYTES} bytes`);
  }
  return s.labels;
}

function sampleValue(value: number): SampleValue {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return value;
}

interface Component {
  name: string;
  type: MetricFamily['type'];
  samples: ParsedSample[];
}

/** A counter, gauge or untyped family as it is; a histogram or summary as its series, untyped. */
function components(family: ParsedFamily): Component[] {
  if (family.type !== 'histogram' && family.type !== 'summary') return [{ name: family.name, type: family.type, samples: family.samples }];
  const byName = new Map<string, ParsedSample[]>();
  for (const s of family.samples) {
    let list = byName.get(s.name);
    if (list === undefined) byName.set(s.name, (list = []));
    list.push(s);
  }
  return [...byName].map(([name, samples]) => ({ name, type: 'untyped', samples }));
}
