import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32, gunzipSync } from 'node:zlib';
import { deflateText } from '../../../src/server/exposition/deflated-families.js';
import { crc32Combine, gzipMember } from '../../../src/server/exposition/gzip-member.js';

describe('crc32Combine', () => {
  it('equals the CRC-32 of the concatenation, for any split', () => {
    const data = randomBytes(5000);
    for (const split of [0, 1, 7, 2500, 4999, 5000]) {
      const a = data.subarray(0, split);
      const b = data.subarray(split);
      assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(data), `split at ${split}`);
    }
  });
});

describe('gzipMember', () => {
  const texts = ['# HELP a x\n# TYPE a gauge\n', 'a{instance="h1"} 1\n'.repeat(3000), '', 'b{instance="é"} 2\n', 'c 3\n'.repeat(40_000)];

  it('splices independently compressed pieces into one gzip stream Node reads back', async () => {
    const pieces = await Promise.all(texts.map(deflateText));
    const body = Buffer.concat(gzipMember(pieces));
    assert.equal(gunzipSync(body).toString('utf8'), texts.join(''));
    // The same pieces in another order make another valid stream: nothing refers across pieces.
    const reversed = Buffer.concat(gzipMember([...pieces].reverse()));
    assert.equal(gunzipSync(reversed).toString('utf8'), [...texts].reverse().join(''));
  });

  it('is one member that gunzip accepts, CRC and length included', async () => {
    const body = Buffer.concat(gzipMember(await Promise.all(texts.map(deflateText))));
    const r = spawnSync('gunzip', ['-c'], { input: body });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stdout.toString('utf8'), texts.join(''));
    const test = spawnSync('gzip', ['-t', '-v'], { input: body });
    assert.equal(test.status, 0, test.stderr.toString());
  });

  it('writes an empty text as a valid empty stream', () => {
    assert.equal(gunzipSync(Buffer.concat(gzipMember([]))).length, 0);
  });
});
