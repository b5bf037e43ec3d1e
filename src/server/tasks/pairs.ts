/** The key of an ordered pair of agents. */
export function pairKey(src: string, dst: string): string {
  // Agent ids cannot contain spaces.
  return `${src} ${dst}`;
}

/** Every ordered pair of distinct members. */
export function orderedPairs(members: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (const src of members) for (const dst of members) if (src !== dst) pairs.push([src, dst]);
  return pairs;
}
