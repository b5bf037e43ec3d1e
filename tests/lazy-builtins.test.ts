import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { statfs as statfsPromise } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { lazyFsPromises, readFileAsync, statfsAsync } from '../src/lazy-builtins.js';
import { monotonicMs } from '../src/monotonic-clock.js';

test('statfsAsync answers what statfs answers, and fails with the error node:fs/promises gives', async () => {
  const stats = await statfsAsync('/');
  const direct = statfsSync('/');
  assert.equal(stats.bsize, direct.bsize);
  assert.equal(stats.blocks, direct.blocks);
  assert.equal(stats.type, direct.type);
  const missing = '/no/such/mount/point';
  const [ours, theirs] = await Promise.all([statfsAsync(missing).catch((e: unknown) => e), statfsPromise(missing).catch((e: unknown) => e)]);
  assert.ok(ours instanceof Error && theirs instanceof Error);
  assert.equal(ours.message, theirs.message);
  assert.equal((ours as NodeJS.ErrnoException).code, 'ENOENT');
});

test('readFileAsync reads a file whole; lazyFsPromises is node:fs/promises', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-builtins-'));
  try {
    writeFileSync(join(dir, 'f'), Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(await readFileAsync(join(dir, 'f')), Buffer.from([0, 1, 2, 255]));
    await assert.rejects(readFileAsync(join(dir, 'missing')), { code: 'ENOENT' });
    assert.equal(lazyFsPromises().readdir, (await import('node:fs/promises')).readdir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('monotonicMs runs at the rate of performance.now(), never backwards, below the millisecond', () => {
  // Each monotonicMs() read is bracketed by two performance.now() reads, so a preemption between
  // reads (a loaded machine) widens the bracket instead of failing the comparison.
  const p0a = performance.now();
  const m0 = monotonicMs();
  const p0b = performance.now();
  let last = m0;
  let fractional = false;
  for (let i = 0; i < 10_000; i++) {
    const now = monotonicMs();
    assert.ok(now >= last, `${now} after ${last}`);
    if (!Number.isInteger(now)) fractional = true;
    last = now;
  }
  const p1a = performance.now();
  const m1 = monotonicMs();
  const p1b = performance.now();
  // Both read the same monotonic clock; 0.01 ms of slack for the two conversions' rounding.
  const [shortest, longest] = [p1a - p0b, p1b - p0a];
  assert.ok(m1 - m0 >= shortest - 0.01 && m1 - m0 <= longest + 0.01, `monotonic ${m1 - m0} ms outside performance's ${shortest}..${longest} ms`);
  assert.ok(fractional, 'sub-millisecond values');
});
