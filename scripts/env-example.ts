// Prints .env.example from the settings table and docker-compose.yml:
// `npx tsx scripts/env-example.ts > .env.example`.
// tests/config/env-example.test.ts fails when the file falls behind either.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SETTINGS, type Command } from '../src/config/settings.js';

/** Settings the Compose stack sets itself (or that do not apply there), and why. */
export const FIXED_IN_COMPOSE: Record<string, string> = {
  FLEETPULSE_BIND: 'not passed: the bridge listens on all of its container\'s addresses',
  FLEETPULSE_INGEST_PORT: 'chooses the host port only; inside the stack the bridge listens on 9700',
  FLEETPULSE_HTTP_PORT: 'chooses the host port only; inside the stack the bridge listens on 9701',
  FLEETPULSE_DATA_DIR: 'not passed: the bridge keeps its tasks and known agents in the fleetpulse-data volume',
  FLEETPULSE_SERVER: 'not passed: agents in the stack connect to server:9700',
  FLEETPULSE_PROBE_BIND: 'not passed: the responder listens on all of its container\'s addresses',
  FLEETPULSE_STATUS_FILE: 'not passed: the container HEALTHCHECK reads the default path',
  FLEETPULSE_DEMO_AGENTS: 'not used; the stack runs no demo',
  FLEETPULSE_TOKEN_FILE: 'fixed: the bridge creates the agents\' token in the fleetpulse-secrets volume at first start and agents read it there (FLEETPULSE_TOKEN in .env wins)',
  FLEETPULSE_AGENT_TOKENS_FILE: 'not passed; a file: mount it into the server container and name its path under server.environment',
  FLEETPULSE_TLS_CERT: 'not passed; a file: mount it into the server container and name its path under server.environment',
  FLEETPULSE_TLS_KEY: 'not passed; a file: mount it into the server container and name its path under server.environment',
  FLEETPULSE_TLS_CLIENT_CA: 'not passed; a file: mount it into the server container and name its path under server.environment',
  FLEETPULSE_BUFFER_DIR: 'fixed: agents keep their outbox in the fleetpulse-agent-outbox volume (one subdirectory per agent id), so batches survive a container restart',
  FLEETPULSE_TEXTFILE_DIR: 'not passed; a directory: mount it into the agent container and name its path under agent.environment',
  FLEETPULSE_WEB_CONFIG: 'not passed; a file: mount it (and the certificates it names) into the server container and name its path under server.environment (docker-compose.mtls.yml does)',
  FLEETPULSE_TLS: 'not passed; agents in the stack reach the bridge on the stack\'s own network',
  FLEETPULSE_TLS_CA: 'not passed; agents in the stack reach the bridge on the stack\'s own network',
  FLEETPULSE_TLS_SERVER_NAME: 'not passed; agents in the stack reach the bridge on the stack\'s own network',
  FLEETPULSE_REMOTE_WRITE_PASSWORD_FILE: 'not passed; a file: mount it into the server container (e.g. as a Compose secret) and name its path under server.environment',
  FLEETPULSE_REMOTE_WRITE_BEARER_TOKEN_FILE: 'not passed; a file: mount it into the server container (e.g. as a Compose secret) and name its path under server.environment',
  FLEETPULSE_REMOTE_WRITE_TLS_CA: 'not passed; a file: mount it into the server container and name its path under server.environment',
  HOST_PROC: 'not passed: the stack mounts the host\'s /proc at /host/proc',
  HOST_SYS: 'not passed: the stack mounts the host\'s /sys at /host/sys',
  HOST_ROOT: 'not passed: the stack mounts the host\'s / at /host/root',
};

/** The container of each fleetpulse command in docker-compose.yml. */
export const COMPOSE_SERVICE: Partial<Record<Command, string>> = { server: 'server', agent: 'agent' };

/** `services.<service>.environment` of docker-compose.yml, as written (values uninterpolated). */
export function composeEnvironment(compose: string, service: string): Record<string, string> {
  const block = new RegExp(`^  ${service}:\\n((?:^(?:    .*|\\s*)\\n)*)`, 'm').exec(compose)?.[1] ?? '';
  const env = /^    environment:\n((?:^(?:      .*|\s*#.*|\s*)\n)*)/m.exec(block)?.[1] ?? '';
  return Object.fromEntries([...env.matchAll(/^      ([A-Z][A-Z0-9_]*): (.*)$/gm)].map(([, key, value]) => [key!, value!]));
}

/** Variables docker-compose.yml passes from .env into a service: keys whose value interpolates the same name. */
export function composePassedVariables(compose: string, service: string): string[] {
  return Object.entries(composeEnvironment(compose, service)).filter(([key, value]) => value.startsWith(`\${${key}:-`) || value === `\${${key}}`).map(([key]) => key);
}

function composeNote(env: string, commands: readonly Command[], compose: string): string {
  if (FIXED_IN_COMPOSE[env]) return `Compose: ${FIXED_IN_COMPOSE[env]}`;
  const services = commands.flatMap((c) => (COMPOSE_SERVICE[c] ? [COMPOSE_SERVICE[c]!] : [])).filter((s) => composePassedVariables(compose, s).includes(env));
  return services.length > 0 ? `Compose: passed to the ${services.join(' and ')} container${services.length > 1 ? 's' : ''}` : 'Compose: not passed';
}

export function envExample(
  compose = readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'),
  haOverlay = readFileSync(new URL('../docker-compose.ha.yml', import.meta.url), 'utf8'),
): string {
  const lines = [
    '# fleetpulse settings. Copy to .env and uncomment what you change.',
    '# Precedence: command-line flag > environment variable > this .env file > default.',
    '# `fleetpulse <server|agent|demo> --help` prints the same list. "Compose:" says which container of',
    '# docker-compose.yml the setting reaches; a FLEETPULSE_* name fleetpulse does not know is warned about.',
    '',
  ];
  for (const s of Object.values(SETTINGS)) {
    const def = typeof s.default === 'function' ? '' : (s.default ?? '');
    lines.push(`# ${s.description.replace(/\.$/, '')}. Used by: ${s.commands.join(', ')}. Flag: --${s.flag}`);
    lines.push(`# ${composeNote(s.env, s.commands, compose)}.`);
    lines.push(`#${s.env}=${def}`, '');
  }
  // The Compose stack's own settings, documented once in the header comment of each file.
  for (const [file, text] of [['docker-compose.yml', compose], ['docker-compose.ha.yml', haOverlay]] as const) {
    const composeSettings = [...text.matchAll(/^#[ \t]+([A-Z][A-Z0-9_]*)=(\S*)[ \t]*(.*)$/gm)].filter(([, env]) => !lines.some((l) => l.startsWith(`#${env}=`)));
    if (composeSettings.length === 0) continue;
    lines.push(file === 'docker-compose.yml' ? '# --- docker compose only (see the header of docker-compose.yml) ---' : `# --- docker compose with ${file} only (see its header) ---`, '');
    for (const [, env, def, description] of composeSettings) {
      if (description) lines.push(`# ${description}`);
      lines.push(`#${env}=${def}`, '');
    }
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(envExample());
