import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CONSOLE_DIR } from '../../../src/server/http/static-route.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';

// The console's files as a real bridge serves them. Paths go out raw through node:http,
// since fetch() would normalise "..", which is exactly what must reach the server here.

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('static console files', () => {
  let bridge: TestBridge;
  before(async () => {
    bridge = await startTestBridge();
  });
  after(async () => {
    await bridge.stop();
  });

  it('serves index.html at / with a strict Content-Security-Policy', async () => {
    const res = await get(bridge.httpPort, '/');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.body, readFileSync(`${CONSOLE_DIR}index.html`, 'utf8'));
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'no-cache');
  });

  it('has no inline script or style in the page, so the policy needs no exception', () => {
    const html = readFileSync(`${CONSOLE_DIR}index.html`, 'utf8');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
    assert.doesNotMatch(html, /https?:\/\//, 'every asset comes from the bridge');
  });

  it('serves assets under /console/ with their content types', async () => {
    for (const [path, type] of [
      ['/console/app.js', 'text/javascript; charset=utf-8'],
      ['/console/style.css', 'text/css; charset=utf-8'],
      ['/console/favicon.svg', 'image/svg+xml'],
    ] as const) {
      const res = await get(bridge.httpPort, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['content-type'], type, path);
      assert.ok(res.body.length > 0, path);
    }
  });

  it('answers a repeated request with 304 by ETag, and HEAD without a body', async () => {
    const first = await get(bridge.httpPort, '/console/app.js');
    const etag = String(first.headers.etag);
    assert.match(etag, /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await get(bridge.httpPort, '/console/app.js', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    const head = await get(bridge.httpPort, '/console/app.js', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(first.body)));
    assert.equal(head.body, '');
  });

  it('answers 404 for unknown files, folders and types it does not serve', async () => {
    for (const path of ['/console/nope.js', '/console/', '/console', '/console/README', '/console/index.html.bak', '/index.html', '/favicon.ico']) {
      const res = await get(bridge.httpPort, path);
      assert.equal(res.status, 404, path);
      assert.equal(JSON.parse(res.body).errorType, 'not_found', path);
    }
  });

  it('never serves a file outside console/, however the path is spelled', async () => {
    const secret = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    const attempts = [
      '/console/../package.json',
      '/console/..%2Fpackage.json',
      '/console/%2e%2e%2fpackage.json',
      '/console/%2E%2E%2Fpackage.json',
      '/console/..%5Cpackage.json',
      '/console/%2e%2e/package.json',
      '/console/..%252Fpackage.json',
      '/console/%2Fetc%2Fpasswd',
      '/console/.%2F..%2F..%2Fpackage.json',
      '/console/app.js%00.html',
      '/console/.env',
      '/console/..',
      '/../package.json',
      '//package.json',
    ];
    const index = readFileSync(`${CONSOLE_DIR}index.html`, 'utf8');
    for (const path of attempts) {
      const res = await get(bridge.httpPort, path);
      // URL parsing turns "/console/.." and "//x" into "/": the console page, which is fine.
      const isIndex = res.status === 200 && res.body === index;
      assert.ok(res.status === 404 || res.status === 400 || isIndex, `${path}: ${res.status}`);
      assert.notEqual(res.body, secret, path);
      assert.doesNotMatch(res.body, /"devDependencies"|root:x:0/, path);
    }
  });

  it('answers a malformed percent-escape with 400 and keeps running', async () => {
    for (const path of ['/console/%E0%A4%A', '/api/agents/%']) {
      const res = await get(bridge.httpPort, path);
      assert.equal(res.status, 400, path);
      assert.equal(JSON.parse(res.body).errorType, 'bad_request');
    }
    assert.equal((await get(bridge.httpPort, '/healthz')).status, 200);
  });
});
