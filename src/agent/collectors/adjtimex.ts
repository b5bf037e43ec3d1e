import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';

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

/** A bound adjtimex(2) and what makes the call. */
export interface AdjtimexBinding {
  read: ReadAdjtimex;
  via: 'addon' | 'koffi';
  /** The addon's path, or the koffi package's entry. */
  from: string;
}

/** Our addon (src/agent/native/adjtimex.c), built by scripts/build-native.mjs beside the builds. */
export const ADDON_FILE = 'adjtimex.node';

/** The addon's array after [state, errno], in this order (the same list is in adjtimex.c). */
const ADDON_FIELDS = ['offset', 'freq', 'maxerror', 'esterror', 'status', 'constant', 'tick', 'ppsfreq', 'jitter', 'shift', 'stabil', 'jitcnt', 'calcnt', 'errcnt', 'stbcnt', 'tai'] as const;
const ADDON_LENGTH = 2 + ADDON_FIELDS.length;

interface Koffi {
  load(path: string | null): { func(signature: string): (...args: unknown[]) => number };
  struct(name: string, fields: Record<string, unknown>): unknown;
  array(type: string, length: number): unknown;
  errno(): number;
}

let loaded: ReadAdjtimex | Error | undefined;

/**
 * adjtimex(2) with modes = 0 (read only: no privilege needed), bound on first use: Node has no
 * binding of its own. A host where the call cannot be made gets an Error saying why, every time,
 * and never a made-up value.
 */
export function loadAdjtimex(): ReadAdjtimex {
  if (loaded === undefined) {
    const bound = bindAdjtimex();
    loaded = bound instanceof Error ? bound : bound.read;
  }
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

/**
 * Where the addon is looked for: the directory of the build that runs. This module is either
 * inside a single-file bundle (dist/fleetpulse-agent.cjs, /opt/fleetpulse/fleetpulse-agent.cjs:
 * beside it), or tsc's dist/agent/collectors/adjtimex.js (dist/, beside dist/cli.js), or run from
 * the sources by tsx (src/agent/collectors/adjtimex.ts: the repository's dist/, which `npm run
 * build` fills). One directory, never a search path: native code loads only from where we put it.
 */
export function addonDir(moduleUrl: string = import.meta.url): string {
  const file = fileURLToPath(moduleUrl);
  const here = dirname(file);
  if (basename(file) === 'adjtimex.ts') return resolve(here, '../../../dist');
  if (basename(file) === 'adjtimex.js') return resolve(here, '../..');
  return here;
}

/**
 * Binds adjtimex(2): our Node-API addon if it loads (a few KiB; see adjtimex.c for why it exists),
 * else koffi (a maintained FFI package with prebuilt binaries, for a build made without a C
 * compiler; about 3 MiB more RSS), else an Error naming both and how to fix it.
 * `koffiFrom` is the module koffi is resolved from (its node_modules, or beside the bundle).
 */
export function bindAdjtimex({ dir = addonDir(), koffiFrom = import.meta.url }: { dir?: string; koffiFrom?: string } = {}): AdjtimexBinding | Error {
  if (process.platform !== 'linux') return new Error(`adjtimex(2) is Linux-only; this is ${process.platform}`);
  const addonPath = join(dir, ADDON_FILE);
  const addon = bindAddon(addonPath);
  if (!(addon instanceof Error)) return addon;
  const koffi = bindKoffi(koffiFrom);
  if (!(koffi instanceof Error)) return koffi;
  return new Error(
    `adjtimex(2) cannot be called: the addon ${addonPath} ${addon.message}; koffi ${koffi.message}. ` +
      `To fix: build where a C compiler is installed (npm run build / npm run bundle; Debian: apt-get install gcc libc6-dev) ` +
      `and install adjtimex.node beside the agent's file, or install koffi there (npm install koffi)`,
  );
}

function bindAddon(path: string): AdjtimexBinding | Error {
  let call: () => unknown;
  try {
    call = createRequire(import.meta.url)(path) as () => unknown;
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    return new Error(code === 'MODULE_NOT_FOUND' ? 'was not found (built without a C compiler?)' : `does not load: ${message.split('\n')[0]}`);
  }
  if (typeof call !== 'function') return new Error(`exports a ${typeof call}, not the adjtimex function: rebuild it (npm run build)`);
  // An addon built from another version of adjtimex.c: refuse it rather than misread fields.
  const wrongLayout = (values: unknown): string | undefined =>
    Array.isArray(values) && values.length === ADDON_LENGTH && values.every((v) => typeof v === 'number')
      ? undefined
      : `returned ${Array.isArray(values) ? `${values.length} values` : typeof values}, not the ${ADDON_LENGTH} numbers this agent reads: rebuild it (npm run build)`;
  const problem = wrongLayout(call());
  if (problem !== undefined) return new Error(problem);
  const read = (): AdjtimexReading => {
    const values = call() as number[];
    const [state, errno] = values as [number, number];
    if (state < 0) throw callFailed(errno);
    const timex = {} as Timex;
    ADDON_FIELDS.forEach((field, i) => (timex[field] = values[2 + i]!));
    return { state, timex };
  };
  return { read, via: 'addon', from: path };
}

/** koffi's type names are global to its module instance: one binding per koffi package loaded. */
const koffiBindings = new Map<string, AdjtimexBinding | Error>();

function bindKoffi(from: string): AdjtimexBinding | Error {
  let entry: string;
  try {
    entry = createRequire(from).resolve('koffi');
  } catch (err) {
    return new Error(`(the FFI package) could not be loaded: ${(err as Error).message.split('\n')[0]}`);
  }
  let binding = koffiBindings.get(entry);
  if (binding === undefined) koffiBindings.set(entry, (binding = bindKoffiAt(entry)));
  return binding;
}

function bindKoffiAt(entry: string): AdjtimexBinding | Error {
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)(entry) as Koffi;
  } catch (err) {
    return new Error(`(the FFI package) could not be loaded: ${(err as Error).message.split('\n')[0]}`);
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
    const read = (): AdjtimexReading => {
      const buf = { modes: 0 } as Partial<Timex> & { modes: number };
      const state = adjtimex(buf);
      if (state < 0) throw callFailed(koffi.errno());
      return { state, timex: buf as unknown as Timex };
    };
    return { read, via: 'koffi', from: entry };
  } catch (err) {
    return new Error(`could not bind adjtimex(2): ${(err as Error).message}`);
  }
}

function callFailed(errno: number): Error {
  const name = errno > 0 ? getSystemErrorName(-errno) : 'unknown';
  const hint = name === 'EPERM' ? ': a seccomp filter forbids it (a container profile, or systemd\'s ProtectClock=yes or SystemCallFilter=~@clock)' : '';
  return new Error(`adjtimex(2) failed with errno ${errno} (${name})${hint}`);
}
