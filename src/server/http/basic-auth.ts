import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import bcrypt from 'bcryptjs';

// Basic auth against web-config's bcrypt hashes, as exporter-toolkit's handler.go: an unknown
// user is checked against a fixed hash so timing does not tell users apart, and outcomes are
// cached so Prometheus scraping every few seconds costs one bcrypt, not one per scrape.

/** bcrypt of "fakepassword", the toolkit's stand-in for unknown users. */
const FAKE_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';
const MAX_CACHED = 1024;

export class BasicAuth {
  private readonly cache = new Map<string, boolean>();

  /** Whether the request carries a user and password of `users`. */
  async check(req: IncomingMessage, users: Map<string, string>): Promise<boolean> {
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const known = users.get(user);
    const hash = known ?? FAKE_HASH;
    // The key holds no password, only its digest together with the hash it was checked against.
    const key = createHash('sha256').update(`${user}\0${hash}\0${password}`).digest('base64');
    let ok = this.cache.get(key);
    if (ok === undefined) {
      ok = (await bcrypt.compare(password, hash)) && known !== undefined;
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(key, ok);
    }
    return ok && known !== undefined;
  }
}
