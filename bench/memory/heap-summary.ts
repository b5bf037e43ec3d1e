import { readFileSync } from 'node:fs';

// Where a heap snapshot's bytes are (bench/memory/probe.cjs writes one at steady state):
//   node --max-old-space-size=4096 --import tsx bench/memory/heap-summary.ts <file.heapsnapshot> [top]
//     self size by node type and constructor (strings by their retaining property), biggest first
//   ... heap-summary.ts <file> retainers <type> [name]
//     for nodes of that type (and name), which properties of which objects hold them (each node counted once per property;
//     type 'string' takes every kind of string)
// Self sizes only: a node's bytes count once, where they are, not in what keeps them alive.
// ArrayBuffer contents off the V8 heap show as 'native system / JSArrayBufferData'.

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Tally {
  count: number;
  bytes: number;
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

export class HeapSnapshot {
  private readonly nodeFields: number;
  private readonly edgeFields: number;
  private readonly types: string[];
  private readonly edgeTypes: string[];
  private readonly at: { type: number; name: number; size: number; edges: number; edgeType: number; edgeName: number; to: number };

  constructor(private readonly s: Snapshot) {
    const { node_fields, node_types, edge_fields, edge_types } = s.snapshot.meta;
    this.nodeFields = node_fields.length;
    this.edgeFields = edge_fields.length;
    this.types = node_types[0];
    this.edgeTypes = edge_types[0];
    this.at = {
      type: node_fields.indexOf('type'), name: node_fields.indexOf('name'), size: node_fields.indexOf('self_size'), edges: node_fields.indexOf('edge_count'),
      edgeType: edge_fields.indexOf('type'), edgeName: edge_fields.indexOf('name_or_index'), to: edge_fields.indexOf('to_node'),
    };
  }

  private type(node: number): string {
    return this.types[this.s.nodes[node + this.at.type]!]!;
  }

  private name(node: number): string {
    return this.s.strings[this.s.nodes[node + this.at.name]!]!;
  }

  private size(node: number): number {
    return this.s.nodes[node + this.at.size]!;
  }

  /** Self size by type and constructor name; strings are one group per type (their names are their contents). */
  byConstructor(): { total: number; groups: [string, Tally][] } {
    const groups = new Map<string, Tally>();
    let total = 0;
    for (let node = 0; node < this.s.nodes.length; node += this.nodeFields) {
      const type = this.type(node);
      const name = STRING_TYPES.has(type) ? '' : type === 'closure' ? '(closures)' : this.name(node).slice(0, 60);
      add(groups, `${type}\t${name}`, this.size(node));
      total += this.size(node);
    }
    return { total, groups: sorted(groups) };
  }

  /** For nodes of `type` (and `name`; 'string': flat, concatenated and sliced): the holder's type:name and property, each node counted once per such key. */
  retainers(type: string, name?: string): [string, Tally][] {
    const groups = new Map<string, Tally>();
    const seen = new Map<string, Set<number>>();
    let edge = 0;
    const { nodes, edges, strings } = this.s;
    for (let node = 0; node < nodes.length; node += this.nodeFields) {
      const count = nodes[node + this.at.edges]!;
      for (let k = 0; k < count; k++, edge += this.edgeFields) {
        const to = edges[edge + this.at.to]!;
        const toType = this.type(to);
        if ((type === 'string' ? !STRING_TYPES.has(toType) : toType !== type) || (name !== undefined && this.name(to) !== name)) continue;
        const edgeType = this.edgeTypes[edges[edge + this.at.edgeType]!]!;
        if (edgeType === 'weak') continue;
        const property = edgeType === 'element' || edgeType === 'hidden' ? `[${edgeType}]` : strings[edges[edge + this.at.edgeName]!]!;
        const key = `${this.type(node)}:${this.name(node).slice(0, 40)} .${property}`;
        const once = seen.get(key) ?? new Set<number>();
        seen.set(key, once);
        if (once.has(to)) continue;
        once.add(to);
        add(groups, key, this.size(to));
      }
    }
    return sorted(groups);
  }
}

function add(groups: Map<string, Tally>, key: string, bytes: number): void {
  const t = groups.get(key) ?? { count: 0, bytes: 0 };
  t.count++;
  t.bytes += bytes;
  groups.set(key, t);
}

function sorted(groups: Map<string, Tally>): [string, Tally][] {
  return [...groups].sort((a, b) => b[1].bytes - a[1].bytes);
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(2).padStart(8);

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, mode, type, name] = process.argv.slice(2);
  const heap = new HeapSnapshot(JSON.parse(readFileSync(file!, 'utf8')) as Snapshot);
  if (mode === 'retainers') {
    console.log('     MiB    nodes  held by');
    for (const [key, t] of heap.retainers(type!, name).slice(0, 30)) console.log(`${mib(t.bytes)} ${String(t.count).padStart(8)}  ${key}`);
  } else {
    const { total, groups } = heap.byConstructor();
    console.log(`${mib(total)} MiB self size in all`);
    console.log('     MiB    nodes  type / constructor');
    for (const [key, t] of groups.slice(0, Number(mode ?? 40))) console.log(`${mib(t.bytes)} ${String(t.count).padStart(8)}  ${key.replace('\t', ' ')}`);
  }
}
