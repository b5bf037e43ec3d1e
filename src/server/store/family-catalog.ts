import type { MetricType } from '../../protocol/messages.js';
import type { RenderedFamily } from '../ingest/render-family.js';

/** A metric family as exposed: one type and help, and each agent's rendered part. */
export interface CatalogEntry {
  readonly name: string;
  type: MetricType;
  help: string;
  /** agent id -> that agent's lines of this family */
  readonly members: Map<string, RenderedFamily>;
}

/**
 * All metric families across agents, so /metrics can print each family once with all
 * agents' samples grouped under a single HELP/TYPE (the text format requires it).
 */
export class FamilyCatalog {
  private readonly entries = new Map<string, CatalogEntry>();
  private sortedNames: string[] | undefined;

  /** The type other agents use for this name, if any agent but `agentId` has it. */
  typeHeldByOthers(name: string, agentId: string): MetricType | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    for (const id of entry.members.keys()) if (id !== agentId) return entry.type;
    return undefined;
  }

  set(agentId: string, family: RenderedFamily): void {
    let entry = this.entries.get(family.name);
    if (!entry) {
      entry = { name: family.name, type: family.type, help: family.help, members: new Map() };
      this.entries.set(family.name, entry);
      this.sortedNames = undefined;
    } else if (entry.members.size === 0 || (entry.members.size === 1 && entry.members.has(agentId))) {
      // The sole owner may redefine its family (e.g. after an agent upgrade).
      entry.type = family.type;
      entry.help = family.help;
    }
    entry.members.set(agentId, family);
  }

  remove(agentId: string, name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    entry.members.delete(agentId);
    if (entry.members.size === 0) {
      this.entries.delete(name);
      this.sortedNames = undefined;
    }
  }

  /** Entries in name order, for a stable exposition. */
  sorted(): CatalogEntry[] {
    if (!this.sortedNames) this.sortedNames = [...this.entries.keys()].sort();
    return this.sortedNames.map((name) => this.entries.get(name)!);
  }

  get size(): number {
    return this.entries.size;
  }
}
