import type { BenchReport, TargetCheck } from './bench-report.js';
import type { ScaleResult } from '../phases/scale.js';

const MB = 1e6;

export function evaluateTargets(report: BenchReport): TargetCheck[] {
  const at = (target: string, agents: number): ScaleResult | undefined => report.results.find((r) => r.target === target && r.agents === agents);
  const checks: TargetCheck[] = [];
  const ratio = (goal: string, ours: number | undefined, theirs: number | undefined, max: number, unit: (v: number) => string): void => {
    if (ours === undefined || theirs === undefined || !Number.isFinite(ours) || !Number.isFinite(theirs)) {
      checks.push({ goal, measured: 'not measured in this run', met: undefined });
      return;
    }
    checks.push({ goal, measured: `${unit(ours)} vs ${unit(theirs)} = ${(ours / theirs).toFixed(3)}`, met: ours / theirs <= max });
  };
  const seconds = (v: number): string => `${v.toFixed(3)} s`;
  const mib = (v: number): string => `${(v / 2 ** 20).toFixed(0)} MiB`;
  const fp1k = at('fleetpulse', 1000);
  const pg1k = at('pushgateway-nocheck', 1000);
  ratio('1000 x 200: bridge CPU per cycle <= 1/10 of Pushgateway (check off), ingest only', fp1k?.cpuSecondsPerCycle, pg1k?.cpuSecondsPerCycle, 0.1, (v) => `${v.toFixed(3)} CPU-s`);
  ratio('1000 x 200: bridge CPU per cycle <= 1/10 of Pushgateway (check off), gzip-scraped every cycle', fp1k?.cpuSecondsPerCycleScraped, pg1k?.cpuSecondsPerCycleScraped, 0.1, (v) => `${v.toFixed(3)} CPU-s`);
  ratio('1000 x 200: gzip scrape p50 <= 1/10 of Pushgateway (check off)', fp1k?.gzip?.p50Seconds, pg1k?.gzip?.p50Seconds, 0.1, seconds);
  ratio('1000 x 200: RSS <= 1/3 of Pushgateway (check off)', fp1k?.rssBytes, pg1k?.rssBytes, 1 / 3, mib);
  const fp5k = at('fleetpulse', 5000);
  checks.push(
    fp5k && Number.isFinite(fp5k.coresBusy)
      ? {
          goal: '5000 x 200: keeps the 5 s period using at most one core',
          measured: `cycles ${fp5k.cycleSeconds.map((s) => s.toFixed(2)).join(', ')} s; ${fp5k.coresBusy.toFixed(3)} cores ingesting, ` +
            `${((fp5k.cpuSecondsPerCycleScraped ?? NaN) / (fp5k.periodMs / 1000)).toFixed(3)} cores while gzip-scraped every cycle`,
          met: fp5k.keptUp && fp5k.coresBusy <= 1 && (fp5k.cpuSecondsPerCycleScraped ?? Infinity) / (fp5k.periodMs / 1000) <= 1,
        }
      : { goal: '5000 x 200: keeps the 5 s period using at most one core', measured: 'not measured in this run', met: undefined },
    fp5k?.gzip
      ? { goal: '5000 x 200: a gzip scrape takes < 1 s (every one measured: p99)', measured: `p50 ${seconds(fp5k.gzip.p50Seconds)}, p99 ${seconds(fp5k.gzip.p99Seconds)}`, met: fp5k.gzip.p99Seconds < 1 }
      : { goal: '5000 x 200: a gzip scrape takes < 1 s', measured: 'not measured in this run', met: undefined },
  );
  const fp = report.footprint;
  if (fp && !('skipped' in fp.nodeExporter)) {
    const ne = fp.nodeExporter;
    checks.push({
      goal: 'agent: CPU per collection <= node_exporter CPU per scrape',
      measured: `${(fp.agent.cpuSecondsPerRound * 1000).toFixed(1)} ms vs ${(ne.cpuSecondsPerRound * 1000).toFixed(1)} ms`,
      met: fp.agent.cpuSecondsPerRound <= ne.cpuSecondsPerRound,
    });
  } else {
    checks.push({ goal: 'agent: CPU per collection <= node_exporter CPU per scrape', measured: 'not measured in this run', met: undefined });
  }
  checks.push(
    fp
      ? {
          goal: 'agent: RSS <= 50 MB',
          measured: `${(fp.agent.rssBytes / MB).toFixed(1)} MB (peak ${(fp.agent.peakRssBytes / MB).toFixed(1)} MB)` +
            (fp.agentPlainNode ? ` as deployed (node ${[...(fp.nodeFlags ?? []), fp.agentFile ?? 'dist/cli.js'].join(' ')}); ${(fp.agentPlainNode.rssBytes / MB).toFixed(1)} MB under a plain node` : ''),
          met: fp.agent.rssBytes <= 50 * MB,
        }
      : { goal: 'agent: RSS <= 50 MB', measured: 'not measured in this run', met: undefined },
  );
  return checks;
}
