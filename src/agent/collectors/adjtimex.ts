import { createRequire } from 'node:module';

/** The fields of struct timex (adjtimex(2)) the timex collector reports, as the kernel returns them. */
export interface Timex {
  offset: number;
  freq: number;
  maxerror: number;
  esterror: number;
  status: number;
  constant: number;
  tick: number;
  ppsfreq: number;
  jitter: number;
  shift: number;
  stabil: number;
  jitcnt: number;
  calcnt: number;
  errcnt: number;
  stbcnt: number;
  tai: number;
}

export interface AdjtimexReading {
  /** adjtimex's return value: the clock state (TIME_OK = 0 ... TIME_ERROR = 5). */
  state: number;
  timex: Timex;
}

export type ReadAdjtimex = () => AdjtimexReading;

interface Koffi {
  load(path: string | null): { func(signature: string): (...args: unknown[]) => number };
  struct(name: string, fields: Record<string, unknown>): unknown;
  array(type: string, length: number): unknown;
  errno(): number;
}

let loaded: ReadAdjtimex | Error | undefined;

/**
 * adjtimex(2) with modes = 0 (read only: no privilege needed) through koffi, a maintained FFI
 * package with prebuilt binaries: Node has no binding of its own. Loaded on first use; a host where
 * koffi or the call cannot work gets an Error saying why, every time, and never a made-up value.
 */
export function loadAdjtimex(): ReadAdjtimex {
  if (loaded === undefined) loaded = bind();
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

function bind(): ReadAdjtimex | Error {
  if (process.platform !== 'linux') return new Error(`adjtimex(2) is Linux-only; this is ${process.platform}`);
  let koffi: Koffi;
  try {
    // Resolved at run time beside this module (or beside the single-file bundle, which carries no
    // native code: `npm install koffi` next to fleetpulse.cjs enables timex there).
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (err) {
    return new Error(`koffi (the FFI package timex calls adjtimex(2) through) could not be loaded: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    // dlopen(NULL): the symbols already in the process, libc's adjtimex among them (glibc and musl).
    const libc = koffi.load(null);
    koffi.struct('fleetpulse_timeval', { tv_sec: 'long', tv_usec: 'long' });
    // struct timex from <sys/timex.h>; 'long' follows the platform, koffi applies C alignment.
    koffi.struct('fleetpulse_timex', {
      modes: 'uint', offset: 'long', freq: 'long', maxerror: 'long', esterror: 'long', status: 'int',
      constant: 'long', precision: 'long', tolerance: 'long', time: 'fleetpulse_timeval', tick: 'long',
      ppsfreq: 'long', jitter: 'long', shift: 'int', stabil: 'long', jitcnt: 'long', calcnt: 'long',
      errcnt: 'long', stbcnt: 'long', tai: 'int', reserved: koffi.array('int', 11),
    });
    const adjtimex = libc.func('int adjtimex(_Inout_ fleetpulse_timex *buf)');
    return () => {
      const buf = { modes: 0 } as Partial<Timex> & { modes: number };
      const state = adjtimex(buf);
      if (state < 0) throw new Error(`adjtimex(2) failed with errno ${koffi.errno()}${koffi.errno() === 1 ? ' (EPERM: a seccomp profile may forbid it)' : ''}`);
      return { state, timex: buf as unknown as Timex };
    };
  } catch (err) {
    return new Error(`adjtimex(2) could not be bound through koffi: ${(err as Error).message}`);
  }
}
