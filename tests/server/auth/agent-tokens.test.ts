import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { entryFor, parseTokensFile, sha256Line, TokensFileError } from '../../../src/server/auth/agent-tokens-file.js';
import { startTestBridge, type TestBridge } from '../../helpers/bridge.js';
import { getText } from '../../helpers/http.js';
import { LineClient } from '../../helpers/line-client.js';

// FLEETPULSE_AGENT_TOKENS_FILE: one host's secret cannot speak for another, the file is re-read
// when it changes, and a session is only replaced by one that proved as much.

describe('parseTokensFile', () => {
  const hash = 'sha256:' + 'ab'.repeat(32);

  it('reads ids and patterns; the exact id wins, then the pattern with most literal characters', () => {
    const entries = parseTokensFile(`# comment\n\nweb-*  ${hash}\nweb-01 ${hash}\n*  ${hash}\nweb-0*\t${hash}\n`, 'tokens');
    assert.equal(entryFor(entries, 'web-01')?.pattern, 'web-01');
    assert.equal(entryFor(entries, 'web-02')?.pattern, 'web-0*');
    assert.equal(entryFor(entries, 'web-10')?.pattern, 'web-*');
    assert.equal(entryFor(entries, 'db')?.pattern, '*');
    // "." in an id is literal, not a regular-expression wildcard.
    assert.equal(entryFor(parseTokensFile(`a.b ${hash}\n`, 't'), 'axb'), undefined);
  });

  for (const [text, message] of [
    [`web-01\n`, /line 1: expected "<agent id or pattern> sha256:<64 hex digits>", got 1 fields/],
    [`# x\nweb-01 md5:abc\n`, /line 2: the hash must be sha256: and 64 lowercase hex digits/],
    [`web 01 ${hash}\n`, /got 3 fields/],
    [`-bad ${hash}\n`, /"-bad" is not an agent id or pattern/],
    [`a ${hash}\na ${hash}\n`, /line 2: "a" is listed twice/],
  ] as const) {
    it(`refuses ${JSON.stringify(text)} naming the line`, () => {
      assert.throws(() => parseTokensFile(text, 'tokens'), (err: Error) => err instanceof TokensFileError && message.test(err.message) && err.message.startsWith('tokens line'));
    });
  }
});

