import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { collectAll } from '../../../src/agent/collect-all.js';
import { gauge, single } from '../../../src/agent/collectors/family.js';
import { createTextfileCollector, TEXTFILE_LIMITS, type TextfileLimits } from '../../../src/agent/textfile/textfile-collector.js';
import type { Collector } from '../../../src/agent/collectors/types.js';
import { createLogger } from '../../../src/log.js';
import type { MetricFamily } from '../../../src/protocol/messages.js';
import { assertGolden, FIXTURES, valueOf } from '../collectors/golden.js';

const MTIME = 1795900000;
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-textfile-'));
  dirs.push(dir);
  return dir;
}

/** node_load1 stands for the agent's own collectors. */
const own: Collector = { name: 'loadavg', collect: async () => [gauge('node_load1', '1m load average.', single(0.5))] };

function textfile(dir: string, limits?: TextfileLimits, logLines?: string[]): Collector {
  const log = createLogger('info', {}, (line) => logLines?.push(line));
  return createTextfileCollector({ dir, forbiddenLabels: new Set(['instance', 'job', 'rack']), log, ...(limits ? { limits } : {}) });
}

async function collect(collector: Collector): Promise<MetricFamily[]> {
  const { families, failures } = await collectAll([own, collector], { timeoutMs: 5000 });
  assert.deepEqual(failures, []);
  return families.filter((f) => !f.name.startsWith('node_scrape_collector_') && f.name !== 'node_load1');
}

const names = (families: MetricFamily[]): string[] => families.map((f) => f.name).sort();

