import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { SETTINGS, type Command } from '../../src/config/settings.js';
import { COMPOSE_SERVICE, FIXED_IN_COMPOSE, composeEnvironment, composePassedVariables, envExample } from '../../scripts/env-example.js';

const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');

it('.env.example is what scripts/env-example.ts makes of the settings table and docker-compose.yml (regenerate: npx tsx scripts/env-example.ts > .env.example)', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  assert.equal(text, envExample(compose));
  for (const s of Object.values(SETTINGS)) assert.match(text, new RegExp(`^#${s.env}=`, 'm'), `${s.env} missing from .env.example`);
});

it('.env.example documents every variable docker-compose.yml reads', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  const used = new Set([...compose.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
  assert.ok(used.size > 5);
  for (const env of used) assert.match(text, new RegExp(`^#${env}=`, 'm'), `${env} missing from .env.example`);
});

it('docker-compose.yml passes every setting of the bridge and the agent from .env to its container, unless the stack fixes it', () => {
  for (const [command, service] of Object.entries(COMPOSE_SERVICE) as [Command, string][]) {
    const passed = composePassedVariables(compose, service);
    assert.ok(passed.length > 5, `${service}: found its environment block`);
    for (const s of Object.values(SETTINGS)) {
      if (!(s.commands as readonly Command[]).includes(command) || s.env in FIXED_IN_COMPOSE) continue;
      assert.ok(passed.includes(s.env), `${s.env} is not passed from .env to the ${service} container (add "${s.env}: \${${s.env}:-}" or say in FIXED_IN_COMPOSE why not)`);
    }
    // A setting given a value of the stack's own would override the user's .env silently.
    for (const [key, value] of Object.entries(composeEnvironment(compose, service))) {
      if (key.startsWith('FLEETPULSE_') && !(key in FIXED_IN_COMPOSE)) assert.ok(passed.includes(key), `${service}: ${key} is set to ${value}, so .env cannot change it`);
    }
  }
});
