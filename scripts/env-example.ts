// Prints .env.example from the settings table: `npx tsx scripts/env-example.ts > .env.example`.
// tests/config/env-example.test.ts fails when the file falls behind the table.
import { readFileSync } from 'node:fs';
import { SETTINGS } from '../src/config/settings.js';

const lines = [
  '# fleetpulse settings. Copy to .env and uncomment what you change.',
  '# Precedence: command-line flag > environment variable > this .env file > default.',
  '# `fleetpulse <server|agent|demo> --help` prints the same list.',
  '',
];
for (const s of Object.values(SETTINGS)) {
  const def = typeof s.default === 'function' ? '' : (s.default ?? '');
  lines.push(`# ${s.description.replace(/\.$/, "")}. Used by: ${s.commands.join(', ')}. Flag: --${s.flag}`);
  lines.push(`#${s.env}=${def}`, '');
}
// The Compose stack's own settings, documented once in docker-compose.yml's header comment.
const compose = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8');
const composeSettings = [...compose.matchAll(/^#[ \t]+([A-Z][A-Z0-9_]*)=(\S*)[ \t]*(.*)$/gm)].filter(([, env]) => !lines.some((l) => l.startsWith(`#${env}=`)));
if (composeSettings.length > 0) {
  lines.push('# --- docker compose only (see the header of docker-compose.yml) ---', '');
  for (const [, env, def, description] of composeSettings) {
    if (description) lines.push(`# ${description}`);
    lines.push(`#${env}=${def}`, '');
  }
}
process.stdout.write(lines.join('\n'));
