// Which of node-mixin's alerts (node_exporter docs/node-mixin, lib/linux/alerts) have their input
// series on fleetpulse data, measured on this host next to Debian's node_exporter with its default
// collectors (the same stack as the Node Exporter Full comparison). A rule "works" for a target when
// every metric it reads has at least one series there; whether it fires is then the data's business.
import type { TestPrometheus } from '../helpers/prometheus.js';
import type { Target } from './node-exporter-full.js';

/** node-mixin's alerts and the metrics each one reads (names only; the expressions are node-mixin's). */
export const NODE_MIXIN_ALERTS: { alert: string; metrics: string[]; ours?: string }[] = [
  { alert: 'NodeFilesystemSpaceFillingUp', metrics: ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes', 'node_filesystem_readonly'] },
  { alert: 'NodeFilesystemAlmostOutOfSpace', metrics: ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes', 'node_filesystem_readonly'] },
  { alert: 'NodeFilesystemFilesFillingUp', metrics: ['node_filesystem_files_free', 'node_filesystem_files', 'node_filesystem_readonly'] },
  { alert: 'NodeFilesystemAlmostOutOfFiles', metrics: ['node_filesystem_files_free', 'node_filesystem_files', 'node_filesystem_readonly'] },
  { alert: 'NodeNetworkReceiveErrs', metrics: ['node_network_receive_errs_total', 'node_network_receive_packets_total'] },
  { alert: 'NodeNetworkTransmitErrs', metrics: ['node_network_transmit_errs_total', 'node_network_transmit_packets_total'] },
  { alert: 'NodeHighNumberConntrackEntriesUsed', metrics: ['node_nf_conntrack_entries', 'node_nf_conntrack_entries_limit'] },
  { alert: 'NodeTextFileCollectorScrapeError', metrics: ['node_textfile_scrape_error'] },
  { alert: 'NodeClockSkewDetected', metrics: ['node_timex_offset_seconds'] },
  { alert: 'NodeClockNotSynchronising', metrics: ['node_timex_sync_status', 'node_timex_maxerror_seconds'] },
  { alert: 'NodeRAIDDegraded', metrics: ['node_md_disks_required', 'node_md_disks'], ours: 'not shipped: no mdadm collector' },
  { alert: 'NodeRAIDDiskFailure', metrics: ['node_md_disks'], ours: 'not shipped: no mdadm collector' },
  { alert: 'NodeFileDescriptorLimit', metrics: ['node_filefd_allocated', 'node_filefd_maximum'] },
  { alert: 'NodeCPUHighUsage', metrics: ['node_cpu_seconds_total'] },
  { alert: 'NodeSystemSaturation', metrics: ['node_load1', 'node_cpu_seconds_total'] },
  { alert: 'NodeMemoryMajorPagesFaults', metrics: ['node_vmstat_pgmajfault'] },
  { alert: 'NodeMemoryHighUtilization', metrics: ['node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes'] },
  { alert: 'NodeDiskIOSaturation', metrics: ['node_disk_io_time_weighted_seconds_total'] },
  { alert: 'NodeNetworkInterfaceFlapping', metrics: ['node_network_up'] },
  { alert: 'NodeSystemdServiceFailed', metrics: ['node_systemd_unit_state'], ours: 'not shipped: no systemd collector' },
  { alert: 'NodeSystemdServiceCrashlooping', metrics: ['node_systemd_service_restart_total'], ours: 'not shipped: no systemd collector' },
  { alert: 'NodeBondingDegraded', metrics: ['node_bonding_slaves', 'node_bonding_active'], ours: 'not shipped: no bonding collector' },
  { alert: 'NodeHardwareTemperatureHigh', metrics: ['node_hwmon_temp_celsius'], ours: 'not shipped (off by default in node-mixin too): no hwmon collector' },
];

export interface MixinOutcome {
  alert: string;
  /** Per target: the metrics it lacks on this host (empty: the rule has all its inputs). */
  missing: Record<Target['name'], string[]>;
  ours?: string;
}

/** For each node-mixin alert, which of its metrics each target lacks. */
export async function evaluateNodeMixin(prometheus: TestPrometheus, targets: Target[]): Promise<MixinOutcome[]> {
  const present = new Map<string, boolean>();
  for (const t of targets) {
    for (const metric of new Set(NODE_MIXIN_ALERTS.flatMap((a) => a.metrics))) {
      present.set(`${t.name} ${metric}`, (await prometheus.query(`count(${metric}{job="${t.job}", instance="${t.instance}"})`)).length > 0);
    }
  }
  return NODE_MIXIN_ALERTS.map(({ alert, metrics, ours }) => ({
    alert,
    missing: Object.fromEntries(targets.map((t) => [t.name, metrics.filter((m) => !present.get(`${t.name} ${m}`))])) as MixinOutcome['missing'],
    ...(ours ? { ours } : {}),
  }));
}

/** A markdown table: alert, node_exporter here, fleetpulse here, and what is missing. */
export function formatNodeMixin(outcomes: MixinOutcome[]): string {
  const cell = (missing: string[]) => (missing.length === 0 ? 'yes' : `no (${missing.join(', ')})`);
  return [
    '| node-mixin alert | node_exporter (default collectors) | fleetpulse agent | in prometheus/rules/ |',
    '| --- | --- | --- | --- |',
    ...outcomes.map((o) => `| ${o.alert} | ${cell(o.missing.nodeExporter)} | ${cell(o.missing.fleetpulse)} | ${o.ours ?? 'yes (node.yml)'} |`),
  ].join('\n');
}
