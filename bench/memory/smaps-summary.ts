import { readFileSync } from 'node:fs';

// Sums a /proc/<pid>/smaps copy (bench/memory/probe.cjs) by kind of mapping: V8's heap pages
// (anonymous 256 KiB mappings), malloc's main arena ([heap]: ArrayBuffer contents, native
// objects), other anonymous mappings (thread stacks and arenas), the node binary (file pages,
// shared with every node process) and other files.
//   node --import tsx bench/memory/smaps-summary.ts <smaps file>

interface Kind {
  mappings: number;
  sizeKiB: number;
  rssKiB: number;
  anonKiB: number;
}

const V8_PAGE_KIB = 256;

function kindOf(name: string, sizeKiB: number): string {
  if (name === '') return sizeKiB === V8_PAGE_KIB ? 'anonymous 256 KiB (V8 heap pages)' : 'anonymous, other (stacks, arenas, large V8 objects)';
  if (name === '[heap]') return '[heap] (malloc main arena)';
  if (name.startsWith('[')) return name;
  if (/\/node(js)?$/.test(name)) return 'node binary';
  return 'other files';
}

export function summariseSmaps(text: string): Map<string, Kind> {
  const kinds = new Map<string, Kind>();
  let current: Kind | undefined;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const sizeKiB = (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 1024;
      const kind = kindOf(head[3]!.trim(), sizeKiB);
      current = kinds.get(kind) ?? { mappings: 0, sizeKiB: 0, rssKiB: 0, anonKiB: 0 };
      current.mappings++;
      current.sizeKiB += sizeKiB;
      kinds.set(kind, current);
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field && current) current[field[1] === 'Rss' ? 'rssKiB' : 'anonKiB'] += Number(field[2]);
  }
  return kinds;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kinds = summariseSmaps(readFileSync(process.argv[2]!, 'utf8'));
  const mib = (kib: number): string => (kib / 1024).toFixed(1).padStart(7);
  let total = 0;
  console.log('RSS MiB  anon MiB  mappings  kind');
  for (const [kind, k] of [...kinds].sort((a, b) => b[1].rssKiB - a[1].rssKiB)) {
    total += k.rssKiB;
    console.log(`${mib(k.rssKiB)}  ${mib(k.anonKiB)}  ${String(k.mappings).padStart(8)}  ${kind}`);
  }
  console.log(`${mib(total)}  total`);
}
