import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { AGENT_BUNDLE, AGENT_ENV, AGENT_NODE_FLAGS, agentNodeArgs } from '../../src/agent/node-flags.js';
import { FOOTPRINT_AGENT_BUNDLE, FOOTPRINT_AGENT_ENV, footprintAgentArgs } from '../../bench/phases/agent-footprint.js';

// How the agent is started is written in places that cannot import each other: the agent image,
// the systemd unit, and src/agent/node-flags.ts (which the footprint benchmark uses). The
// benchmark's figures are only the deployed agent's if all three start the same file with the
// same flags.

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const read = (path: string): string => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

describe('the agent is deployed and measured the same way everywhere', () => {
  it('Dockerfile.agent: ENTRYPOINT and CMD run the agent bundle with AGENT_NODE_FLAGS', () => {
    const dockerfile = read('Dockerfile.agent');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    assert.ok(entrypoint && cmd, 'exec-form ENTRYPOINT and CMD');
    assert.deepEqual([...JSON.parse(entrypoint[1]!), ...JSON.parse(cmd[1]!)], ['node', ...agentNodeArgs(`/app/dist/${AGENT_BUNDLE}`)]);
    // The image builds the bundle it runs and copies it where the ENTRYPOINT looks.
    assert.match(dockerfile, /^RUN node scripts\/bundle\.mjs\b/m);
    assert.match(dockerfile, new RegExp(`^COPY --from=build /app/dist/${AGENT_BUNDLE.replace(/\./g, '\\.')} \\./dist/$`, 'm'));
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    for (const [name, value] of Object.entries(AGENT_ENV)) assert.match(runtimeStage, new RegExp(`^ENV ${name}=${escape(value)}$`, 'm'), `ENV ${name}`);
    const healthcheck = /^\s+CMD (\[.*\])$/m.exec(dockerfile);
    assert.deepEqual(JSON.parse(healthcheck![1]!), ['node', `/app/dist/${AGENT_BUNDLE}`, 'agent', '--check']);
  });

  it('deploy/systemd/fleetpulse-agent.service: ExecStart and Environment', () => {
    const unit = read('deploy/systemd/fleetpulse-agent.service');
    for (const [name, value] of Object.entries(AGENT_ENV)) assert.match(unit, new RegExp(`^Environment=${name}=${escape(value)}$`, 'm'), `Environment=${name}`);
    const line = /^ExecStart=(.*)$/m.exec(unit);
    assert.equal(line?.[1], ['/usr/bin/node', ...agentNodeArgs(`/opt/fleetpulse/${AGENT_BUNDLE}`)].join(' '));
  });

  it('the footprint benchmark starts the deployed agent: the same bundle, flags and environment', () => {
    assert.equal(FOOTPRINT_AGENT_BUNDLE, fileURLToPath(new URL(`../../dist/${AGENT_BUNDLE}`, import.meta.url)));
    assert.deepEqual(footprintAgentArgs(AGENT_NODE_FLAGS), agentNodeArgs(FOOTPRINT_AGENT_BUNDLE));
    assert.deepEqual(FOOTPRINT_AGENT_ENV, AGENT_ENV);
    // measureAgentFootprint builds it first (buildAgentBundle); tests/bench/bench-smoke.test.ts runs it.
    assert.match(read('scripts/bundle.mjs'), new RegExp(`\\['${AGENT_BUNDLE.replace(/\./g, '\\.')}', 'src/agent-cli\\.ts'\\]`));
  });
});
