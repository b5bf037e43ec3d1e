import { percentile } from '../measure/stats.js';
import { sleep } from '../fleet/cycle-driver.js';
import { startPrometheus } from '../systems/prometheus.js';
import type { RunningTarget } from '../systems/target.js';

export interface PrometheusLoop {
  intervalSeconds: number;
  scrapes: number;
  /** Prometheus's own scrape_duration_seconds for the target. */
  durationP50Seconds: number;
  durationMaxSeconds: number;
  samplesScraped: number;
  /** Scrapes that failed (up == 0). */
  failedScrapes: number;
}

/** A real Prometheus scrapes the target at intervalSeconds until it has `scrapes` scrapes. */
export async function prometheusLoop(target: RunningTarget, intervalSeconds: number, scrapes: number): Promise<PrometheusLoop> {
  const prometheus = await startPrometheus({ job: target.name, target: target.scrapeAddress, intervalSeconds });
  try {
    const window = `${Math.ceil((scrapes + 2) * intervalSeconds)}s`;
    const deadline = Date.now() + (scrapes + 2) * intervalSeconds * 1000 + 10_000;
    let durations: number[] = [];
    while (Date.now() < deadline) {
      await sleep(Math.min(intervalSeconds * 1000, 2000));
      durations = await prometheus.samples(`scrape_duration_seconds[${window}]`);
      if (durations.length >= scrapes) break;
    }
    const up = await prometheus.samples(`up[${window}]`);
    const samples = await prometheus.samples(`scrape_samples_scraped[${window}]`);
    return {
      intervalSeconds,
      scrapes: durations.length,
      durationP50Seconds: percentile(durations, 50),
      durationMaxSeconds: Math.max(...durations),
      samplesScraped: Math.max(0, ...samples),
      failedScrapes: up.filter((v) => v === 0).length,
    };
  } finally {
    await prometheus.stop();
  }
}
