// Frames a hostile peer sends in the soak test: random bytes, valid messages mutated byte by
// byte, and well-formed messages that push at every limit. Seeded, so a run can be repeated.

export type Random = () => number;

export function seeded(seed: number): Random {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, max: number) => Math.floor(random() * max);

/** Agent ids the attackers use; never the real agent's (taking over an id is identity's part: tokens, mTLS). */
export const ATTACKER_IDS = Array.from({ length: 40 }, (_, i) => `soak-${i}`);

export function hello(random: Random): string {
  return JSON.stringify({ type: 'hello', protocol: 1, agent_id: pick(random, ATTACKER_IDS), agent_version: 'soak', interval_ms: pick(random, [100, 5000, 3_600_000]), ...(random() < 0.3 ? { labels: { zone: 'z'.repeat(int(random, 5000)) } } : {}), ...(random() < 0.3 ? { probe: { port: int(random, 70000), address: pick(random, ['127.0.0.1', '169.254.169.254', '10.0.0.1', 'x']) } } : {}) });
}

function family(random: Random): unknown {
  const name = pick(random, ['node_load1', 'node_cpu_seconds_total', 'up', 'scrape_duration_seconds', 'fleetpulse_agent_up', 'x'.repeat(int(random, 400) + 1), 'soak_metric', 'bad-name', '']);
  const samples = Array.from({ length: random() < 0.003 ? 11_000 : int(random, 20) }, (_, i) => ({
    ...(random() < 0.7 ? { labels: { i: String(i), ...(random() < 0.1 ? { long: 'l'.repeat(int(random, 6000)) } : {}), ...(random() < 0.05 ? { instance: 'spoof' } : {}) } } : {}),
    value: pick(random, [i, -1.5, 1e308, 'NaN', '+Inf', 'Inf', null, 'x']),
  }));
  return { name, type: pick(random, ['gauge', 'counter', 'untyped', 'histogram']), help: random() < 0.1 ? 'h'.repeat(5000) : 'soak', samples };
}

export function metrics(random: Random, seq: number): string {
  return JSON.stringify({ type: 'metrics', seq, timestamp_ms: Date.now(), families: Array.from({ length: int(random, 6) }, () => family(random)) });
}

function other(random: Random): string {
  return JSON.stringify(pick(random, [
    { type: 'ping', id: int(random, 1e6), t0: Date.now() },
    { type: 'pong', id: int(random, 1e6), t0: 1, t1: 2, t2: 3 },
    { type: 'goodbye', reason: 'soak' },
    { type: 'task_result', task_id: 't_00000000000000000000', run_id: 'r', results: [{ dst: 'real', ok: true, rtt_avg_seconds: -1 }] },
    { type: 'hello', protocol: 1, agent_id: 'second-hello', agent_version: 'x' },
    { type: 'welcome' },
    [1, 2, 3],
    'just a string',
  ]));
}

/** Flips, inserts or deletes a few bytes of a valid line. */
export function mutate(random: Random, line: string): Buffer {
  const bytes = [...Buffer.from(line)];
  for (let n = 1 + int(random, 3); n > 0; n--) {
    const at = int(random, bytes.length + 1);
    const byte = random() < 0.5 ? int(random, 256) : pick(random, [...Buffer.from('{}[]",:0123456789.eE-+ \\u\r')]);
    const op = random();
    if (op < 0.4) bytes[at] = byte;
    else if (op < 0.7) bytes.splice(at, 0, byte);
    else bytes.splice(at, 1);
  }
  return Buffer.from(bytes.filter((b) => b !== 0x0a));
}

/** One frame (without its newline) for a connection that has or has not sent a hello yet. */
export function frame(random: Random, seq: number): { bytes: Buffer; kind: string } {
  const r = random();
  if (r < 0.15) return { bytes: Buffer.from(Array.from({ length: int(random, 300) }, () => int(random, 256)).filter((b) => b !== 0x0a)), kind: 'random' };
  if (r < 0.45) return { bytes: mutate(random, pick(random, [metrics(random, seq), hello(random), other(random)])), kind: 'mutated' };
  if (r < 0.5) return { bytes: Buffer.from(hello(random)), kind: 'hello' };
  if (r < 0.85) return { bytes: Buffer.from(metrics(random, seq)), kind: 'metrics' };
  if (r < 0.998) return { bytes: Buffer.from(other(random)), kind: 'other' };
  return { bytes: Buffer.alloc(64 * 1024 + int(random, 1024 * 1024 + 100_000), 0x61), kind: 'oversized' };
}
