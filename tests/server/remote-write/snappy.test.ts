import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { uncompress } from 'snappyjs';
import { renderFamily } from '../../../src/server/ingest/render-family.js';
import { loadSnappy } from '../../../src/server/remote-write/snappy.js';
import { batchBytes as encodedBytes, WriteRequestEncoder } from '../../../src/server/remote-write/write-request.js';
import type { RenderedFamily } from '../../../src/server/text-format/rendered-family.js';
import { defaultIngestLimits } from '../../helpers/bridge.js';
import { decodeWriteRequest } from '../../helpers/remote-write-receiver.js';

// Which snappy compresses remote_write bodies: the native one where its prebuilt binary loads,
// snappyjs where it does not (the single-file bundle, a platform without a prebuilt). Both
// conditions are real here: a directory with no `snappy` package to resolve from, and one with
// the package but none of its platform binaries.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Platforms the `snappy` package ships a prebuilt binary for (its optionalDependencies). */
const PREBUILT = ['linux-x64', 'linux-arm64', 'linux-arm', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64', 'win32-ia32', 'freebsd-x64'];

function batchBytes(): Uint8Array {
  const family = renderFamily(
    {
      name: 'node_filesystem_avail_bytes',
      type: 'gauge',
      help: 'avail',
      samples: Array.from({ length: 300 }, (_, i) => ({ labels: { device: `/dev/sd${i}`, mountpoint: `/srv/volume with "quotes" ${i}` }, value: 1e11 - i })),
    },
    'instance="web-1",env="prod"',
    new Set(['instance', 'job', 'env']),
    defaultIngestLimits(),
    { remaining: 1 << 20 },
  ) as RenderedFamily;
  return encodedBytes(new WriteRequestEncoder([['job', 'fleetpulse']]).encodeBatch([family], 1_767_225_600_123));
}

describe('snappy for remote_write bodies', () => {
  it('is the native snappy on a platform it ships a binary for', { skip: PREBUILT.includes(`${process.platform}-${process.arch}`) ? false : `no prebuilt snappy for ${process.platform}-${process.arch}` }, () => {
    const snappy = loadSnappy();
    assert.equal(snappy.library, 'snappy', `fell back: ${snappy.fallbackReason}`);
    assert.equal(snappy.fallbackReason, undefined);
  });

  it('falls back to snappyjs, saying why, where no snappy package can be resolved (as the single-file bundle)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-no-snappy-'));
    try {
      const snappy = loadSnappy(pathToFileURL(join(dir, 'fleetpulse.cjs')).href);
      assert.equal(snappy.library, 'snappyjs');
      assert.match(snappy.fallbackReason ?? '', /Cannot find module 'snappy'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('falls back to snappyjs when the snappy package is there but no binary for this platform (as after a failed optional install)', () => {
    // The package's own loader, copied where none of the @napi-rs/snappy-* binary packages can be found.
    const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-no-binary-'));
    try {
      cpSync(join(ROOT, 'node_modules/snappy'), join(dir, 'node_modules/snappy'), { recursive: true, filter: (from) => !from.endsWith('.node') });
      const snappy = loadSnappy(pathToFileURL(join(dir, 'fleetpulse.js')).href);
      assert.equal(snappy.library, 'snappyjs');
      assert.match(snappy.fallbackReason ?? '', /native binding/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives bodies that decode to the same WriteRequest with either library', () => {
    const bytes = batchBytes();
    const native = loadSnappy();
    const js = loadSnappy(pathToFileURL(join(tmpdir(), 'nowhere', 'x.js')).href);
    assert.equal(js.library, 'snappyjs');
    for (const snappy of [native, js]) {
      const body = snappy.compress(bytes);
      assert.ok(body.length < bytes.length / 3, `${snappy.library}: ${body.length} of ${bytes.length} bytes`);
      const back = uncompress(new Uint8Array(body));
      assert.deepEqual(Buffer.from(back), Buffer.from(bytes), snappy.library);
      const series = decodeWriteRequest(back);
      assert.equal(series.length, 300);
      assert.deepEqual(series[7]!.labels, { __name__: 'node_filesystem_avail_bytes', device: '/dev/sd7', env: 'prod', instance: 'web-1', job: 'fleetpulse', mountpoint: '/srv/volume with "quotes" 7' });
    }
  });
});
