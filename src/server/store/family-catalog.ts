import { knownFamily } from '../../protocol/known-families.js';
import type { MetricType } from '../../protocol/messages.js';
import type { RenderedFamily } from '../text-format/rendered-family.js';

/**
 * One shard's agents' lines of one family (see shard-planner.ts); `version` moves whenever
 * its text would, so the exposition can keep each piece compressed until it changes.
 */
export interface Piece {
  readonly shard: number;
  /** agent id -> that agent's lines of this family, in arrival order */
  readonly members: Map<string, RenderedFamily>;
  version: number;
}

/** A metric family as exposed: one type and help, and every agent's lines in pieces. */
export interface CatalogEntry {
  readonly name: string;
  type: MetricType;
  help: string;
  /** Moves when type or help change (the header goes with the first piece). */
  headerVersion: number;
  members: number;
  readonly pieces: Map<number, Piece>;
  /** Pieces by shard, rebuilt when a piece comes or goes. */
  sortedPieces: Piece[] | undefined;
}

/**
 * All metric families across agents, so /metrics can print each family once with all
 * agents' samples grouped under a single HELP/TYPE (the text format requires it).
 * Within a family, an agent's lines sit in the piece of the agent's shard.
 */
export class FamilyCatalog {
  private readonly entries = new Map<string, CatalogEntry>();
  private sortedNames: string[] | undefined;

  /**
   * The type a family of this name must have to join, if any: a known family's own (the
   * agent's and node_exporter's names belong to the bridge, not to their first sender), else
   * the type other agents send it with, if any agent but this one has it.
   */
  typeRequired(name: string, agentId: string, shard: number | undefined): { type: MetricType; known: boolean } | undefined {
    const known = knownFamily(name);
    if (known) return { type: known.type, known: true };
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    const own = shard !== undefined && entry.pieces.get(shard)?.members.has(agentId) ? 1 : 0;
    return entry.members > own ? { type: entry.type, known: false } : undefined;
  }

  set(agentId: string, shard: number, family: RenderedFamily): void {
    let entry = this.entries.get(family.name);
    // Each agent's batch brings its own copies of name and help; keep one of each per family.
    if (entry) {
      family.name = entry.name;
      if (family.help === entry.help) family.help = entry.help;
    }
    const known = knownFamily(family.name);
    if (!entry) {
      // A known family's header is the catalogue's, whatever HELP its sender wrote.
      const { type, help } = known ?? family;
      entry = { name: family.name, type, help, headerVersion: 0, members: 0, pieces: new Map(), sortedPieces: undefined };
      this.entries.set(family.name, entry);
      this.sortedNames = undefined;
    } else if (!known && (entry.type !== family.type || entry.help !== family.help)) {
      const soleOwner = entry.members === 0 || (entry.members === 1 && entry.pieces.get(shard)?.members.has(agentId) === true);
      // The sole owner may redefine its family (e.g. after an agent upgrade).
      if (soleOwner) {
        entry.type = family.type;
        entry.help = family.help;
        entry.headerVersion++;
      }
    }
    let piece = entry.pieces.get(shard);
    if (!piece) {
      piece = { shard, members: new Map(), version: 0 };
      entry.pieces.set(shard, piece);
      entry.sortedPieces = undefined;
    }
    const before = piece.members.get(agentId);
    if (before === undefined) entry.members++;
    if (before === undefined || before.text !== family.text) piece.version++;
    piece.members.set(agentId, family);
  }

  /** The agent's lines of this family changed in place (same object, new values: its text follows when read). */
  changed(shard: number, name: string): void {
    const piece = this.entries.get(name)?.pieces.get(shard);
    if (piece) piece.version++;
  }

  remove(agentId: string, shard: number, name: string): void {
    const entry = this.entries.get(name);
    const piece = entry?.pieces.get(shard);
    if (!entry || !piece || !piece.members.delete(agentId)) return;
    piece.version++;
    entry.members--;
    if (piece.members.size === 0) {
      entry.pieces.delete(piece.shard);
      entry.sortedPieces = undefined;
    }
    if (entry.members === 0) {
      this.entries.delete(name);
      this.sortedNames = undefined;
    }
  }

  /** Entries in name order, for a stable exposition. */
  sorted(): CatalogEntry[] {
    if (!this.sortedNames) this.sortedNames = [...this.entries.keys()].sort();
    return this.sortedNames.map((name) => this.entries.get(name)!);
  }

  /** The entry's pieces in shard order. */
  piecesOf(entry: CatalogEntry): Piece[] {
    entry.sortedPieces ??= [...entry.pieces.values()].sort((a, b) => a.shard - b.shard);
    return entry.sortedPieces;
  }

  get size(): number {
    return this.entries.size;
  }
}
