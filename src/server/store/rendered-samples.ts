import type { RenderedFamily } from '../text-format/rendered-family.js';

export interface ParsedSample {
  labels: Record<string, string>;
  value: number;
}

const UNESCAPE: Record<string, string> = { '\\\\': '\\', '\\"': '"', '\\n': '\n' };

/**
 * Reads our own rendered lines back into labels and values (instance and static labels
 * included), for the few places that need values after the batch itself is gone.
 */
export function parseRenderedFamily(family: RenderedFamily): { name: string; samples: ParsedSample[] } {
  const samples: ParsedSample[] = [];
  const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const line of family.text.split('\n')) {
    if (line === '') continue;
    const open = line.indexOf('{');
    const close = line.lastIndexOf('} ');
    const labels: Record<string, string> = {};
    for (const m of line.slice(open + 1, close).matchAll(pair)) labels[m[1]!] = m[2]!.replace(/\\[\\"n]/g, (e) => UNESCAPE[e]!);
    const raw = line.slice(close + 2);
    samples.push({ labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return { name: family.name, samples };
}
