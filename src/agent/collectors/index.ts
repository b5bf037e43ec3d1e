import { createArpCollector } from './arp.js';
import { createConntrackCollector } from './conntrack.js';
import { createCpuCollector } from './cpu.js';
import { createDiskstatsCollector } from './diskstats.js';
import { createEntropyCollector } from './entropy.js';
import { createFilefdCollector } from './filefd.js';
import { createFilesystemCollector } from './filesystem.js';
import { createHwmonCollector } from './hwmon.js';
import { createLoadavgCollector } from './loadavg.js';
import { createMeminfoCollector } from './meminfo.js';
import { createNetclassCollector } from './netclass.js';
import { createNetdevCollector } from './netdev.js';
import { createNetstatCollector } from './netstat.js';
import { createOsCollector } from './os.js';
import { createPowersupplyclassCollector } from './powersupplyclass.js';
import { createPressureCollector } from './pressure.js';
import { createProcessCollector } from './process.js';
import { createProcessesCollector } from './processes.js';
import { createSockstatCollector } from './sockstat.js';
import { createSoftnetCollector } from './softnet.js';
import { createStatCollector } from './stat.js';
import { createThermalZoneCollector } from './thermal-zone.js';
import { createTimeCollector } from './time.js';
import { createTimexCollector } from './timex.js';
import type { Collector, CollectorFactory, CollectorOptions, HostPaths } from './types.js';
import { createUdpQueuesCollector } from './udp-queues.js';
import { createUnameCollector } from './uname.js';
import { createVmstatCollector } from './vmstat.js';

/** Every collector the agent knows, by the name node_scrape_collector_success reports. */
export const collectorFactories: Record<string, CollectorFactory> = {
  arp: createArpCollector,
  conntrack: createConntrackCollector,
  cpu: createCpuCollector,
  diskstats: createDiskstatsCollector,
  entropy: createEntropyCollector,
  filefd: createFilefdCollector,
  filesystem: (paths) => createFilesystemCollector(paths),
  hwmon: createHwmonCollector,
  loadavg: createLoadavgCollector,
  meminfo: createMeminfoCollector,
  netclass: createNetclassCollector,
  netdev: createNetdevCollector,
  netstat: createNetstatCollector,
  os: createOsCollector,
  powersupplyclass: createPowersupplyclassCollector,
  pressure: createPressureCollector,
  process: createProcessCollector,
  processes: createProcessesCollector,
  sockstat: createSockstatCollector,
  softnet: createSoftnetCollector,
  stat: createStatCollector,
  thermal_zone: createThermalZoneCollector,
  time: createTimeCollector,
  timex: createTimexCollector,
  udp_queues: createUdpQueuesCollector,
  uname: createUnameCollector,
  vmstat: createVmstatCollector,
};

/** Creates the named collectors (all of them by default); an unknown name is a configuration error. */
export function createCollectors(paths: HostPaths, enabled: string[] = Object.keys(collectorFactories), options: CollectorOptions = {}): Collector[] {
  return enabled.map((name) => {
    const factory = Object.hasOwn(collectorFactories, name) ? collectorFactories[name] : undefined;
    if (factory === undefined) {
      throw new Error(`unknown collector "${name}"; known: ${Object.keys(collectorFactories).join(', ')}`);
    }
    return factory(paths, options);
  });
}
