import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { CertsError, runCerts } from '../../src/certs/certs-command.js';
import { agentOptions, bridgeOptions } from '../../src/config/build-options.js';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log.js';
import { parseTokensFile, entryFor, tokenFitsEntry } from '../../src/server/auth/agent-tokens-file.js';
import { parseWebConfig } from '../../src/server/http/web-config.js';

// `fleetpulse certs` and the TLS settings around it: what a user runs from docs/security.md.

const dir = mkdtempSync(join(tmpdir(), 'fleetpulse-certs-cli-'));
const lines: string[] = [];
const run = (...argv: string[]) => runCerts([...argv, '--dir', join(dir, 'certs')], (l) => lines.push(l));
const log = createLogger('error');

after(() => rmSync(dir, { recursive: true, force: true }));

describe('fleetpulse certs', () => {
  it('ca, bridge and agent: a chain Node verifies, the agent id as CN and DNS name, keys 0600', () => {
    run('ca');
    run('bridge', '--name', 'bridge.example.org', '--name', '10.0.0.5');
    run('agent', 'web-01');
    const ca = new X509Certificate(readFileSync(join(dir, 'certs/ca.crt')));
    const bridge = new X509Certificate(readFileSync(join(dir, 'certs/bridge.crt')));
    const agent = new X509Certificate(readFileSync(join(dir, 'certs/web-01.crt')));
    assert.ok(ca.ca);
    assert.ok(bridge.checkIssued(ca) && bridge.verify(ca.publicKey));
    assert.ok(agent.checkIssued(ca) && agent.verify(ca.publicKey));
    assert.equal(bridge.checkHost('bridge.example.org'), 'bridge.example.org');
    assert.equal(bridge.checkIP('10.0.0.5'), '10.0.0.5');
    assert.match(agent.subject, /CN=web-01/);
    assert.equal(agent.subjectAltName, 'DNS:web-01');
    // Extended key usage: the agent's for TLS clients only, the bridge's for TLS servers only.
    assert.deepEqual(agent.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.deepEqual(bridge.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    for (const key of ['ca.key', 'bridge.key', 'web-01.key']) assert.equal(statSync(join(dir, 'certs', key)).mode & 0o777, 0o600, key);
  });

  it('refuses to overwrite; --if-missing leaves existing files; --force replaces them', () => {
    const before = readFileSync(join(dir, 'certs/ca.crt'), 'utf8');
    assert.throws(() => run('ca'), (err: Error) => err instanceof CertsError && /ca\.crt exists already; use --force/.test(err.message));
    run('ca', '--if-missing');
    assert.equal(readFileSync(join(dir, 'certs/ca.crt'), 'utf8'), before);
    runCerts(['agent', 'web-02', '--dir', join(dir, 'other'), '--ca-dir', join(dir, 'certs')], () => {});
    assert.ok(new X509Certificate(readFileSync(join(dir, 'other/web-02.crt'))).checkIssued(new X509Certificate(before)));
  });

  it('says what is missing or wrong', () => {
    assert.throws(() => runCerts(['agent', 'x', '--dir', join(dir, 'empty')], () => {}), /no CA in .*empty \(ca\.crt and ca\.key\); run "fleetpulse certs ca --dir/);
    assert.throws(() => run('agent', 'bad id!'), /needs a valid agent id/);
    assert.throws(() => run('agent'), /needs a valid agent id/);
    assert.throws(() => run('nonsense'), /unknown "fleetpulse certs nonsense"/);
    assert.throws(() => run('ca', '--days', '0', '--force'), /--days 0 is not a number of days/);
  });

  it('token: a token and the tokens-file line that admits it, for that id only', () => {
    lines.length = 0;
    run('token', 'web-*');
    const token = /FLEETPULSE_TOKEN\):\s+(\S+)/.exec(lines[0]!)![1]!;
    const line = /TOKENS_FILE:\s+(.+)$/.exec(lines[1]!)![1]!;
    const entries = parseTokensFile(line, 'tokens');
    assert.ok(tokenFitsEntry(entryFor(entries, 'web-7')!, token));
    assert.equal(entryFor(entries, 'db-1'), undefined);
  });

  it('web-config: a file parseWebConfig accepts, whose bcrypt hash matches the written password', () => {
    run('web-config', '--user', 'scraper');
    const path = join(dir, 'certs/web-config.yml');
    const config = parseWebConfig(readFileSync(path, 'utf8'), path);
    assert.equal(config.tls?.certFile, join(dir, 'certs/bridge.crt'));
    const password = readFileSync(join(dir, 'certs/scraper.password'), 'utf8').trim();
    assert.ok(bcrypt.compareSync(password, config.users.get('scraper')!));
  });
});

describe('TLS settings', () => {
  const certs = (f: string) => join(dir, 'certs', f);

  it('the bridge needs cert and key together, and a client CA only with them', () => {
    assert.throws(() => bridgeOptions(loadConfig('server', [], { FLEETPULSE_TLS_CERT: certs('bridge.crt') }, {}).values, log), (e: Error) => e instanceof ConfigError && /FLEETPULSE_TLS_KEY is unset/.test(e.message));
    assert.throws(() => bridgeOptions(loadConfig('server', [], { FLEETPULSE_TLS_CLIENT_CA: certs('ca.crt') }, {}).values, log), /FLEETPULSE_TLS_CLIENT_CA needs FLEETPULSE_TLS_CERT/);
    const ok = bridgeOptions(loadConfig('server', [], { FLEETPULSE_TLS_CERT: certs('bridge.crt'), FLEETPULSE_TLS_KEY: certs('bridge.key'), FLEETPULSE_TLS_CLIENT_CA: certs('ca.crt') }, {}).values, log);
    assert.deepEqual(ok.agentTls, { cert: certs('bridge.crt'), key: certs('bridge.key'), clientCa: certs('ca.crt') });
  });

  it('the agent: TLS on with a CA or a certificate; a key that is not the certificate\'s is named', () => {
    assert.equal(agentOptions(loadConfig('agent', [], {}, {}).values, log).connection.tls, undefined);
    assert.ok(agentOptions(loadConfig('agent', [], { FLEETPULSE_TLS_CA: certs('ca.crt') }, {}).values, log).connection.tls);
    assert.ok(agentOptions(loadConfig('agent', [], { FLEETPULSE_TLS: 'on' }, {}).values, log).connection.tls);
    assert.throws(() => agentOptions(loadConfig('agent', [], { FLEETPULSE_TLS: 'off', FLEETPULSE_TLS_CA: certs('ca.crt') }, {}).values, log), /FLEETPULSE_TLS=off but FLEETPULSE_TLS_CA/);
    assert.throws(() => agentOptions(loadConfig('agent', [], { FLEETPULSE_TLS_CERT: certs('web-01.crt') }, {}).values, log), /FLEETPULSE_TLS_KEY is unset/);
    assert.throws(
      () => agentOptions(loadConfig('agent', [], { FLEETPULSE_TLS_CERT: certs('web-01.crt'), FLEETPULSE_TLS_KEY: certs('bridge.key') }, {}).values, log),
      /FLEETPULSE_TLS_KEY=.*bridge\.key is not the private key of FLEETPULSE_TLS_CERT=.*web-01\.crt/,
    );
    assert.throws(() => agentOptions(loadConfig('agent', [], { FLEETPULSE_TLS_CA: join(dir, 'nope.crt') }, {}).values, log), /FLEETPULSE_TLS_CA=.*nope\.crt cannot be read/);
  });

  it('FLEETPULSE_TOKEN_FILE: the bridge creates a missing one, the agent reads it, FLEETPULSE_TOKEN wins', () => {
    const file = join(dir, 'agent-token');
    const bridge = bridgeOptions(loadConfig('server', [], { FLEETPULSE_TOKEN_FILE: file }, {}).values, log);
    assert.match(bridge.token ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(agentOptions(loadConfig('agent', [], { FLEETPULSE_TOKEN_FILE: file }, {}).values, log).connection.token, bridge.token);
    assert.equal(agentOptions(loadConfig('agent', [], { FLEETPULSE_TOKEN_FILE: file, FLEETPULSE_TOKEN: 'explicit' }, {}).values, log).connection.token, 'explicit');
    writeFileSync(file, '\n');
    assert.throws(() => agentOptions(loadConfig('agent', [], { FLEETPULSE_TOKEN_FILE: file }, {}).values, log), /is empty; put the token on its first line/);
    assert.throws(() => agentOptions(loadConfig('agent', [], { FLEETPULSE_TOKEN_FILE: join(dir, 'missing') }, {}).values, log), /cannot be read/);
  });
});
