import type { MetricFamily, MetricType, Sample } from '../../protocol/messages.js';

/** Shorthands so collectors read like a list of metric declarations. */
export function family(type: MetricType, name: string, help: string, samples: Sample[], unit?: string): MetricFamily {
  return unit === undefined ? { name, type, help, samples } : { name, type, help, unit, samples };
}

export function gauge(name: string, help: string, samples: Sample[], unit?: string): MetricFamily {
  return family('gauge', name, help, samples, unit);
}

export function counter(name: string, help: string, samples: Sample[], unit?: string): MetricFamily {
  return family('counter', name, help, samples, unit);
}

/** One unlabelled sample. */
export function single(value: number): Sample[] {
  return [{ value }];
}
