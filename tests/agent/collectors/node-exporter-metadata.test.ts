// Our families against Debian's node_exporter: the /proc collectors on this host at the same time
// (every family it sends, we send too, with its type, help text and label names), and the /sys
// collectors over our fixture trees (every sample, value included).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { collectAll } from '../../../src/agent/collect-all.js';
import { createCollectors } from '../../../src/agent/collectors/index.js';
import type { MetricFamily } from '../../../src/protocol/messages.js';
import { eventually, getText } from '../../helpers/http.js';
import { portToHandOut } from '../../helpers/ports.js';
import { fixturePaths, nodeExporterPaths } from './golden.js';

const COLLECTORS = ['netstat', 'sockstat', 'vmstat', 'pressure', 'softnet', 'filefd', 'entropy', 'conntrack', 'arp', 'udp_queues', 'thermal_zone'];
const BINARY = spawnSync('sh', ['-c', 'command -v prometheus-node-exporter'], { encoding: 'utf8' }).stdout.trim();
// CI installs the package (the Node Exporter Full comparison needs it), so there it must run.
const skip = BINARY === '' && process.env.CI !== 'true' ? 'prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter)' : false;

interface Meta {
  type: string;
  help: string;
  labels: string;
}

/** name -> type, help and the sorted label names of its samples, from Prometheus text format. */
function parseExposition(text: string): Map<string, Meta> {
  const out = new Map<string, Meta>();
  const entry = (name: string): Meta => out.get(name) ?? out.set(name, { type: '', help: '', labels: '' }).get(name)!;
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      entry(meta[2]!)[meta[1] === 'HELP' ? 'help' : 'type'] = meta[3]!;
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? /.exec(line);
    if (sample) entry(sample[1]!).labels = [...(sample[2] ?? '').matchAll(/(\w+)="/g)].map((m) => m[1]).sort().join(',');
  }
  return out;
}

const children: Array<() => void> = [];
after(() => children.forEach((kill) => kill()));

/** Starts node_exporter with only `collectors` and returns its first complete scrape. */
async function scrapeNodeExporter(collectors: readonly string[], extra: readonly string[] = []): Promise<string> {
  const port = await portToHandOut();
  const child = spawn(BINARY, [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', '--collector.disable-defaults', ...collectors.map((c) => `--collector.${c}`), ...extra], { stdio: 'ignore' });
  children.push(() => child.kill('SIGKILL'));
  return eventually(async () => {
    const res = await getText(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
    return res?.status === 200 ? res.text : undefined;
  }, 20_000, 'node_exporter answering');
}

test('every /proc family node_exporter sends here, we send with the same type, help and labels', { skip, timeout: 60_000 }, async () => {
  const text = await scrapeNodeExporter(COLLECTORS);
  const theirs = parseExposition(text);
  const { families, failures } = await collectAll(createCollectors({ proc: '/proc', sys: '/sys', root: '/' }, COLLECTORS), { timeoutMs: 10_000 });

  // Both must agree on which collectors work on this host (node_exporter's success is ours too).
  for (const { labels, value } of families.find((f) => f.name === 'node_scrape_collector_success')!.samples) {
    const line = new RegExp(`^node_scrape_collector_success\\{collector="${labels!.collector}"\\} (\\d)$`, 'm').exec(text);
    assert.equal(value, Number(line?.[1]), `${labels!.collector}: ours ${value}, node_exporter ${line?.[1]} (${JSON.stringify(failures)})`);
  }
  const ours = new Map(families.map((f) => [f.name, { type: f.type, help: f.help, labels: [...new Set(f.samples.flatMap((s) => Object.keys(s.labels ?? {})))].sort().join(',') }]));
  const compared = [...theirs.keys()].filter((n) => n.startsWith('node_') && !n.startsWith('node_scrape_') && n !== 'node_exporter_build_info');
  assert.ok(compared.length > 50, `node_exporter sent only ${compared.length} families`);
  for (const name of compared) assert.deepEqual(ours.get(name), theirs.get(name), name);
});

/** Every sample as "name{k="v",...} value # type help", labels sorted, from Prometheus text format. */
function sampleLines(text: string): string[] {
  const meta = parseExposition(text);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || !/^node_(hwmon|thermal_zone|cooling_device)_/.test(m[1]!)) continue; // theirs: Go runtime, build info, scrape meta
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}="${l[2]}"`).sort().join(',');
    out.push(`${m[1]}{${labels}} ${Number(m[3])} # ${meta.get(m[1]!)!.type} ${meta.get(m[1]!)!.help}`);
  }
  return out.sort();
}

function ourSampleLines(families: readonly MetricFamily[]): string[] {
  return families
    .filter((f) => !f.name.startsWith('node_scrape_'))
    .flatMap((f) => f.samples.map((s) => {
      const labels = Object.entries(s.labels ?? {}).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).sort().join(',');
      return `${f.name}{${labels}} ${Number(s.value)} # ${f.type} ${f.help}`;
    }))
    .sort();
}

// GPU clocks (freq sensors) came to node_exporter after Debian's 1.5.0: ours has them, as its current release.
const newerThanDebian = (line: string): boolean => line.startsWith('node_hwmon_freq_freq_mhz{') || /^node_hwmon_sensor_label\{.*sensor="freq\d+"/.test(line);

for (const [tree, sys, collectors] of [
  ['node_exporter\'s own fixture tree', nodeExporterPaths.sys, ['hwmon', 'thermal_zone']],
  // thermal_zone left out here: Debian's 1.5.0 fails the whole collector on the zone without a
  // temp file, where current prometheus/procfs (and we) skip that zone.
  ['the desktop fixture tree', fixturePaths.sys, ['hwmon']],
] as const) {
  test(`${collectors.join(' and ')} over ${tree}: every sample node_exporter sends, we send with the same value, type and help`, { skip, timeout: 60_000 }, async () => {
    const text = await scrapeNodeExporter(collectors, [`--path.sysfs=${sys}`]);
    assert.match(text, new RegExp(`node_scrape_collector_success\\{collector="${collectors[0]}"\\} 1`));
    const { families, failures } = await collectAll(createCollectors({ proc: '/proc', sys, root: '/' }, [...collectors]), { timeoutMs: 10_000 });
    assert.deepEqual(failures, []);
    const theirs = sampleLines(text);
    assert.ok(theirs.length > 80, `node_exporter sent only ${theirs.length} samples`);
    assert.deepEqual(ourSampleLines(families).filter((l) => !newerThanDebian(l)), theirs);
  });
}
