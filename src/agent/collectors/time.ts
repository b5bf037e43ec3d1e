import { gauge, single } from './family.js';
import type { CollectorFactory } from './types.js';

/** The agent's wall clock, so clock skew against Prometheus shows (node_time_seconds). */
export const createTimeCollector: CollectorFactory = () => ({
  name: 'time',
  async collect() {
    return [gauge('node_time_seconds', 'System time in seconds since epoch (1970).', single(Date.now() / 1000), 'seconds')];
  },
});
