import { closeSync, constants, openSync, readSync } from 'node:fs';
import { readText, readTextSync, UnreadableFileError } from './read-text.js';

/**
 * Errors a sysfs attribute raises when it exists but has no value in the device's state (speed of a
 * link that is down: EINVAL; an attribute the driver does not implement: EOPNOTSUPP), or when the
 * device went away between listing and reading: skipped as prometheus/procfs skips them.
 */
const NO_VALUE = new Set(['ENOENT', 'EINVAL', 'EOPNOTSUPP', 'ENODEV', 'ENXIO', 'EAGAIN', 'ENODATA', 'EIO']);

/** A sysfs attribute's trimmed text, or undefined when it has no value now. Other errors throw. Read synchronously (see readText). */
export async function readAttribute(path: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    return (await readText(path, signal)).trim();
  } catch (err) {
    if (NO_VALUE.has((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  }
}

const PAGE_BYTES = 4096;
const ATTRIBUTE = Buffer.alloc(PAGE_BYTES);

/**
 * readAttribute without the promise, for collectors that read many attributes each collection
 * (netclass: ~20 per interface). One read(2) into a shared buffer: sysfs hands an attribute's
 * whole text (at most a page) to the first read, so this saves readFileSync's size check and EOF
 * read; an attribute that fills the page is read again the ordinary way.
 */
export function readAttributeSync(path: string): string | undefined {
  let fd: number | undefined;
  try {
    // Non-blocking as readTextSync; a page-filling 'attribute' (/dev/zero) is refused there.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const length = readSync(fd, ATTRIBUTE, 0, PAGE_BYTES, 0);
    return (length < PAGE_BYTES ? ATTRIBUTE.toString('utf8', 0, length) : readTextSync(path)).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (NO_VALUE.has(code)) return undefined;
    // pread(2) at offset 0 fails so on a FIFO: no fstat per attribute needed to tell.
    if (code === 'ESPIPE') throw new UnreadableFileError('FP_NOT_REGULAR_FILE', `${path}: a FIFO, not a regular file; not read`);
    throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A decimal or 0x-hex integer attribute, as procfs parses them; throws naming the file otherwise. */
export function parseIntAttribute(text: string, path: string): number {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return Number.parseInt(text.slice(2), 16);
  throw new Error(`${path}: expected an integer, got ${JSON.stringify(text)}`);
}

const HEAD_BYTES = 128;
const HEAD = Buffer.alloc(HEAD_BYTES);

/**
 * The first 128 bytes of a sysfs attribute, from a single read(2), as node_exporter's hwmon
 * collector reads them: some hwmon drivers answer EAGAIN forever, so one read either has the
 * value or fails. Synchronous like readText, so opened non-blocking: sysfs attributes ignore the
 * flag, but a FIFO where an attribute should be (a tree that is not sysfs) must fail with EAGAIN
 * rather than block the agent's only thread. Every error throws for the caller to judge.
 */
export function readAttributeHead(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return HEAD.toString('utf8', 0, readSync(fd, HEAD, 0, HEAD_BYTES, null));
  } finally {
    closeSync(fd);
  }
}
