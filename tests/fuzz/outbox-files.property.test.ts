import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { batchFileName, decodeBatchFile, encodeBatchFile } from '../../src/agent/outbox/batch-file.js';
import { compressLine } from '../../src/agent/outbox/compression.js';
import { metricsLine } from '../../src/agent/outbox/batch-line.js';
import { DiskStore } from '../../src/agent/outbox/disk-store.js';
import { Outbox } from '../../src/agent/outbox/outbox.js';
import { createLogger } from '../../src/log.js';

// The outbox directory is read back after crashes, full disks and whatever else happened to
// it: whatever its files hold, the reader either restores a batch exactly as it was written
// or skips the file, counted, and never throws.

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const record = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  timestampMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  payload: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)),
});

describe('outbox batch files (fast-check)', () => {
  it('decodes any bytes without throwing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      decodeBatchFile(Buffer.from(bytes));
    }), { numRuns: RUNS * 3 });
  });

  it('decodes what it encoded, and detects any truncation or single changed byte', () => {
    fc.assert(fc.property(record, fc.nat(), fc.integer({ min: 1, max: 255 }), (r, at, flip) => {
      const file = encodeBatchFile(r);
      assert.deepEqual(decodeBatchFile(file), { ...r });
      const damaged = Buffer.from(file);
      damaged[at % file.length]! ^= flip;
      assert.ok('problem' in decodeBatchFile(damaged), `a changed byte at ${at % file.length} is noticed`);
      assert.ok('problem' in decodeBatchFile(file.subarray(0, at % file.length)), 'a truncated file is noticed');
    }), { numRuns: RUNS });
  });

  it('restores a directory of random, damaged and good files without throwing, counting what it skips', () => {
    const good = (seq: number) => encodeBatchFile({ seq, timestampMs: 1_800_000_000_000 + seq, payload: compressLine(metricsLine(seq, 1_800_000_000_000 + seq, [])) });
    const file = fc.oneof(
      fc.uint8Array({ maxLength: 120 }).map((a) => ({ kind: 'random', data: Buffer.from(a) })),
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, flip]) => ({ kind: 'damaged', at, flip })),
      fc.constant({ kind: 'good' }),
    );
    fc.assert(fc.property(fc.array(file, { maxLength: 8 }), (files) => {
      const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-outbox-fuzz-'));
      dirs.push(dir);
      let goodOnes = 0;
      files.forEach((f, i) => {
        const seq = i + 1;
        let data: Buffer;
        if (f.kind === 'good') {
          data = good(seq);
          goodOnes++;
        } else if (f.kind === 'damaged') {
          data = Buffer.from(good(seq));
          data[(f as { at: number }).at % data.length]! ^= (f as { flip: number }).flip;
        } else data = (f as { data: Buffer }).data;
        writeFileSync(join(dir, batchFileName(seq)), data);
      });
      const outbox = new Outbox({ maxBytes: 1 << 20, maxAgeMs: 3_600_000, disk: new DiskStore(dir), log: createLogger('error') });
      assert.equal(outbox.size + outbox.stats().dropped.corrupt, files.length, 'every file restored or counted');
      assert.ok(outbox.size >= goodOnes, 'no good file is lost');
      // What was restored reads back, or is dropped as corrupt: never an exception.
      for (let e = outbox.nextBacklog(Infinity) ?? outbox.freshToSend(Infinity); e; e = outbox.nextBacklog(Infinity) ?? outbox.freshToSend(Infinity)) {
        const line = outbox.lineOf(e);
        if (line !== undefined) outbox.ack(e.seq);
      }
      assert.deepEqual(readdirSync(dir), []);
      rmSync(dir, { recursive: true, force: true });
    }), { numRuns: Math.max(20, RUNS / 5) });
  });
});
