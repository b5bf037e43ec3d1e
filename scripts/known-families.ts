// Writes src/protocol/known-families.generated.ts: the name, TYPE and HELP of every family the
// agent itself emits, read from what its collectors return on the fixture hosts under
// tests/fixtures (`npx tsx scripts/known-families.ts`; the script imports the file it rewrites,
// so it writes it itself once everything is read, never through a shell redirect).
// The collectors stay the one place a family is declared; tests/protocol/known-families.test.ts
// fails when a collector emits a family the generated file lacks or describes otherwise.
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { collectAll } from '../src/agent/collect-all.js';
import { collectorFactories } from '../src/agent/collectors/index.js';
import type { Collector, CollectorOptions, HostPaths } from '../src/agent/collectors/types.js';
import { Outbox } from '../src/agent/outbox/outbox.js';
import { outboxFamilies } from '../src/agent/outbox/outbox-metrics.js';
import { createResponderCollector } from '../src/agent/probes/responder-metrics.js';
import { TCP_REJECT_REASONS } from '../src/agent/probes/sink-session.js';
import { UDP_DROP_REASONS } from '../src/agent/probes/udp-echo.js';
import { createTextfileCollector } from '../src/agent/textfile/textfile-collector.js';
import type { MetricFamily, MetricType } from '../src/protocol/messages.js';
import { FIXTURES, fixturePaths, nodeExporterPaths } from '../tests/agent/collectors/golden.js';

export interface FamilySpec {
  name: string;
  type: MetricType;
  help: string;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} } as never;
const zeros = (keys: readonly string[]): Record<string, number> => Object.fromEntries(keys.map((k) => [k, 0]));

/** Every collector the agent can run, on one fixture host; netstat and vmstat also with every field. */
function collectorsOn(paths: HostPaths): Collector[] {
  const all: CollectorOptions = { netstatFields: /(?:)/, vmstatFields: /(?:)/ };
  return [
    ...Object.values(collectorFactories).map((factory) => factory(paths)),
    collectorFactories.netstat!(paths, all),
    collectorFactories.vmstat!(paths, all),
  ];
}

/** The families the agent emits (host collectors, textfile's own, responder, collector status), by name. */
export async function agentFamilies(): Promise<FamilySpec[]> {
  const byName = new Map<string, FamilySpec>();
  const add = (families: readonly MetricFamily[]): void => {
    for (const { name, type, help } of families) {
      const seen = byName.get(name);
      if (seen && (seen.type !== type || seen.help !== help)) {
        throw new Error(`${name} is emitted as ${seen.type} "${seen.help}" and as ${type} "${help}"; one family, one TYPE and HELP`);
      }
      byName.set(name, { name, type, help });
    }
  };
  const responder = createResponderCollector(() => ({
    udpAnswered: 0,
    udpDropped: zeros(UDP_DROP_REASONS) as never,
    tcpAccepted: 0,
    tcpRejected: zeros(TCP_REJECT_REASONS) as never,
    tcpBytesReceived: 0,
  }));
  for (const paths of [fixturePaths, nodeExporterPaths]) {
    // One failed collector (a file a fixture host lacks) must not hide the others' families;
    // twice, since some emit a family only from their second run (cpu's busy share).
    for (const collector of [...collectorsOn(paths), responder]) {
      for (let run = 0; run < 2; run++) add((await collectAll([collector], { timeoutMs: 60_000 })).families);
    }
  }
  add(await cpuSecondRun());
  // The outbox's families, which the agent adds to every batch (src/agent/outbox/outbox-metrics.ts).
  add(outboxFamilies(new Outbox({ maxBytes: 1, maxAgeMs: 1, log: quiet }).stats(), 1, 0));
  // The textfile collector's own families; the files' families are the user's, not ours.
  const textfile = createTextfileCollector({ dir: join(FIXTURES, 'textfile'), forbiddenLabels: new Set(), log: quiet });
  add((await collectAll([textfile], { timeoutMs: 60_000 })).families.filter((f) => f.name.startsWith('node_textfile_')));
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** cpu's busy share needs two readings that differ; the fixture host's do not move. */
async function cpuSecondRun(): Promise<MetricFamily[]> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetpulse-known-families-'));
  try {
    const cpu = collectorFactories.cpu!({ proc: dir, sys: dir, root: dir });
    await writeFile(join(dir, 'stat'), 'cpu0 1000 0 500 8000 100 0 0 0 0 0\n');
    await cpu.collect(new AbortController().signal);
    await writeFile(join(dir, 'stat'), 'cpu0 1020 0 510 8060 110 0 0 0 0 0\n');
    return await cpu.collect(new AbortController().signal);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function knownFamiliesSource(families: readonly FamilySpec[]): string {
  const rows = families.map((f) => `  [${JSON.stringify(f.name)}, ${JSON.stringify(f.type)}, ${JSON.stringify(f.help)}],`);
  return [
    '// Generated by scripts/known-families.ts from what the agent\'s collectors emit; do not edit.',
    '// Regenerate: npx tsx scripts/known-families.ts',
    "import type { MetricType } from './messages.js';",
    '',
    'export const AGENT_FAMILIES: readonly (readonly [name: string, type: MetricType, help: string])[] = [',
    ...rows,
    '];',
    '',
  ].join('\n');
}

export const GENERATED_FILE = fileURLToPath(new URL('../src/protocol/known-families.generated.ts', import.meta.url));

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(GENERATED_FILE, knownFamiliesSource(await agentFamilies()));
  process.stdout.write(`wrote ${GENERATED_FILE}\n`);
}