describe('textfile collector', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });

  it('matches the golden file over the fixture directory: good files kept, the malformed one skipped', async () => {
    cpSync(join(FIXTURES, 'textfile'), dir, { recursive: true });
    for (const f of readdirSync(dir)) utimesSync(join(dir, f), MTIME, MTIME);
    const families = await collect(textfile(dir));
    assert.equal(valueOf(families, 'node_textfile_scrape_error'), 1, 'broken.prom is malformed');
    assert.equal(valueOf(families, 'node_textfile_mtime_seconds', { file: join(dir, 'backup.prom') }), MTIME);
    assert.equal(valueOf(families, 'node_textfile_mtime_seconds', { file: join(dir, 'broken.prom') }), undefined);
    assert.ok(!families.some((f) => f.name === 'half_written'));
    const backup = families.find((f) => f.name === 'backup_runs_total')!;
    assert.equal(backup.type, 'counter');
    assert.equal(backup.help, 'Backup runs by result.');
    assert.equal(families.find((f) => f.name === 'node_reboot_required')!.help, `Metric read from ${join(dir, 'apt.prom')}`);
    assert.equal(valueOf(families, 'restic_backup_duration_seconds_bucket', { le: '+Inf' }), 41);
    // The temporary directory's name varies: the golden file has it as <dir>.
    await assertGolden('textfile', JSON.parse(JSON.stringify(families).replaceAll(dir, '<dir>')) as MetricFamily[]);
  });

  it('drops a removed file\'s series, and takes a repaired file back', async () => {
    writeFileSync(join(dir, 'a.prom'), 'a_value 1\n');
    writeFileSync(join(dir, 'b.prom'), 'b_value{x="1"} 2\n');
    const collector = textfile(dir);
    assert.deepEqual(names(await collect(collector)), ['a_value', 'b_value', 'node_textfile_mtime_seconds', 'node_textfile_scrape_error']);
    rmSync(join(dir, 'a.prom'));
    writeFileSync(join(dir, 'b.prom'), 'b_value{x="1" 2\n');
    const broken = await collect(collector);
    assert.deepEqual(names(broken), ['node_textfile_scrape_error']);
    assert.equal(valueOf(broken, 'node_textfile_scrape_error'), 1);
    writeFileSync(join(dir, 'b.prom'), 'b_value{x="1"} 3\n');
    const repaired = await collect(collector);
    assert.equal(valueOf(repaired, 'b_value', { x: '1' }), 3);
    assert.equal(valueOf(repaired, 'node_textfile_scrape_error'), 0);
    assert.equal(valueOf(repaired, 'a_value'), undefined);
  });

  it('skips a file that would shadow or impersonate, and keeps the others', async () => {
    const bad: Record<string, string> = {
      'own.prom': '# TYPE node_load1 counter\nnode_load1 7\n', // a family of the agent's own collectors
      'up.prom': 'up 1\n',
      'scrape.prom': 'scrape_duration_seconds 1\n',
      'collector.prom': 'node_scrape_collector_success{collector="x"} 1\n',
      'bridge.prom': 'fleetpulse_agent_up 1\n',
      'instance.prom': 'x_value{instance="other-host"} 1\n',
      'static.prom': 'y_value{rack="r9"} 1\n', // a static label of this agent
      'dunder.prom': 'z_value{__name__="q"} 1\n',
      'timestamp.prom': 'ts_value 1 1700000000000\n',
      'dup.prom': 'd_value{a="1"} 1\nd_value{a="1"} 2\n',
    };
    for (const [file, text] of Object.entries(bad)) writeFileSync(join(dir, file), text);
    writeFileSync(join(dir, 'good.prom'), '# HELP good_value Fine.\n# TYPE good_value gauge\ngood_value 1\n');
    const lines: string[] = [];
    const collector = textfile(dir, undefined, lines);
    const families = await collect(collector);
    assert.deepEqual(names(families), ['good_value', 'node_textfile_mtime_seconds', 'node_textfile_scrape_error']);
    assert.equal(valueOf(families, 'node_textfile_scrape_error'), 1);
    for (const file of Object.keys(bad)) assert.ok(lines.some((l) => l.includes('msg="textfile skipped"') && l.includes(`file=${join(dir, file)}`)), `${file} is logged`);
    assert.match(lines.find((l) => l.includes('own.prom'))!, /node_load1 is a family of the agent's own collectors \(gauge\)/);
    assert.match(lines.find((l) => l.includes('instance.prom'))!, /label instance is set by the bridge/);
    assert.match(lines.find((l) => l.includes('timestamp.prom'))!, /has a timestamp/);
    // Logged when a problem appears or changes, not every interval.
    const count = lines.length;
    await collect(collector);
    assert.equal(lines.length, count);
    rmSync(join(dir, 'up.prom'));
    await collect(collector);
    assert.ok(lines.slice(count).some((l) => l.includes('msg="textfile problem resolved"') && l.includes('up.prom')));
  });

  it('across files: a type conflict or a repeated series skips the later file (in name order)', async () => {
    writeFileSync(join(dir, 'a.prom'), '# TYPE shared gauge\nshared{from="a"} 1\nrepeated 1\n');
    writeFileSync(join(dir, 'b.prom'), '# TYPE shared counter\nshared{from="b"} 2\n');
    writeFileSync(join(dir, 'c.prom'), 'repeated 2\n');
    writeFileSync(join(dir, 'd.prom'), '# TYPE shared gauge\nshared{from="d"} 4\n');
    const families = await collect(textfile(dir));
    assert.deepEqual(families.find((f) => f.name === 'shared')!.samples.map((s) => s.labels?.from), ['a', 'd']);
    assert.equal(valueOf(families, 'repeated'), 1);
    assert.deepEqual(families.find((f) => f.name === 'node_textfile_mtime_seconds')!.samples.map((s) => s.labels?.file), [join(dir, 'a.prom'), join(dir, 'd.prom')]);
  });

  it('bounds files, bytes and series', async () => {
    const limits = { maxFiles: 3, maxFileBytes: 64, maxSeries: 4 };
    writeFileSync(join(dir, 'a.prom'), 'a_value{i="1"} 1\na_value{i="2"} 1\na_value{i="3"} 1\n');
    writeFileSync(join(dir, 'b.prom'), 'b_value{i="1"} 1\nb_value{i="2"} 1\n'); // 3 + 2 > 4 series
    writeFileSync(join(dir, 'c.prom'), `c_value{x="${'x'.repeat(64)}"} 1\n`); // > 64 bytes
    writeFileSync(join(dir, 'd.prom'), 'd_value 1\n'); // the 4th file
    const lines: string[] = [];
    const families = await collect(textfile(dir, limits, lines));
    assert.deepEqual(names(families), ['a_value', 'node_textfile_mtime_seconds', 'node_textfile_scrape_error']);
    assert.ok(lines.some((l) => l.includes('b.prom') && l.includes('past 4')));
    assert.ok(lines.some((l) => l.includes('c.prom') && l.includes('at most 64')));
    assert.ok(lines.some((l) => l.includes('4 .prom files; only the first 3')));
  });

  it('never hangs on a FIFO, ignores other names and directories, reports a missing directory', async () => {
    const fifo = spawnSync('mkfifo', [join(dir, 'pipe.prom')]);
    assert.equal(fifo.status, 0, `mkfifo: ${fifo.stderr}`);
    writeFileSync(join(dir, 'notes.txt'), 'not a metric\n');
    writeFileSync(join(dir, 'job.prom.tmp'), 'half written');
    writeFileSync(join(dir, 'ok.prom'), 'ok_value 1\n');
    const lines: string[] = [];
    const families = await collect(textfile(dir, undefined, lines));
    assert.equal(valueOf(families, 'ok_value'), 1);
    assert.equal(valueOf(families, 'node_textfile_scrape_error'), 1);
    assert.ok(lines.some((l) => l.includes('pipe.prom') && l.includes('a FIFO, not a regular file')), lines.join('\n'));
    const missing = await collect(textfile(join(dir, 'nope')));
    assert.deepEqual(names(missing), ['node_textfile_scrape_error']);
    assert.equal(valueOf(missing, 'node_textfile_scrape_error'), 1);
  });

  it('refuses a symlink to /dev/zero and a file past the byte bound; the other files are kept', async () => {
    symlinkSync('/dev/zero', join(dir, 'zero.prom'));
    writeFileSync(join(dir, 'huge.prom'), `# ${'x'.repeat(TEXTFILE_LIMITS.maxFileBytes)}\nhuge_value 1\n`);
    writeFileSync(join(dir, 'ok.prom'), 'ok_value 1\n');
    const lines: string[] = [];
    const families = await collect(textfile(dir, undefined, lines));
    assert.deepEqual(names(families), ['node_textfile_mtime_seconds', 'node_textfile_scrape_error', 'ok_value']);
    assert.equal(valueOf(families, 'node_textfile_scrape_error'), 1);
    assert.ok(lines.some((l) => l.includes('zero.prom') && l.includes('a character device, not a regular file')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('huge.prom') && l.includes(`at most ${TEXTFILE_LIMITS.maxFileBytes}`)), lines.join('\n'));
  });

  it('has defaults that keep textfiles well under the bridge\'s default series limit', () => {
    assert.ok(TEXTFILE_LIMITS.maxSeries <= 5000 && TEXTFILE_LIMITS.maxFileBytes <= 1024 * 1024);
  });
});
