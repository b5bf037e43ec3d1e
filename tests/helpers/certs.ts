import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCa, issueLeaf, type Issued, type IssueOptions } from '../../src/certs/issue.js';

/** A directory of real certificates made by src/certs/issue.ts (what `fleetpulse certs` writes). */
export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'fleetpulse-pki-'));
  private readonly cas = new Map<string, Issued>();

  /** A CA named `name`; writes <name>.crt. */
  ca(name = 'ca'): string {
    const ca = issueCa(`test ${name}`, { days: 30 });
    this.cas.set(name, ca);
    return this.write(name, ca).cert;
  }

  /** A leaf signed by CA `caName`; returns the paths of its .crt and .key. */
  leaf(file: string, kind: 'server' | 'client', names: string[], caName = 'ca', options: Partial<IssueOptions> = {}): { cert: string; key: string } {
    const ca = this.cas.get(caName);
    if (!ca) throw new Error(`no CA ${caName}`);
    return this.write(file, issueLeaf(ca, kind, names, { days: 30, ...options }));
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private write(file: string, issued: Issued): { cert: string; key: string } {
    const cert = join(this.dir, `${file}.crt`);
    const key = join(this.dir, `${file}.key`);
    writeFileSync(cert, issued.certPem);
    writeFileSync(key, issued.keyPem);
    return { cert, key };
  }
}
