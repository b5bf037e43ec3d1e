import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/**
 * Most bytes one kernel text file may hold. The largest seen on busy hosts (net/tcp6 with tens of
 * thousands of sockets, mountinfo with thousands of container mounts) stay well below; a file
 * past it is not a kernel file (a /dev/zero or a growing log where a mounted HOST_PROC/HOST_SYS
 * tree should have one), and reading it whole would only eat the agent's memory.
 */
export const MAX_TEXT_BYTES = 32 * 1024 * 1024;

/**
 * Opened non-blocking: a FIFO where a /proc or /sys file should be (a host tree that is not
 * procfs or sysfs) would otherwise block the open, and with it the agent's only thread, until
 * something writes to it. Regular files ignore the flag.
 */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Shared by every synchronous read (nothing runs between its reads and the decode). */
const CHUNK = Buffer.allocUnsafe(64 * 1024);

/** Why a file cannot be read as text: not a regular file, or too large. `code` is for the caller to tell. */
export class UnreadableFileError extends Error {
  constructor(
    readonly code: 'FP_NOT_REGULAR_FILE' | 'FP_FILE_TOO_LARGE',
    message: string,
  ) {
    super(message);
  }
}

/** What a file that is not a regular file is, for errors: 'a FIFO', 'a character device', ... */
export function kindOf(stat: Pick<Stats, 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket' | 'isDirectory'>): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  return 'not a regular file';
}

function notRegular(path: string, stat: Stats): UnreadableFileError {
  return new UnreadableFileError('FP_NOT_REGULAR_FILE', `${path}: ${kindOf(stat)}, not a regular file; not read`);
}

/** Throws when the open file is not a regular file. */
function checkRegular(fd: number, path: string): void {
  const stat = fstatSync(fd);
  if (!stat.isFile()) throw notRegular(path, stat);
}

/**
 * The text of an open file, which must be a regular file (procfs and sysfs files are, with size
 * 0: they are read until read(2) returns 0, never sized by stat), at most maxBytes. The file's
 * type is checked only when a read tells something is odd — an error (EAGAIN from a FIFO with a
 * writer, EISDIR), nothing at all (a FIFO without one, /dev/null) or a full chunk (a device never
 * ends) — so the ~150 small kernel files of a collection cost no fstat.
 */
function readOpenFile(fd: number, path: string, maxBytes: number): string {
  let parts: Buffer[] | undefined;
  let length = 0; // in CHUNK
  let total = 0;
  for (;;) {
    if (length === CHUNK.length) {
      if (parts === undefined) checkRegular(fd, path);
      (parts ??= []).push(Buffer.from(CHUNK));
      length = 0;
    }
    let n: number;
    try {
      n = readSync(fd, CHUNK, length, CHUNK.length - length, null);
    } catch (err) {
      checkRegular(fd, path);
      throw err;
    }
    if (n === 0) break;
    length += n;
    total += n;
    if (total > maxBytes) throw new UnreadableFileError('FP_FILE_TOO_LARGE', `${path}: larger than ${maxBytes} bytes; not read`);
  }
  if (total === 0) checkRegular(fd, path);
  if (parts === undefined) return CHUNK.toString('utf8', 0, length);
  parts.push(CHUNK.subarray(0, length));
  return Buffer.concat(parts, total).toString('utf8');
}

/**
 * A kernel text file, whole. Procfs files report size 0, so they are read until EOF, never sized.
 * Read synchronously: /proc and /sys files are generated in memory and answered at once, and a
 * synchronous read costs about 25 µs of CPU where fs.promises' open/stat/read/close round trips
 * through the thread pool cost 150 µs (measured under the agent's --lite-mode), which for the ~150
 * files of a collection was most of the agent's CPU. Calls that can hang (statfs of a network
 * mount) stay asynchronous in their collectors. Anything but a regular file (a FIFO, a device),
 * and a file past maxBytes, throws an UnreadableFileError naming the path.
 */
export async function readText(path: string, signal: AbortSignal, maxBytes = MAX_TEXT_BYTES): Promise<string> {
  signal.throwIfAborted();
  return readTextSync(path, maxBytes);
}

/**
 * readText without the promise, for collectors that read many files per collection (netclass,
 * processes): under --lite-mode each await is interpreted bookkeeping that costs more than the
 * read itself. Such a collector checks its signal itself, once per device or directory.
 */
export function readTextSync(path: string, maxBytes = MAX_TEXT_BYTES): string {
  const fd = openSync(path, READ_FLAGS);
  try {
    return readOpenFile(fd, path, maxBytes);
  } finally {
    closeSync(fd);
  }
}

/**
 * Like readText, but a missing file (kernel without the feature, module not loaded, IPv6 off)
 * is `undefined` instead of an error; every other error still rejects.
 */
export async function readTextIfExists(path: string, signal: AbortSignal): Promise<string | undefined> {
  signal.throwIfAborted();
  return readTextIfExistsSync(path);
}

/** readTextIfExists without the promise. */
export function readTextIfExistsSync(path: string): string | undefined {
  try {
    return readTextSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * A file descriptor for reading, or undefined when the file does not exist (a process that
 * exited since the listing, IPv6 off); every other error throws. The caller closes it, and
 * reads it into a bounded buffer. Opened non-blocking, as readTextSync.
 */
export function openIfExists(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // Callers may read until EOF: a device (/dev/zero) never ends.
  const stat = fstatSync(fd);
  if (stat.isFile()) return fd;
  closeSync(fd);
  throw notRegular(path, stat);
}
