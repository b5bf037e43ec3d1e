import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

// FLEETPULSE_AGENT_TOKENS_FILE: one line per agent id or id pattern and the SHA-256 of its token,
//
//   # agent id or pattern    sha256 of the token (fleetpulse certs token <id> prints both)
//   web-01                   sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
//   db-*                     sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9
//
// so one host's secret cannot speak for another. The tokens are random 256-bit secrets, so a fast
// hash is enough (a slow one like bcrypt protects guessable passwords, and would let anyone spend
// the bridge's CPU by sending hellos).

/** A tokens file that cannot be used; the message names the file and line. */
export class TokensFileError extends Error {}

export interface TokenEntry {
  pattern: string;
  /** Matches the whole agent id; `*` stands for any run of characters. */
  matcher: RegExp;
  sha256: Buffer;
  line: number;
  /** Exact ids first, then patterns with more literal characters. */
  specificity: number;
}

const PATTERN_RE = /^[A-Za-z0-9*][A-Za-z0-9._:*-]{0,127}$/;
const HASH_RE = /^sha256:([0-9a-f]{64})$/;

/** Parses the file's text; throws TokensFileError naming the line. */
export function parseTokensFile(text: string, path: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${path} line ${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length !== 2) throw new TokensFileError(`${where}: expected "<agent id or pattern> sha256:<64 hex digits>", got ${fields.length} fields`);
    const [pattern, hash] = fields as [string, string];
    if (!PATTERN_RE.test(pattern)) throw new TokensFileError(`${where}: "${pattern}" is not an agent id or pattern (letters, digits, . _ : - and *)`);
    const m = HASH_RE.exec(hash);
    if (!m) throw new TokensFileError(`${where}: the hash must be sha256: and 64 lowercase hex digits (fleetpulse certs token <id> prints one)`);
    if (seen.has(pattern)) throw new TokensFileError(`${where}: "${pattern}" is listed twice`);
    seen.add(pattern);
    const literal = pattern.replaceAll('*', '');
    entries.push({
      pattern,
      matcher: new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.]/g, '\\.')).join('.*')}$`),
      sha256: Buffer.from(m[1]!, 'hex'),
      line: i + 1,
      specificity: pattern.includes('*') ? literal.length : Number.MAX_SAFE_INTEGER,
    });
  }
  return entries.sort((a, b) => b.specificity - a.specificity);
}

/** The entry that governs an agent id: the exact one, else the most specific pattern. */
export function entryFor(entries: TokenEntry[], agentId: string): TokenEntry | undefined {
  return entries.find((e) => e.matcher.test(agentId));
}

/** Whether the offered token hashes to the entry's hash, compared in constant time. */
export function tokenFitsEntry(entry: TokenEntry, offered: string | undefined): boolean {
  if (offered === undefined) return false;
  return timingSafeEqual(createHash('sha256').update(offered).digest(), entry.sha256);
}

export function sha256Line(pattern: string, token: string): string {
  return `${pattern} sha256:${createHash('sha256').update(token).digest('hex')}`;
}

/** The file's entries, read again when it changes; a broken edit keeps the previous entries. */
export class AgentTokensFile {
  private stamp: string;
  private entries: TokenEntry[];
  private failedStamp: string | undefined;

  constructor(
    readonly path: string,
    private readonly report: { reloaded(count: number): void; failed(error: Error): void },
  ) {
    this.stamp = this.stampNow();
    this.entries = this.read();
  }

  current(): TokenEntry[] {
    const stamp = this.stampNow();
    if (stamp !== this.stamp && stamp !== this.failedStamp) {
      try {
        this.entries = this.read();
        this.stamp = stamp;
        this.failedStamp = undefined;
        this.report.reloaded(this.entries.length);
      } catch (err) {
        this.failedStamp = stamp;
        this.report.failed(err as Error);
      }
    }
    return this.entries;
  }

  private read(): TokenEntry[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      throw new TokensFileError(`FLEETPULSE_AGENT_TOKENS_FILE=${this.path} cannot be read: ${(err as Error).message}`);
    }
    return parseTokensFile(text, this.path);
  }

  private stampNow(): string {
    try {
      const s = statSync(this.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }
}