describe('a bridge with a tokens file', () => {
  let dir: string;
  let file: string;
  let t: TestBridge;
  let web01: LineClient;
  const write = (lines: string[]) => writeFileSync(file, lines.join('\n') + '\n');

  async function hello(id: string, token: string | undefined): Promise<LineClient> {
    const c = await LineClient.connect(t.ingestPort);
    c.hello(id, token === undefined ? {} : { token });
    await c.waitFor((m) => m.type === 'welcome' || (m.type === 'error' && m.fatal === true));
    return c;
  }

  async function web01Unharmed(): Promise<void> {
    assert.equal(web01.closed, false, 'web-01 is still connected');
    assert.match((await getText(`${t.url}/metrics`)).text, /^node_load1\{instance="web-01"\} 0\.5$/m);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetpulse-tokens-'));
    file = join(dir, 'agent-tokens');
    write([sha256Line('web-01', 'secret-of-web-01'), sha256Line('web-*', 'secret-of-the-web-pool')]);
    t = await startTestBridge({ agentTokensFile: file });
    web01 = await hello('web-01', 'secret-of-web-01');
    web01.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [{ name: 'node_load1', type: 'gauge', help: 'h', samples: [{ value: 0.5 }] }] });
    await web01.waitFor((m) => m.type === 'ack');
  });

  after(async () => {
    web01?.close();
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('another host\'s token cannot speak for web-01 (its own entry governs it): FP_AUTH_FAILED naming the entry', async () => {
    const c = await hello('web-01', 'secret-of-the-web-pool');
    const err = await c.waitForError('FP_AUTH_FAILED');
    assert.match(String(err.message), /the token does not match for agent id "web-01" \(entry "web-01", line 1 of FLEETPULSE_AGENT_TOKENS_FILE\)/);
    await c.waitForClose();
    await web01Unharmed();
  });

  it('a pattern entry admits the ids it matches, with its own token only', async () => {
    const ok = await hello('web-02', 'secret-of-the-web-pool');
    assert.ok(ok.received.some((m) => m.type === 'welcome'));
    ok.close();
    const wrong = await hello('web-03', 'secret-of-web-01');
    await wrong.waitForError('FP_AUTH_FAILED');
    await web01Unharmed();
  });

  it('an id with no entry (and no shared token) is refused, saying so', async () => {
    const c = await hello('db-01', 'anything');
    const err = await c.waitForError('FP_AUTH_FAILED');
    assert.match(String(err.message), /agent id "db-01" has no entry in FLEETPULSE_AGENT_TOKENS_FILE/);
    await web01Unharmed();
  });

  it('the file is re-read when it changes: a rotated token works at once, the old one no longer', async () => {
    write([sha256Line('web-01', 'secret-of-web-01'), sha256Line('web-*', 'rotated-pool-secret')]);
    const rotated = await hello('web-02', 'rotated-pool-secret');
    assert.ok(rotated.received.some((m) => m.type === 'welcome'), JSON.stringify(rotated.received));
    rotated.close();
    const old = await hello('web-04', 'secret-of-the-web-pool');
    await old.waitForError('FP_AUTH_FAILED');
    await web01Unharmed();
  });

  it('a broken edit keeps the previous entries', async () => {
    writeFileSync(file, 'web-01 not-a-hash\n');
    const c = await hello('web-05', 'rotated-pool-secret');
    assert.ok(c.received.some((m) => m.type === 'welcome'), JSON.stringify(c.received));
    c.close();
    write([sha256Line('web-01', 'secret-of-web-01'), sha256Line('web-*', 'rotated-pool-secret')]);
  });

  it('the same id with its own token replaces the old session (a restarted agent gets back in)', async () => {
    const again = await hello('web-01', 'secret-of-web-01');
    assert.ok(again.received.some((m) => m.type === 'welcome'));
    await web01.waitForError('FP_REPLACED');
    web01.close();
    web01 = again;
    web01.send({ type: 'metrics', seq: 1, timestamp_ms: Date.now(), families: [{ name: 'node_load1', type: 'gauge', help: 'h', samples: [{ value: 0.5 }] }] });
    await web01.waitFor((m) => m.type === 'ack');
    await web01Unharmed();
  });
});

describe('takeover needs as much proof as the session holding the id', () => {
  let dir: string;
  let t: TestBridge;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetpulse-tokens-'));
    writeFileSync(join(dir, 'tokens'), sha256Line('web-01', 'own-secret') + '\n');
    t = await startTestBridge({ agentTokensFile: join(dir, 'tokens'), token: 'fleet-shared-token' });
  });

  after(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after web-01 lost its entry, a shared-token hello for web-01 gets FP_ID_IN_USE while the per-agent session lives', async () => {
    const owner = await LineClient.connect(t.ingestPort);
    owner.hello('web-01', { token: 'own-secret' });
    await owner.waitFor((m) => m.type === 'welcome');
    // The id now falls under the shared token, which proves less than web-01's own token did.
    writeFileSync(join(dir, 'tokens'), sha256Line('db-*', 'x') + '\n');
    const weaker = await LineClient.connect(t.ingestPort);
    weaker.hello('web-01', { token: 'fleet-shared-token' });
    const err = await weaker.waitForError('FP_ID_IN_USE');
    assert.match(String(err.message), /held by a connection that proved it with a per-agent token/);
    assert.equal(owner.closed, false);
    const agents = JSON.parse((await getText(`${t.url}/api/agents/web-01`)).text);
    assert.equal(agents.data.connected, true);
    owner.close();
  });
});
