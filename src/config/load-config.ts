import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
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
}

export function settingsFor(command: Command): [SettingKey, Setting][] {
  return (Object.entries(SETTINGS) as [SettingKey, Setting][]).filter(([, s]) => s.commands.includes(command));
}

/** Reads the .env file in the working directory, if any, without touching process.env. */
export function readDotEnv(path = '.env'): Record<string, string> {
  if (!existsSync(path)) return {};
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
      : ['default', typeof s.default === 'function' ? s.default() : s.default];
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
  return { values: values as SettingValues, help: flags.help === true, check: flags.check === true };
}

/** `fleetpulse <command> --help` text, generated from the settings table. */
export function helpText(command: Command): string {
  const lines = [`Usage: fleetpulse ${command} [--flag value ...]`, '', 'Settings (flag, environment variable, default):'];
  for (const [, s] of settingsFor(command)) {
    const def = typeof s.default === 'function' ? '(computed)' : s.default === undefined ? '(unset)' : s.default;
    lines.push(`  --${s.flag.padEnd(22)} ${s.env.padEnd(32)} ${def}`, `      ${s.description}`);
  }
  if (command === 'agent') lines.push('', '  --check   report whether the agent with these settings is collecting (exit 0) or not (exit 1), then exit');
  lines.push('', 'Precedence: flag > environment > .env in the working directory > default.');
  return lines.join('\n') + '\n';
}
