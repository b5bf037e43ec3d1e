import { endianness } from 'node:os';
import { readFileAsync } from '../../lazy-builtins.js';

const AT_NULL = 0;
const AT_PAGESZ = 6;

/**
 * The kernel's page size from an ELF auxiliary vector (/proc/self/auxv): (type, value) word
 * pairs ending with AT_NULL. Node has no getpagesize(), and 4096 is wrong on many arm64 kernels.
 */
export function parseAuxvPageSize(auxv: Buffer, wordBytes: 4 | 8, littleEndian: boolean): number | undefined {
  const word = (at: number): number => {
    if (wordBytes === 4) return littleEndian ? auxv.readUInt32LE(at) : auxv.readUInt32BE(at);
    return Number(littleEndian ? auxv.readBigUInt64LE(at) : auxv.readBigUInt64BE(at));
  };
  for (let at = 0; at + 2 * wordBytes <= auxv.length; at += 2 * wordBytes) {
    const type = word(at);
    if (type === AT_NULL) return undefined;
    if (type === AT_PAGESZ) return word(at + wordBytes);
  }
  return undefined;
}

let cached: Promise<number | undefined> | undefined;

/** This process's page size (the host's too: containers share the kernel); undefined when unknowable. */
export function pageSize(): Promise<number | undefined> {
  cached ??= readFileAsync('/proc/self/auxv').then(
    (auxv) => parseAuxvPageSize(auxv, ['arm', 'ia32', 'mipsel', 'mips'].includes(process.arch) ? 4 : 8, endianness() === 'LE'),
    () => undefined,
  );
  return cached;
}
