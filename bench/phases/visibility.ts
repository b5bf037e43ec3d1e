import { scrape } from '../measure/scrape.js';
import { median } from '../measure/stats.js';
import { MARKER, type RunningTarget } from '../systems/target.js';

export interface Visibility {
  /** Per probe: send to the start of the first scrape showing the sample, in ms (Infinity = never within the bound). */
  visibleMs: number[];
  /** Per probe: send to the target's answer (ack or HTTP status), in ms. */
  answeredMs: number[];
  /** Median duration of the scrapes polled meanwhile: the resolution of visibleMs. */
  scrapeMs: number;
  scrapes: number;
}

/**
 * Sample-to-visible delay: a probe agent sends a marker value, then /metrics is polled back to
 * back (gzip, as Prometheus asks) until a scrape shows it. A scrape that started after the send
 * and shows the value bounds the delay from above; one that missed it bounds it from below.
 */
export async function measureVisibility(target: RunningTarget, probes: number, boundMs: number, totalBoundMs: number): Promise<Visibility> {
  const started = Date.now();
  const visibleMs: number[] = [];
  const answeredMs: number[] = [];
  const scrapeMs: number[] = [];
  const probe = await target.probe();
  try {
    for (let i = 0; i < probes && (i === 0 || Date.now() - started < totalBoundMs); i++) {
      // Small integers: Go prints floats of 1e21 and more, and Pushgateway of 1e6 and more, in exponent form.
      const value = 1 + ((Date.now() + i) % 900_000);
      const sentAt = Date.now();
      const answered = probe
        .push([{ name: MARKER, type: 'gauge', help: 'Benchmark probe: the value last sent.', samples: [{ value }] }])
        .then(() => answeredMs.push(Date.now() - sentAt));
      const pattern = target.markerPattern(value);
      for (;;) {
        const s = await scrape(target.metricsUrl, { gzip: true, keepText: true });
        scrapeMs.push(s.seconds * 1000);
        if (pattern.test(s.text!)) {
          visibleMs.push(Math.max(0, s.startedAt - sentAt));
          break;
        }
        if (Date.now() - sentAt > boundMs) {
          visibleMs.push(Number.POSITIVE_INFINITY);
          break;
        }
      }
      await answered.catch(() => undefined);
    }
  } finally {
    probe.close();
  }
  return { visibleMs, answeredMs, scrapeMs: median(scrapeMs), scrapes: scrapeMs.length };
}
