/**
 * Connections that have not completed their hello yet: their own small pool, apart from the
 * agents' slots, with a cap per source, so strangers cannot take the places of real agents.
 */
export class HandshakePool {
  private readonly bySource = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerSource: number,
  ) {}

  get size(): number {
    return this.total;
  }

  /** Takes a place for a new connection from `source`, or says why there is none. */
  enter(source: string): { ok: true } | { ok: false; why: string } {
    const fromSource = this.bySource.get(source) ?? 0;
    if (fromSource >= this.maxPerSource) {
      return { ok: false, why: `${fromSource} connections from ${source} are already waiting to send their hello (at most ${this.maxPerSource} per source)` };
    }
    if (this.total >= this.maxTotal) {
      return { ok: false, why: `${this.total} connections are already waiting to send their hello (at most ${this.maxTotal})` };
    }
    this.bySource.set(source, fromSource + 1);
    this.total++;
    return { ok: true };
  }

  /** Gives the place back (hello accepted, or the connection ended before it). */
  leave(source: string): void {
    const fromSource = this.bySource.get(source);
    if (fromSource === undefined) return;
    if (fromSource <= 1) this.bySource.delete(source);
    else this.bySource.set(source, fromSource - 1);
    this.total--;
  }
}
