import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { isPrivateAddress } from '../../../src/server/auth/private-address.js';
import { eventually } from '../../helpers/http.js';
import { createStarNetwork, netnsExec, type StarNetwork } from '../../helpers/netns.js';
import { killAll, runCli } from '../../helpers/processes.js';

// Protected mode: with no agent authentication configured, agents are accepted only from
// loopback and private addresses. The public case runs between network namespaces on a
// documentation prefix (198.51.100.0/24, TEST-NET-2), which is neither loopback nor private.

describe('isPrivateAddress', () => {
  for (const address of ['127.0.0.1', '127.8.9.10', '::1', '10.1.2.3', '172.16.0.1', '172.31.255.254', '192.168.1.1', 'fd00::1', 'fc12::5', '::ffff:10.0.0.1', '::ffff:127.0.0.1']) {
    it(`${address} is private`, () => assert.equal(isPrivateAddress(address), true));
  }
  for (const address of ['198.51.100.2', '8.8.8.8', '172.32.0.1', '169.254.1.1', '2001:db8::1', 'fe80::1', '::ffff:198.51.100.2', 'not-an-ip', undefined]) {
    it(`${address} is not`, () => assert.equal(isPrivateAddress(address), false));
  }
});

describe('protected mode between network namespaces on a public prefix', () => {
  let network: StarNetwork | undefined;
  let skip: string | undefined;
  let dir: string;

  before(() => {
    const made = createStarNetwork('prot', [{ name: 'bridge' }, { name: 'agent' }], '198.51.100');
    if ('skip' in made) skip = made.skip;
    else network = made;
    dir = mkdtempSync(join(tmpdir(), 'fleetpulse-protected-'));
  });

  after(async () => {
    await killAll();
    network?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => killAll());

  const startBridge = (extra: Record<string, string>) =>
    runCli(['server'], { FLEETPULSE_BIND: '0.0.0.0', FLEETPULSE_DATA_DIR: join(dir, `data-${Object.keys(extra).join('-') || 'none'}`), ...extra }, netnsExec(network!.hosts.bridge!));
  const startAgent = () =>
    runCli(['agent'], { FLEETPULSE_SERVER: `${network!.hosts.bridge!.ip}:9700`, FLEETPULSE_AGENT_ID: 'far-agent', FLEETPULSE_PROBES: 'off', FLEETPULSE_RECONNECT_MIN: '100ms', FLEETPULSE_RECONNECT_MAX: '300ms', FLEETPULSE_STATUS_FILE: join(dir, 'agent.status') }, netnsExec(network!.hosts.agent!));

  it('no authentication: the bridge warns at start, and an agent from 198.51.100.2 gets FP_PROTECTED_MODE naming the settings', async (t) => {
    if (skip) return t.skip(skip);
    const bridge = startBridge({});
    await eventually(() => bridge.output().includes('bridge listening'), 20_000, 'bridge started');
    // The warning is the line after: it may arrive in a later chunk of the bridge's stderr.
    await bridge.waitForOutput(/level=warn msg="no agent authentication is configured: protected mode/);
    const agent = startAgent();
    await eventually(() => agent.output().includes('FP_PROTECTED_MODE'), 20_000, "FP_PROTECTED_MODE in the agent's log");
    assert.match(agent.output(), /protected mode: 198\.51\.100\.2 is not a loopback or private address/);
    assert.match(agent.output(), /FLEETPULSE_TOKEN, FLEETPULSE_AGENT_TOKENS_FILE or FLEETPULSE_TLS_CLIENT_CA/);
    assert.match(agent.output(), /FLEETPULSE_INSECURE=true/);
    assert.doesNotMatch(agent.output(), /connected to bridge/);
    await agent.kill('SIGTERM');
    await bridge.kill('SIGTERM');
  });

  it('FLEETPULSE_INSECURE=true lifts it: the same agent connects', async (t) => {
    if (skip) return t.skip(skip);
    const bridge = startBridge({ FLEETPULSE_INSECURE: 'true' });
    await eventually(() => bridge.output().includes('bridge listening'), 20_000, 'bridge started');
    assert.doesNotMatch(bridge.output(), /protected mode accepts/);
    const agent = startAgent();
    await eventually(() => agent.output().includes('connected to bridge'), 20_000, 'agent connected');
    await agent.kill('SIGTERM');
    await bridge.kill('SIGTERM');
  });

  it('a token lifts it too: authenticated agents from anywhere', async (t) => {
    if (skip) return t.skip(skip);
    const bridge = startBridge({ FLEETPULSE_TOKEN: 'ns-token' });
    await eventually(() => bridge.output().includes('bridge listening'), 20_000, 'bridge started');
    const agent = runCli(['agent'], { FLEETPULSE_SERVER: `${network!.hosts.bridge!.ip}:9700`, FLEETPULSE_AGENT_ID: 'far-agent', FLEETPULSE_PROBES: 'off', FLEETPULSE_TOKEN: 'ns-token', FLEETPULSE_STATUS_FILE: join(dir, 'agent2.status') }, netnsExec(network!.hosts.agent!));
    await eventually(() => agent.output().includes('connected to bridge'), 20_000, 'agent connected');
    await agent.kill('SIGTERM');
    await bridge.kill('SIGTERM');
  });
});
