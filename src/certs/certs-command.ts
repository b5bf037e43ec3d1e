import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import bcrypt from 'bcryptjs';
import { AGENT_ID_RE } from '../protocol/names.js';
import { sha256Line } from '../server/auth/agent-tokens-file.js';
import { issueCa, issueLeaf, type Issued } from './issue.js';

// `fleetpulse certs`: what an operator needs to turn on mutual TLS and web-config without
// openssl recipes (docs/security.md).

export const CERTS_USAGE = `Usage: fleetpulse certs <what> [options]

  ca                     a CA for the agent link: <dir>/ca.crt, <dir>/ca.key (keep ca.key private)
  bridge [--name N]...   the bridge's certificate for the agent port, signed by the CA:
                         <dir>/bridge.crt, <dir>/bridge.key; names default to this host's
                         name, localhost, 127.0.0.1 and ::1 (give every name agents dial)
  agent <agent-id>       an agent's client certificate, signed by the CA, its Common Name and DNS
                         name the agent id: <dir>/<agent-id>.crt, <dir>/<agent-id>.key
  token <id-or-pattern>  a random agent token, and its line for FLEETPULSE_AGENT_TOKENS_FILE
  web-config [--user U]  <dir>/web-config.yml (FLEETPULSE_WEB_CONFIG: HTTPS with bridge.crt and
                         basic auth for user U, default prometheus) and <dir>/<U>.password

Options:
  --dir D        where files are read and written (default: ./certs)
  --ca-dir D     where ca.crt and ca.key are (default: --dir), so the CA key can live apart
  --days N       validity in days (default: 3650 for the CA, 825 for the others)
  --if-missing   do nothing when the files exist already (for init containers)
  --force        overwrite existing files

Three commands to mutual TLS:
  fleetpulse certs ca && fleetpulse certs bridge --name bridge.example.org && fleetpulse certs agent web-01
then on the bridge  FLEETPULSE_TLS_CERT=certs/bridge.crt FLEETPULSE_TLS_KEY=certs/bridge.key FLEETPULSE_TLS_CLIENT_CA=certs/ca.crt
and on web-01       FLEETPULSE_AGENT_ID=web-01 FLEETPULSE_TLS_CA=ca.crt FLEETPULSE_TLS_CERT=web-01.crt FLEETPULSE_TLS_KEY=web-01.key
`;

export class CertsError extends Error {}

interface Paths {
  dir: string;
  force: boolean;
  ifMissing: boolean;
}

/** Writes files unless any exists (then: skip with --if-missing, overwrite with --force, else refuse). */
function writeAll(p: Paths, files: { name: string; text: string; secret: boolean }[], out: (line: string) => void): boolean {
  const existing = files.filter((f) => existsSync(join(p.dir, f.name)));
  if (existing.length > 0 && !p.force) {
    if (p.ifMissing) {
      out(`${existing.map((f) => join(p.dir, f.name)).join(', ')} exist already; left as they are`);
      return false;
    }
    throw new CertsError(`${join(p.dir, existing[0]!.name)} exists already; use --force to replace it or --dir for another directory`);
  }
  mkdirSync(p.dir, { recursive: true });
  for (const f of files) {
    writeFileSync(join(p.dir, f.name), f.text, { mode: f.secret ? 0o600 : 0o644 });
    out(`wrote ${join(p.dir, f.name)}${f.secret ? ' (private: keep it on that machine only)' : ''}`);
  }
  return true;
}

function readCa(dir: string): Issued {
  try {
    return { certPem: readFileSync(join(dir, 'ca.crt'), 'utf8'), keyPem: readFileSync(join(dir, 'ca.key'), 'utf8') };
  } catch {
    throw new CertsError(`no CA in ${dir} (ca.crt and ca.key); run "fleetpulse certs ca --dir ${dir}" first`);
  }
}

