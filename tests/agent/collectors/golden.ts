// Golden-file helper for collector tests: UPDATE_GOLDEN=1 rewrites the files instead of comparing.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetricFamily, Sample } from '../../../src/protocol/messages.js';
import type { Collector, HostPaths } from '../../../src/agent/collectors/types.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

/** The fake host under tests/fixtures. */
export const fixturePaths: HostPaths = {
  proc: join(FIXTURES, 'proc'),
  sys: join(FIXTURES, 'sys'),
  root: join(FIXTURES, 'root'),
};

/** Older kernels' files from node_exporter's own fixtures (Apache-2.0, see its README.md). */
export const nodeExporterPaths: HostPaths = {
  proc: join(FIXTURES, 'node-exporter', 'proc'),
  sys: join(FIXTURES, 'node-exporter', 'sys'),
  root: join(FIXTURES, 'node-exporter', 'root'),
};

export function run(collector: Collector): Promise<MetricFamily[]> {
  return collector.collect(new AbortController().signal);
}

/** Code-unit order, not localeCompare, so the order does not depend on the machine's locale. */
function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedLabels(sample: Sample): Sample {
  if (sample.labels === undefined) return sample;
  const labels = Object.fromEntries(Object.entries(sample.labels).sort(([a], [b]) => byString(a, b)));
  return { ...sample, labels };
}

/** Families by name, samples by their labels, label keys sorted: independent of emit order. */
export function canonical(families: MetricFamily[]): MetricFamily[] {
  return [...families]
    .sort((a, b) => byString(a.name, b.name))
    .map((f) => ({
      ...f,
      samples: f.samples
        .map(sortedLabels)
        .sort((a, b) => byString(JSON.stringify(a.labels ?? {}), JSON.stringify(b.labels ?? {}))),
    }));
}

export async function assertGolden(name: string, families: MetricFamily[]): Promise<void> {
  const file = join(FIXTURES, 'golden', `${name}.json`);
  const actual = `${JSON.stringify(canonical(families), null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, actual);
    return;
  }
  const expected = await readFile(file, 'utf8').catch(() => {
    throw new Error(`no golden file ${file}; run with UPDATE_GOLDEN=1 and review it`);
  });
  assert.deepEqual(JSON.parse(actual), JSON.parse(expected));
}

/** The one sample of `name` whose labels include `labels`. */
export function valueOf(families: MetricFamily[], name: string, labels: Record<string, string> = {}): Sample['value'] | undefined {
  const fam = families.find((f) => f.name === name);
  const sample = fam?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return sample?.value;
}
