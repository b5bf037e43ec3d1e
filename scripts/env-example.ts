// Prints .env.example from the settings table: `npx tsx scripts/env-example.ts > .env.example`.
// tests/config/env-example.test.ts fails when the file falls behind the table.
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
process.stdout.write(lines.join('\n'));