/** Runs `fleetpulse certs ...`; lines for the user go to `out`. Throws CertsError on misuse. */
export function runCerts(argv: string[], out: (line: string) => void): void {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string', default: 'certs' },
        'ca-dir': { type: 'string' },
        days: { type: 'string' },
        name: { type: 'string', multiple: true },
        user: { type: 'string', default: 'prometheus' },
        'if-missing': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new CertsError(`${(err as Error).message}\n\n${CERTS_USAGE}`);
  }
  const { values, positionals } = parsed;
  const [what, subject, ...extra] = positionals;
  if (values.help || what === undefined) return void out(CERTS_USAGE);
  if (extra.length > 0) throw new CertsError(`unexpected arguments: ${extra.join(' ')}`);
  const p: Paths = { dir: values.dir, force: values.force, ifMissing: values['if-missing'] };
  const caDir = values['ca-dir'] ?? values.dir;
  const days = values.days === undefined ? (what === 'ca' ? 3650 : 825) : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 36500) throw new CertsError(`--days ${values.days} is not a number of days 1-36500`);
  switch (what) {
    case 'ca': {
      const ca = issueCa('fleetpulse agent-link CA', { days });
      if (writeAll({ ...p, dir: caDir }, [{ name: 'ca.crt', text: ca.certPem, secret: false }, { name: 'ca.key', text: ca.keyPem, secret: true }], out) && caDir !== p.dir) {
        writeAll(p, [{ name: 'ca.crt', text: ca.certPem, secret: false }], out);
      }
      return;
    }
    case 'bridge': {
      const names = values.name ?? [hostname(), 'localhost', '127.0.0.1', '::1'];
      const leaf = issueLeaf(readCa(caDir), 'server', [...new Set(names)], { days });
      if (writeAll(p, [{ name: 'bridge.crt', text: leaf.certPem, secret: false }, { name: 'bridge.key', text: leaf.keyPem, secret: true }], out)) {
        out(`names: ${[...new Set(names)].join(', ')} (agents must dial one of them, or set FLEETPULSE_TLS_SERVER_NAME)`);
      }
      return;
    }
    case 'agent': {
      if (subject === undefined || !AGENT_ID_RE.test(subject)) throw new CertsError(`"fleetpulse certs agent <agent-id>" needs a valid agent id (1-128 letters, digits, ".", "_", "-" or ":"), got ${JSON.stringify(subject ?? '')}`);
      const leaf = issueLeaf(readCa(caDir), 'client', [subject], { days });
      writeAll(p, [{ name: `${subject}.crt`, text: leaf.certPem, secret: false }, { name: `${subject}.key`, text: leaf.keyPem, secret: true }], out);
      return;
    }
    case 'token': {
      if (subject === undefined || !/^[A-Za-z0-9*][A-Za-z0-9._:*-]{0,127}$/.test(subject)) throw new CertsError('"fleetpulse certs token <agent-id-or-pattern>" needs an agent id or a pattern with *');
      const token = randomBytes(32).toString('base64url');
      out(`token for the agent (FLEETPULSE_TOKEN):   ${token}`);
      out(`line for FLEETPULSE_AGENT_TOKENS_FILE:    ${sha256Line(subject, token)}`);
      return;
    }
    case 'web-config': {
      if (!existsSync(join(p.dir, 'bridge.crt'))) throw new CertsError(`no ${join(p.dir, 'bridge.crt')}; run "fleetpulse certs bridge" first`);
      const user = values.user;
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(user)) throw new CertsError(`--user ${JSON.stringify(user)} is not a plain user name`);
      const password = randomBytes(24).toString('base64url');
      const yaml = [
        '# FLEETPULSE_WEB_CONFIG: the exporter-toolkit web configuration file format.',
        '# Relative paths are relative to this file.',
        'tls_server_config:',
        '  cert_file: bridge.crt',
        '  key_file: bridge.key',
        'basic_auth_users:',
        `  ${user}: ${bcrypt.hashSync(password, 10)}`,
        '',
      ].join('\n');
      writeAll(p, [{ name: 'web-config.yml', text: yaml, secret: false }, { name: `${user}.password`, text: `${password}\n`, secret: true }], out);
      return;
    }
    default:
      throw new CertsError(`unknown "fleetpulse certs ${what}"\n\n${CERTS_USAGE}`);
  }
}
