import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SETTINGS, type Command, type Setting, type SettingKey, type SettingValues } from './settings.js';

/** A setting that cannot be used; the message is one line naming it, its value and what is allowed. */
export class ConfigError extends Error {
  readonly code = 'FP_CONFIG';
}

export interface LoadedConfig {
  values: SettingValues;
  help: boolean;
  /** `fleetpulse agent --check`: report the running agent's health and exit. */
  check: boolean;
  /** Things worth a warning that do not stop the program: FLEETPULSE_* names no setting has. */
  warnings: string[];
}

export function settingsFor(command: Command): [SettingKey, Setting][] {
  return (Object.entries(SETTINGS) as [SettingKey, Setting][]).filter(([, s]) => s.commands.includes(command));
}

/** Reads the .env file in the working directory, if any, without touching process.env. */
export async function readDotEnv(path = '.env'): Promise<Record<string, string>> {
  if (!existsSync(path)) return {};
  // Imported only when there is a .env: dotenv loads node:crypto and the CommonJS loader, about
  // 2 MiB of an agent's RSS that an agent configured by its environment would never use.
  const { default: dotenv } = await import('dotenv');
  return dotenv.parse(readFileSync(path));
}

/**
 * Resolves every setting of `command`: flag > environment > .env > default.
 * Throws ConfigError on the first unusable value.
 */
export function loadConfig(command: Command, argv: string[], env: NodeJS.ProcessEnv, dotEnv: Record<string, string>): LoadedConfig {
  const settings = settingsFor(command);
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  if (command === 'agent') options.check = { type: 'boolean' };
  for (const [, s] of settings) options[s.flag] = { type: 'string' };
  let flags: Record<string, string | boolean | undefined>;
  try {
    ({ values: flags } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; run "fleetpulse ${command} --help" for the settings`);
  }
  const values = {} as Record<SettingKey, unknown>;
  for (const [key, s] of settings) {
    const flag = flags[s.flag];
    const [source, raw] =
      typeof flag === 'string' ? [`--${s.flag}`, flag]
      : env[s.env] !== undefined && env[s.env] !== '' ? [s.env, env[s.env]!]
      : dotEnv[s.env] !== undefined && dotEnv[s.env] !== '' ? [`${s.env} (from .env)`, dotEnv[s.env]!]
      : ['default', typeof s.default === 'function' ? s.default(command) : s.default];
    if (raw === undefined) {
      values[key] = undefined;
      continue;
    }
    try {
      values[key] = s.parse(raw);
    } catch (err) {
      const name = source === 'default' ? `${s.env} (default)` : source;
      throw new ConfigError(`${name}=${JSON.stringify(raw)} ${(err as Error).message}`);
    }
  }
  const warnings = unknownSettingWarnings(env, dotEnv);
  return { values: values as SettingValues, help: flags.help === true, check: flags.check === true, warnings };
}

/**
 * FLEETPULSE_* names in the environment or .env that no setting has: a typo there would otherwise
 * silently leave the default in place. Names of other commands' settings are fine (a shared .env).
 */
export function unknownSettingWarnings(env: NodeJS.ProcessEnv, dotEnv: Record<string, string>): string[] {
  const known = Object.values(SETTINGS).map((s) => s.env);
  const warnings: string[] = [];
  for (const [names, where] of [[Object.keys(env), 'environment'], [Object.keys(dotEnv), '.env']] as const) {
    for (const name of names.filter((n) => n.startsWith('FLEETPULSE_') && !known.includes(n)).sort()) {
      const near = closest(name, known);
      warnings.push(`${name} (${where}) is not a fleetpulse setting and is ignored${near ? `; did you mean ${near}?` : ''} ("fleetpulse <command> --help" lists them all)`);
    }
  }
  return warnings;
}

/** The known name within a few typos of `name`, if one is clearly the nearest. */
function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 5)) ? best : undefined;
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** `fleetpulse <command> --help` text, generated from the settings table. */
export function helpText(command: Command): string {
  const lines = [`Usage: fleetpulse ${command} [--flag value ...]`, '', 'Settings (flag, environment variable, default):'];
  for (const [, s] of settingsFor(command)) {
    const def = typeof s.default === 'function' ? s.default(command) : s.default === undefined ? '(unset)' : s.default;
    lines.push(`  --${s.flag.padEnd(22)} ${s.env.padEnd(32)} ${def}`, `      ${s.description}`);
  }
  if (command === 'agent') lines.push('', '  --check   report whether the agent with these settings is collecting (exit 0) or not (exit 1), then exit');
  lines.push('', 'Precedence: flag > environment > .env in the working directory > default.');
  return lines.join('\n') + '\n';
}
