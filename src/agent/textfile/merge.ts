import type { MetricFamily, MetricType, Sample } from '../../protocol/messages.js';
import { gauge, single } from '../collectors/family.js';
import { seriesKey, type FileFamilies } from './file-families.js';

/** One .prom file as read: its families, or why it cannot be used. */
export interface TextfileRead {
  path: string;
  mtimeSeconds: number;
  result: FileFamilies | Error;
}

export interface TextfileMerge {
  families: MetricFamily[];
  /** path (or the directory, for a directory error) -> why it was skipped. */
  errors: Map<string, string>;
}

interface Merged {
  type: MetricType;
  help: string;
  samples: Sample[];
  keys: Set<string>;
  file: string;
}

/**
 * Joins the files, in the order given, into the families the agent sends, with
 * node_textfile_mtime_seconds for each file used and node_textfile_scrape_error. A file is used
 * whole or not at all: it is skipped if it is unreadable or malformed, if it reuses a family name
 * of the agent's own collectors (`others`), gives a family another file has a different type, repeats
 * a series another file has, or would take the textfile series past `maxSeries`.
 */
export function mergeTextfiles(reads: readonly TextfileRead[], others: readonly MetricFamily[], maxSeries: number, dirErrors: ReadonlyMap<string, string> = new Map()): TextfileMerge {
  const own = new Map(others.map((f) => [f.name, f.type]));
  const merged = new Map<string, Merged>();
  const errors = new Map(dirErrors);
  const used: Sample[] = [];
  let series = 0;
  for (const { path, mtimeSeconds, result } of reads) {
    if (result instanceof Error) {
      errors.set(path, result.message);
      continue;
    }
    const problem = conflict(result, path, own, merged) ?? (series + result.series > maxSeries ? `its ${result.series} series would take the textfile series past ${maxSeries}` : undefined);
    if (problem !== undefined) {
      errors.set(path, problem);
      continue;
    }
    for (const f of result.families) {
      let into = merged.get(f.name);
      if (into === undefined) merged.set(f.name, (into = { type: f.type, help: f.help, samples: [], keys: new Set(), file: path }));
      for (const s of f.samples) {
        into.samples.push(s);
        into.keys.add(seriesKey(s.labels));
      }
    }
    series += result.series;
    used.push({ labels: { file: path }, value: mtimeSeconds });
  }
  const families: MetricFamily[] = [...merged].map(([name, m]) => ({ name, type: m.type, help: m.help, samples: m.samples }));
  if (used.length > 0) families.push(gauge('node_textfile_mtime_seconds', 'Unixtime mtime of textfiles successfully read.', used, 'seconds'));
  families.push(gauge('node_textfile_scrape_error', '1 if there was an error opening or reading a file, 0 otherwise', single(errors.size > 0 ? 1 : 0)));
  return { families, errors };
}

function conflict(file: FileFamilies, path: string, own: ReadonlyMap<string, MetricType>, merged: ReadonlyMap<string, Merged>): string | undefined {
  for (const f of file.families) {
    const ownType = own.get(f.name);
    if (ownType !== undefined) return `${f.name} is a family of the agent's own collectors (${ownType}); a textfile may not add to or override it`;
    const earlier = merged.get(f.name);
    if (earlier === undefined) continue;
    if (earlier.type !== f.type) return `${f.name} is a ${f.type} here but a ${earlier.type} in ${earlier.file}`;
    const repeated = f.samples.find((s) => earlier.keys.has(seriesKey(s.labels)));
    if (repeated !== undefined) return `${f.name}{${seriesKey(repeated.labels)}} is also in ${earlier.file}`;
  }
  return undefined;
}
