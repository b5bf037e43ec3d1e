import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { SETTINGS } from '../../src/config/settings.js';

it('.env.example documents every setting (regenerate: npx tsx scripts/env-example.ts > .env.example)', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  for (const s of Object.values(SETTINGS)) {
    assert.match(text, new RegExp(`^#${s.env}=`, 'm'), `${s.env} missing from .env.example`);
    assert.ok(text.includes(s.description), `${s.env}: description out of date`);
  }
});

it('.env.example documents every variable docker-compose.yml reads', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
  const used = new Set([...compose.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
  assert.ok(used.size > 5);
  for (const env of used) assert.match(text, new RegExp(`^#${env}=`, 'm'), `${env} missing from .env.example`);
});
