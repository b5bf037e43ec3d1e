import type { MetricFamily } from '../../protocol/messages.js';

/** Where the host's filesystems are visible (node_exporter's --path.procfs/sysfs/rootfs). */
export interface HostPaths {
  /** e.g. /proc, or /host/proc inside a container. */
  proc: string;
  /** e.g. /sys, or /host/sys. */
  sys: string;
  /** e.g. /, or /host/root. Mount points are reported relative to it. */
  root: string;
}

/**
 * One metric family group (cpu, meminfo, ...). Created once per agent by its factory,
 * so it may keep state between runs (e.g. the previous CPU counters for busy %).
 */
export interface Collector {
  /** The value of node_scrape_collector_success{collector=...}. */
  readonly name: string;
  /**
   * Reads the host and returns complete families. Rejects on failure. The signal
   * aborts when the collector's timeout passes; collectors should stop work then.
   */
  collect(signal: AbortSignal): Promise<MetricFamily[]>;
  /**
   * Optional second step once every collector has run: replaces this collector's families (what
   * its collect() returned) with the final ones, knowing the other collectors' families. The
   * textfile collector uses it to refuse files that would shadow the agent's own families.
   */
  reconcile?(own: MetricFamily[], others: readonly MetricFamily[]): MetricFamily[];
}

/** Settings some collectors take (FLEETPULSE_NETSTAT_FIELDS, ...); absent: node_exporter's defaults. */
export interface CollectorOptions {
  netstatFields?: RegExp | undefined;
  vmstatFields?: RegExp | undefined;
}

export type CollectorFactory = (paths: HostPaths, options?: CollectorOptions) => Collector;
