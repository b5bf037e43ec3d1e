import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { batchFileName } from '../../../src/agent/outbox/batch-file.js';
import { DiskStore, OutboxDirError } from '../../../src/agent/outbox/disk-store.js';
import { Outbox } from '../../../src/agent/outbox/outbox.js';
import { batch, recordingLog } from './helpers.js';

const T0 = 1_800_000_000_000;
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-outbox-'));
  dirs.push(dir);
  return dir;
}

function diskOutbox(dir: string, log = recordingLog(), maxBytes = 64 * 1024 * 1024): Outbox {
  return new Outbox({ maxBytes, maxAgeMs: 3_600_000, disk: new DiskStore(dir), log });
}

const batchFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.batch')).sort();

describe('Outbox on disk (FLEETPULSE_BUFFER_DIR)', () => {
  it('writes waiting batches to files, removes them on ack, and a new run restores the rest with seqs that go on', () => {
    const dir = tempDir();
    const first = diskOutbox(dir);
    const lines: string[] = [];
    for (let n = 1; n <= 5; n++) lines.push(first.add(batch(n), T0 + n * 1000).line!);
    assert.deepEqual(batchFiles(dir), [1, 2, 3, 4].map(batchFileName), 'the four older batches are on disk; the newest is still fresh');
    first.ack(2);
    first.persist(); // what stop() does
    assert.deepEqual(batchFiles(dir), [1, 3, 4, 5].map(batchFileName));

    const log = recordingLog();
    const second = diskOutbox(dir, log);
    assert.equal(second.size, 4);
    assert.equal(second.stats().oldestTimestampMs, T0 + 1000);
    for (const seq of [1, 3, 4, 5]) {
      const entry = second.nextBacklog(Infinity) ?? second.freshToSend(Infinity);
      assert.equal(entry?.seq, seq);
      assert.equal(second.lineOf(entry!), lines[seq - 1], `batch ${seq} reads back exactly as it was sent`);
      second.ack(seq);
    }
    assert.equal(second.add(batch(6), T0 + 6000).seq, 6, 'seq continues after the restored ones');
    assert.deepEqual(batchFiles(dir), [], 'acknowledged batches leave no file');
    assert.ok(log.lines.some((l) => l.msg === 'outbox restored batches from the previous run' && l.fields.batches === 4));
  });

  it('skips torn, damaged and foreign files at start, counts them as corrupt, and never throws', () => {
    const dir = tempDir();
    const first = diskOutbox(dir);
    for (let n = 1; n <= 6; n++) first.add(batch(n), T0 + n * 1000);
    first.persist();
    const path = (seq: number) => join(dir, batchFileName(seq));
    writeFileSync(path(2), readFileSync(path(2)).subarray(0, 100)); // torn write
    const damaged = readFileSync(path(3));
    damaged[damaged.length - 10]! ^= 0xff;
    writeFileSync(path(3), damaged); // a flipped byte
    writeFileSync(path(4), ''); // empty (a crash before any data reached the disk)
    writeFileSync(join(dir, `${batchFileName(9)}.tmp`), 'half a write');
    writeFileSync(join(dir, 'README'), 'not ours');

    const log = recordingLog();
    const second = diskOutbox(dir, log);
    assert.deepEqual([second.size, second.stats().dropped.corrupt], [3, 3], 'three good batches, three corrupt ones counted');
    assert.deepEqual(readdirSync(dir).sort(), [...[1, 5, 6].map(batchFileName), 'README'], 'corrupt and temporary files removed, a foreign file left alone');
    const warning = log.lines.find((l) => l.level === 'warn');
    assert.equal(warning?.fields.files, 3, 'one warning line for all of them');
  });

  it('a file that goes bad after the start is dropped as corrupt when it is to be sent', () => {
    const dir = tempDir();
    const outbox = diskOutbox(dir);
    const a = outbox.add(batch(1), T0);
    outbox.add(batch(2), T0 + 1000);
    writeFileSync(join(dir, batchFileName(1)), 'garbage');
    assert.equal(outbox.lineOf(a), undefined);
    assert.deepEqual([outbox.size, outbox.stats().dropped.corrupt], [1, 1]);
  });

  it('keeps batches in memory, with one warning, while the directory cannot be written', () => {
    const dir = tempDir();
    const log = recordingLog();
    const outbox = diskOutbox(dir, log);
    rmSync(dir, { recursive: true });
    for (let n = 1; n <= 4; n++) outbox.add(batch(n), T0 + n * 1000);
    assert.equal(outbox.size, 4);
    assert.match(outbox.lineOf(outbox.nextBacklog(Infinity)!)!, /"seq":1,/);
    assert.equal(log.lines.filter((l) => l.level === 'warn').length, 1);
  });

  it('is bounded on disk too: the oldest files go first', () => {
    const dir = tempDir();
    const outbox = diskOutbox(dir, recordingLog(), 128 * 1024);
    for (let n = 1; n <= 200; n++) outbox.add(batch(n), T0 + n * 1000);
    const onDisk = batchFiles(dir).reduce((sum, name) => sum + readFileSync(join(dir, name)).length, 0);
    assert.ok(outbox.bytes <= 128 * 1024 && onDisk <= outbox.bytes, `${onDisk} bytes on disk, ${outbox.bytes} counted`);
    assert.equal(outbox.stats().dropped.full, 200 - outbox.size);
    assert.equal(batchFiles(dir)[0], batchFileName(200 - outbox.size + 1));
  });

  it('refuses to start on a directory it cannot create, saying which setting to fix', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    assert.throws(() => diskOutbox(join(file, 'outbox')), (err: Error) => err instanceof OutboxDirError && /FLEETPULSE_BUFFER_DIR/.test(err.message));
  });
});
