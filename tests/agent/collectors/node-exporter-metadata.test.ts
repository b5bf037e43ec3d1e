// Our /proc families against Debian's node_exporter run on the same host at the same time: every
// family it sends for these collectors, we send too, with its type, help text and label names.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { collectAll } from '../../../src/agent/collect-all.js';
import { createCollectors } from '../../../src/agent/collectors/index.js';
import { eventually, getText } from '../../helpers/http.js';
import { portToHandOut } from '../../helpers/ports.js';

const COLLECTORS = ['netstat', 'sockstat', 'vmstat', 'pressure', 'softnet', 'filefd', 'entropy', 'conntrack', 'arp', 'udp_queues'];
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

test('every /proc family node_exporter sends here, we send with the same type, help and labels', { skip, timeout: 60_000 }, async () => {
  const port = await portToHandOut();
  const child = spawn(BINARY, [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', '--collector.disable-defaults', ...COLLECTORS.map((c) => `--collector.${c}`)], { stdio: 'ignore' });
  children.push(() => child.kill('SIGKILL'));
  const text = await eventually(async () => {
    const res = await getText(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
    return res?.status === 200 ? res.text : undefined;
  }, 20_000, 'node_exporter answering');
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
