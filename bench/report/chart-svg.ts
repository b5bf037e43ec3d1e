import type { BenchReport } from './bench-report.js';
import type { ScaleResult } from '../phases/scale.js';
import { TARGET_TITLES, type TargetName } from '../systems/target.js';

// One hand-written SVG: gzip scrape latency and CPU per cycle against fleet size, log-log,
// one line per system. No chart library: the picture is two panels of polylines.

const COLORS: Record<TargetName, string> = { fleetpulse: '#1f77b4', 'pushgateway-nocheck': '#d62728', pushgateway: '#ff7f0e' };
const WIDTH = 900;
const HEIGHT = 400;
const PANEL = { width: 360, height: 260, top: 60 };

interface Panel {
  title: string;
  unit: string;
  value(r: ScaleResult): number | undefined;
}

const PANELS: Panel[] = [
  { title: '/metrics with gzip: p50 latency', unit: 'seconds', value: (r) => r.gzip?.p50Seconds },
  { title: 'Ingest CPU per push cycle', unit: 'CPU-seconds', value: (r) => r.cpuSecondsPerCycle },
];

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function logScale(min: number, max: number, from: number, to: number): (v: number) => number {
  const lo = Math.log10(min);
  const hi = Math.log10(max);
  return (v) => (hi === lo ? (from + to) / 2 : from + ((Math.log10(v) - lo) / (hi - lo)) * (to - from));
}

function decades(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
  return out;
}

function label(v: number): string {
  return v >= 1 ? String(v) : v.toPrecision(1).replace(/^0\./, '.').replace(/^\./, '0.');
}

function panel(report: BenchReport, spec: Panel, left: number): string {
  const agents = report.workload.agents;
  const targets = [...new Set(report.results.map((r) => r.target))];
  const points = report.results.map((r) => ({ r, v: spec.value(r) })).filter((p): p is { r: ScaleResult; v: number } => p.v !== undefined && Number.isFinite(p.v) && p.v > 0);
  const values = points.map((p) => p.v);
  const yTicks = values.length === 0 ? [0.01, 1] : decades(Math.min(...values), Math.max(...values));
  const yMin = yTicks[0]!;
  const yMax = yTicks[yTicks.length - 1]! === yMin ? yMin * 10 : yTicks[yTicks.length - 1]!;
  const x = logScale(Math.min(...agents) / 1.5, Math.max(...agents) * 1.5, left, left + PANEL.width);
  const y = logScale(yMin, yMax, PANEL.top + PANEL.height, PANEL.top);
  const out: string[] = [];
  out.push(`<text x="${left + PANEL.width / 2}" y="${PANEL.top - 18}" text-anchor="middle" font-weight="bold">${escape(spec.title)}</text>`);
  out.push(`<rect x="${left}" y="${PANEL.top}" width="${PANEL.width}" height="${PANEL.height}" fill="none" stroke="#888"/>`);
  for (const t of yTicks) {
    out.push(`<line x1="${left}" x2="${left + PANEL.width}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${label(t)}</text>`);
  }
  for (const a of agents) {
    out.push(`<line x1="${x(a).toFixed(1)}" x2="${x(a).toFixed(1)}" y1="${PANEL.top}" y2="${PANEL.top + PANEL.height}" stroke="#eee"/>`);
    out.push(`<text x="${x(a).toFixed(1)}" y="${PANEL.top + PANEL.height + 16}" text-anchor="middle">${a}</text>`);
  }
  out.push(`<text x="${left + PANEL.width / 2}" y="${PANEL.top + PANEL.height + 34}" text-anchor="middle">agents (× ${report.workload.series} series), log scale</text>`);
  out.push(`<text transform="translate(${left - 46} ${PANEL.top + PANEL.height / 2}) rotate(-90)" text-anchor="middle">${escape(spec.unit)}, log scale</text>`);
  for (const target of targets) {
    const line = points.filter((p) => p.r.target === target).sort((a, b) => a.r.agents - b.r.agents);
    if (line.length === 0) continue;
    const color = COLORS[target];
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${line.map((p) => `${x(p.r.agents).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}"/>`);
    for (const p of line) {
      const behind = !p.r.keptUp;
      out.push(`<circle cx="${x(p.r.agents).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="4" fill="${behind ? 'white' : color}" stroke="${color}" stroke-width="2"><title>${escape(`${TARGET_TITLES[target]}, ${p.r.agents} agents: ${p.v.toPrecision(3)} ${spec.unit}${behind ? ' (did not keep the period)' : ''}`)}</title></circle>`);
    }
  }
  return out.join('\n');
}

export function renderChart(report: BenchReport): string {
  const targets = [...new Set(report.results.map((r) => r.target))];
  let x = 60;
  const legend = targets
    .map((t) => {
      const item = `<g transform="translate(${x} ${HEIGHT - 22})"><line x1="0" x2="24" y1="-4" y2="-4" stroke="${COLORS[t]}" stroke-width="2"/><text x="30" y="0">${escape(TARGET_TITLES[t])}</text></g>`;
      x += 60 + TARGET_TITLES[t].length * 6.5; // about 6.5 px per character at 12 px sans-serif
      return item;
    })
    .join('\n');
  const behind = report.results.filter((r) => r.couldNotKeepUp).map((r) => `${TARGET_TITLES[r.target]} could not keep up at ${r.agents} agents`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14">fleetpulse vs Pushgateway, ${escape(report.date.slice(0, 10))}, ${report.machine.cores} cores (${escape(report.machine.cpuModel)}); hollow = did not keep the period</text>`,
    ...PANELS.map((spec, i) => panel(report, spec, 80 + i * 450)),
    legend,
    behind.length > 0 ? `<text x="${WIDTH / 2}" y="${HEIGHT - 4}" text-anchor="middle" font-size="11">${escape(behind.join('; '))}</text>` : '',
    '</svg>',
    '',
  ].join('\n');
}
