import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bridgeOptions } from '../../src/config/build-options.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log.js';

const log = createLogger('error', {}, () => {});
const dataDir = mkdtempSync(join(tmpdir(), 'fp-rw-config-'));
const options = (env: Record<string, string>) => bridgeOptions(loadConfig('server', [], { FLEETPULSE_DATA_DIR: dataDir, FLEETPULSE_TOKEN: 't', ...env }, {}).values, log);

describe('FLEETPULSE_REMOTE_WRITE_* settings', () => {
  it('are off without a URL', () => {
    assert.equal(options({}).remoteWrite, undefined);
  });

  it('turn into the remote_write options, with the documented defaults', () => {
    const passwordFile = join(dataDir, 'password');
    writeFileSync(passwordFile, 'p\n');
    const rw = options({
      FLEETPULSE_REMOTE_WRITE_URL: 'http://vm:8428/api/v1/write, https://mimir.example.org/api/v1/push',
      FLEETPULSE_REMOTE_WRITE_USERNAME: 'bridge',
      FLEETPULSE_REMOTE_WRITE_PASSWORD_FILE: passwordFile,
      FLEETPULSE_REMOTE_WRITE_HEADERS: 'X-Scope-OrgID=team-a',
      FLEETPULSE_REMOTE_WRITE_EXTERNAL_LABELS: 'site=lab',
    }).remoteWrite!;
    assert.deepEqual(rw.urls, ['http://vm:8428/api/v1/write', 'https://mimir.example.org/api/v1/push']);
    assert.deepEqual(rw.headers, { 'X-Scope-OrgID': 'team-a' });
    assert.deepEqual(rw.externalLabels, { site: 'lab' });
    assert.equal(rw.job, 'fleetpulse');
    assert.equal(rw.timeoutMs, 30_000);
    assert.equal(rw.queueBytes, 64 * 1024 ** 2);
    assert.deepEqual([rw.retryMinMs, rw.retryMaxMs, rw.flushTimeoutMs], [250, 10_000, 5000]);
    assert.deepEqual([rw.flushIntervalMs, rw.maxSamplesPerRequest, rw.concurrency], [1000, 10_000, 2]);
    const tuned = options({ FLEETPULSE_REMOTE_WRITE_URL: 'http://vm:8428/api/v1/write', FLEETPULSE_REMOTE_WRITE_FLUSH_INTERVAL: '0s', FLEETPULSE_REMOTE_WRITE_MAX_SAMPLES_PER_REQUEST: '2000', FLEETPULSE_REMOTE_WRITE_CONCURRENCY: '8' }).remoteWrite!;
    assert.deepEqual([tuned.flushIntervalMs, tuned.maxSamplesPerRequest, tuned.concurrency], [0, 2000, 8]);
    assert.equal(options({}).maxBatchAgeMs, 24 * 3_600_000);
  });

  it('refuse what would leak or cannot work, saying what to do', () => {
    const url = 'http://vm:8428/api/v1/write';
    assert.throws(() => options({ FLEETPULSE_REMOTE_WRITE_URL: 'http://user:pw@vm:8428/api/v1/write' }), /credentials in a URL.*FLEETPULSE_REMOTE_WRITE_USERNAME/);
    assert.throws(() => options({ FLEETPULSE_REMOTE_WRITE_URL: 'ftp://vm/x' }), /not an http\(s\) URL/);
    assert.throws(() => options({ FLEETPULSE_REMOTE_WRITE_URL: `${url},${url}` }), /twice/);
    assert.throws(() => options({ FLEETPULSE_REMOTE_WRITE_URL: url, FLEETPULSE_REMOTE_WRITE_PASSWORD_FILE: '/nonexistent' }), /without FLEETPULSE_REMOTE_WRITE_USERNAME/);
    assert.throws(() => options({ FLEETPULSE_REMOTE_WRITE_URL: url, FLEETPULSE_REMOTE_WRITE_BEARER_TOKEN_FILE: '/nonexistent/token' }), /FLEETPULSE_REMOTE_WRITE_BEARER_TOKEN_FILE=\/nonexistent\/token cannot be read/);
    assert.throws(() => options({ FLEETPULSE_REMOTE_WRITE_URL: url, FLEETPULSE_REMOTE_WRITE_RETRY_MIN: '20s', FLEETPULSE_REMOTE_WRITE_RETRY_MAX: '10s' }), /RETRY_MIN .* larger than .*RETRY_MAX/);
    assert.throws(() => options({ FLEETPULSE_REMOTE_WRITE_URL: url, FLEETPULSE_REMOTE_WRITE_HEADERS: 'Content-Encoding=gzip' }), /sets Content-Encoding/);
    assert.throws(() => options({ FLEETPULSE_REMOTE_WRITE_URL: url, FLEETPULSE_REMOTE_WRITE_HEADERS: 'no value' }), /not Name=value/);
    assert.throws(() => options({ FLEETPULSE_REMOTE_WRITE_URL: url, FLEETPULSE_REMOTE_WRITE_CONCURRENCY: '0' }), /FLEETPULSE_REMOTE_WRITE_CONCURRENCY.*whole number from 1 to 64/);
    assert.throws(() => options({ FLEETPULSE_REMOTE_WRITE_URL: url, FLEETPULSE_REMOTE_WRITE_FLUSH_INTERVAL: '5m' }), /FLEETPULSE_REMOTE_WRITE_FLUSH_INTERVAL.*0s to 1m/);
  });
});
