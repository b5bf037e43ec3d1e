import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { AGENT_NODE_FLAGS } from '../../src/agent/node-flags.js';

// The agent's node flags are written in three places that cannot import each other: the
// agent image, the systemd unit and src/agent/node-flags.ts (which the benchmark uses).

const read = (path: string): string => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

describe('the agent is deployed with AGENT_NODE_FLAGS everywhere', () => {
  it('Dockerfile.agent: ENTRYPOINT', () => {
    const line = /^ENTRYPOINT (\[.*\])$/m.exec(read('Dockerfile.agent'));
    assert.ok(line, 'an exec-form ENTRYPOINT');
    assert.deepEqual(JSON.parse(line[1]!), ['node', ...AGENT_NODE_FLAGS, '/app/dist/cli.js']);
  });

  it('deploy/systemd/fleetpulse-agent.service: ExecStart', () => {
    const line = /^ExecStart=(.*)$/m.exec(read('deploy/systemd/fleetpulse-agent.service'));
    assert.equal(line?.[1], ['/usr/bin/node', ...AGENT_NODE_FLAGS, '/opt/fleetpulse/fleetpulse.cjs', 'agent'].join(' '));
  });
});
