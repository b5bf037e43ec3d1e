import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectAll } from '../../../src/agent/collect-all.js';
import { createLoadavgCollector } from '../../../src/agent/collectors/loadavg.js';
import { createFilefdCollector } from '../../../src/agent/collectors/filefd.js';
import { MAX_TEXT_BYTES, openIfExists, readText, readTextIfExistsSync, readTextSync, UnreadableFileError } from '../../../src/agent/collectors/read-text.js';
import { readAttributeSync } from '../../../src/agent/collectors/sysfs-file.js';

// Every /proc and /sys read of the agent goes through these helpers. A host tree mounted at
// HOST_PROC/HOST_SYS is the host's to fill: a FIFO there must not block the agent's only thread
// (a blocking open waits for a writer forever), a device must not be read without end, and a
// huge file must not be buffered whole. Each case is a real FIFO, a real symlink to /dev/zero
// and a real large file; a regression hangs the file rather than failing it (the reads are
// synchronous), so each case is small and asserts the error it gets.

let dir: string;
const signal = new AbortController().signal;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fp-read-text-'));
  const mkfifo = spawnSync('mkfifo', [join(dir, 'fifo')]);
  assert.equal(mkfifo.status, 0, `mkfifo failed: ${mkfifo.stderr}`);
  symlinkSync('/dev/zero', join(dir, 'zero'));
  writeFileSync(join(dir, 'big'), Buffer.alloc(200 * 1024, 'x'));
  writeFileSync(join(dir, 'ok'), 'fine\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

function refused(code: UnreadableFileError['code'], path: string, kind: RegExp) {
  return (err: unknown) => err instanceof UnreadableFileError && err.code === code && err.message.startsWith(`${path}: `) && kind.test(err.message);
}

describe('readTextSync / readText', () => {
  it('refuses a FIFO without blocking on it', async () => {
    const fifo = join(dir, 'fifo');
    assert.throws(() => readTextSync(fifo), refused('FP_NOT_REGULAR_FILE', fifo, /a FIFO, not a regular file/));
    await assert.rejects(readText(fifo, signal), refused('FP_NOT_REGULAR_FILE', fifo, /a FIFO/));
    assert.throws(() => readTextIfExistsSync(fifo), refused('FP_NOT_REGULAR_FILE', fifo, /a FIFO/));
  });

  it('refuses a symlink to /dev/zero (a device never ends)', () => {
    const zero = join(dir, 'zero');
    assert.throws(() => readTextSync(zero), refused('FP_NOT_REGULAR_FILE', zero, /a character device/));
  });

  it('refuses a file past the bound, reads one within it across several chunks', () => {
    const big = join(dir, 'big');
    assert.throws(() => readTextSync(big, 100 * 1024), refused('FP_FILE_TOO_LARGE', big, /larger than 102400 bytes/));
    assert.equal(readTextSync(big, 200 * 1024).length, 200 * 1024);
    assert.ok(MAX_TEXT_BYTES >= 16 * 1024 * 1024, 'the default leaves room for big procfs tables');
  });

  it('reads procfs files, which report size 0, whole', () => {
    const text = readTextSync('/proc/self/status');
    assert.match(text, /^Name:/);
    assert.match(text, /\nPid:\s+\d+\n/);
    assert.match(readTextSync('/proc/self/mountinfo'), /\n$/);
  });

  it('a missing file is still ENOENT (undefined from the IfExists variants)', () => {
    assert.throws(() => readTextSync(join(dir, 'missing')), { code: 'ENOENT' });
    assert.equal(readTextIfExistsSync(join(dir, 'missing')), undefined);
    assert.equal(readTextSync(join(dir, 'ok')), 'fine\n');
  });
});

describe('openIfExists and readAttributeSync', () => {
  it('openIfExists refuses a FIFO and a device; a regular file opens', () => {
    assert.throws(() => openIfExists(join(dir, 'fifo')), refused('FP_NOT_REGULAR_FILE', join(dir, 'fifo'), /a FIFO/));
    assert.throws(() => openIfExists(join(dir, 'zero')), refused('FP_NOT_REGULAR_FILE', join(dir, 'zero'), /a character device/));
    assert.equal(openIfExists(join(dir, 'missing')), undefined);
    assert.equal(typeof openIfExists(join(dir, 'ok')), 'number');
  });

  it('readAttributeSync refuses a FIFO without blocking, and /dev/zero', () => {
    assert.throws(() => readAttributeSync(join(dir, 'fifo')), refused('FP_NOT_REGULAR_FILE', join(dir, 'fifo'), /a FIFO/));
    assert.throws(() => readAttributeSync(join(dir, 'zero')), refused('FP_NOT_REGULAR_FILE', join(dir, 'zero'), /a character device/));
  });
});

describe('a collector over a hostile host tree', () => {
  it('fails with the path in its error; the other collectors are kept', async () => {
    const proc = join(dir, 'proc');
    mkdirSync(proc);
    assert.equal(spawnSync('mkfifo', [join(proc, 'loadavg')]).status, 0);
    mkdirSync(join(proc, 'sys', 'fs'), { recursive: true });
    writeFileSync(join(proc, 'sys', 'fs', 'file-nr'), '1024\t0\t9223372036854775807\n');
    const paths = { proc, sys: join(dir, 'sys'), root: dir };
    const { families, failures } = await collectAll([createLoadavgCollector(paths), createFilefdCollector(paths)], { timeoutMs: 60_000 });
    assert.deepEqual(failures.map((f) => f.collector), ['loadavg']);
    assert.match(failures[0]!.error, new RegExp(`${join(proc, 'loadavg')}: a FIFO, not a regular file`));
    const success = families.find((f) => f.name === 'node_scrape_collector_success')!;
    assert.deepEqual(success.samples.map((s) => [s.labels?.collector, s.value]), [['loadavg', 0], ['filefd', 1]]);
    assert.equal(families.find((f) => f.name === 'node_filefd_allocated')?.samples[0]?.value, 1024);
    assert.equal(families.some((f) => f.name === 'node_load1'), false);
  });
});
