import { join } from 'node:path';
import type { MetricFamily } from '../../protocol/messages.js';
import { counter, single } from './family.js';
import { numberField } from './parse-field.js';
import { readTextIfExists } from './read-text.js';
import type { CollectorFactory } from './types.js';

/** Cumulative stall time of one /proc/pressure file, in microseconds as the kernel prints it. */
export interface PsiTotals {
  some?: number;
  full?: number;
}

/** "some avg10=0.00 avg60=0.00 avg300=0.00 total=14036781" lines; only `total` is kept. */
export function parsePressure(text: string, resource: string): PsiTotals {
  const out: PsiTotals = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const kind = line.slice(0, line.indexOf(' '));
    const total = / total=(\S+)/.exec(line)?.[1];
    if ((kind !== 'some' && kind !== 'full') || total === undefined) {
      throw new Error(`pressure/${resource}: expected "some|full avg10=… total=N", got ${JSON.stringify(line)}`);
    }
    out[kind] = numberField(total, `pressure/${resource} ${kind} total`);
  }
  return out;
}

const HELP = {
  cpu: 'Total time in seconds that processes have waited for CPU time',
  io: 'Total time in seconds that processes have waited due to IO congestion',
  ioFull: 'Total time in seconds no process could make progress due to IO congestion',
  memory: 'Total time in seconds that processes have waited for memory',
  memoryFull: 'Total time in seconds no process could make progress due to memory congestion',
  irqFull: 'Total time in seconds no process could make progress due to IRQ congestion',
};

const seconds = (us: number): ReturnType<typeof single> => single(us / 1e6);

/**
 * node_exporter's families: cpu "some" only (its "full" line, Linux ≥ 5.13, is not exported),
 * io and memory both, irq (Linux ≥ 6.1, CONFIG_IRQ_TIME_ACCOUNTING) "full" only.
 */
export function pressureFamilies(resource: string, t: PsiTotals): MetricFamily[] {
  const need = (kind: 'some' | 'full'): number => {
    const v = t[kind];
    if (v === undefined) throw new Error(`pressure/${resource}: no "${kind}" line`);
    return v;
  };
  switch (resource) {
    case 'cpu':
      return [counter('node_pressure_cpu_waiting_seconds_total', HELP.cpu, seconds(need('some')), 'seconds')];
    case 'io':
      return [
        counter('node_pressure_io_waiting_seconds_total', HELP.io, seconds(need('some')), 'seconds'),
        counter('node_pressure_io_stalled_seconds_total', HELP.ioFull, seconds(need('full')), 'seconds'),
      ];
    case 'memory':
      return [
        counter('node_pressure_memory_waiting_seconds_total', HELP.memory, seconds(need('some')), 'seconds'),
        counter('node_pressure_memory_stalled_seconds_total', HELP.memoryFull, seconds(need('full')), 'seconds'),
      ];
    case 'irq':
      return [counter('node_pressure_irq_stalled_seconds_total', HELP.irqFull, seconds(need('full')), 'seconds')];
    default:
      throw new Error(`pressure: unknown resource ${JSON.stringify(resource)}`);
  }
}

const RESOURCES = ['cpu', 'io', 'memory', 'irq'] as const;

export const createPressureCollector: CollectorFactory = (paths) => ({
  name: 'pressure',
  async collect(signal) {
    const read = (resource: string): Promise<string | undefined> =>
      readTextIfExists(join(paths.proc, 'pressure', resource), signal).catch((err: NodeJS.ErrnoException) => {
        // CONFIG_PSI_DEFAULT_DISABLED: the files exist but reading them fails.
        if (err.code === 'EOPNOTSUPP') throw new Error('pressure information is disabled in this kernel; add psi=1 to its command line');
        throw err;
      });
    const texts = await Promise.all(RESOURCES.map(read));
    const families: MetricFamily[] = [];
    RESOURCES.forEach((resource, i) => {
      const text = texts[i];
      if (text !== undefined) families.push(...pressureFamilies(resource, parsePressure(text, resource)));
    });
    if (families.length === 0) {
      throw new Error(`no pressure information in ${join(paths.proc, 'pressure')}: it needs Linux ≥ 4.20 with CONFIG_PSI`);
    }
    return families;
  },
});
