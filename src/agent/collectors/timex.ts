import type { MetricFamily } from '../../protocol/messages.js';
import { loadAdjtimex, type AdjtimexReading, type ReadAdjtimex } from './adjtimex.js';
import { counter, gauge, single } from './family.js';
import type { Collector, CollectorFactory } from './types.js';

/** adjtimex's return value when the clock is not synchronised (TIME_ERROR). */
const TIME_ERROR = 5;
/** STA_NANO: offset and jitter are in nanoseconds rather than microseconds. */
const STA_NANO = 0x2000;
/** freq, ppsfreq and stabil are ppm with a 16-bit fraction (adjtimex(2) NOTES). */
const PPM16FRAC = 1_000_000 * 65536;
/** |offset| above this is a kernel overflow artefact (node_exporter issue 3764), counted apart. */
const OFFSET_OVERFLOW_SECONDS = 4;

/** node_exporter's timex families from one adjtimex(2) reading; overflows counted so far by the caller. */
export function timexFamilies({ state, timex: t }: AdjtimexReading, overflows: number): MetricFamily[] {
  const divisor = t.status & STA_NANO ? 1e9 : 1e6;
  return [
    gauge('node_timex_sync_status', 'Is clock synchronized to a reliable server (1 = yes, 0 = no).', single(state === TIME_ERROR ? 0 : 1)),
    gauge('node_timex_offset_seconds', 'Time offset in between local system and reference clock.', single(t.offset / divisor), 'seconds'),
    counter('node_timex_offset_overflow_total', 'Count of adjtimex() offset readings indicating kernel overflow (|offset| > 4s). See https://github.com/prometheus/node_exporter/issues/3764', single(overflows)),
    gauge('node_timex_frequency_adjustment_ratio', 'Local clock frequency adjustment.', single(1 + t.freq / PPM16FRAC)),
    gauge('node_timex_maxerror_seconds', 'Maximum error in seconds.', single(t.maxerror / 1e6), 'seconds'),
    gauge('node_timex_estimated_error_seconds', 'Estimated error in seconds.', single(t.esterror / 1e6), 'seconds'),
    gauge('node_timex_status', 'Value of the status array bits.', single(t.status)),
    gauge('node_timex_loop_time_constant', 'Phase-locked loop time constant.', single(t.constant)),
    gauge('node_timex_tick_seconds', 'Seconds between clock ticks.', single(t.tick / 1e6), 'seconds'),
    gauge('node_timex_pps_frequency_hertz', 'Pulse per second frequency.', single(t.ppsfreq / PPM16FRAC)),
    gauge('node_timex_pps_jitter_seconds', 'Pulse per second jitter.', single(t.jitter / divisor), 'seconds'),
    gauge('node_timex_pps_shift_seconds', 'Pulse per second interval duration.', single(t.shift), 'seconds'),
    gauge('node_timex_pps_stability_hertz', 'Pulse per second stability, average of recent frequency changes.', single(t.stabil / PPM16FRAC)),
    counter('node_timex_pps_jitter_total', 'Pulse per second count of jitter limit exceeded events.', single(t.jitcnt)),
    counter('node_timex_pps_calibration_total', 'Pulse per second count of calibration intervals.', single(t.calcnt)),
    counter('node_timex_pps_error_total', 'Pulse per second count of calibration errors.', single(t.errcnt)),
    counter('node_timex_pps_stability_exceeded_total', 'Pulse per second count of stability limit exceeded events.', single(t.stbcnt)),
    gauge('node_timex_tai_offset_seconds', 'International Atomic Time (TAI) offset.', single(t.tai), 'seconds'),
  ];
}

/** Whether a reading's offset is one of the kernel's overflow artefacts. */
export function isOffsetOverflow({ timex: t }: AdjtimexReading): boolean {
  return Math.abs(t.offset / (t.status & STA_NANO ? 1e9 : 1e6)) > OFFSET_OVERFLOW_SECONDS;
}

/**
 * The kernel clock's discipline state, as node_exporter's timex. adjtimex(2) reports the kernel
 * of the agent, which in a container is the host's. `read` is injectable for tests.
 */
export function createTimexCollectorWith(read: () => ReadAdjtimex): Collector {
  let overflows = 0;
  return {
    name: 'timex',
    async collect() {
      const reading = read()();
      if (isOffsetOverflow(reading)) overflows++;
      return timexFamilies(reading, overflows);
    },
  };
}

export const createTimexCollector: CollectorFactory = () => createTimexCollectorWith(loadAdjtimex);
