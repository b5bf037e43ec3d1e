import { join } from 'node:path';
import { gauge, single } from './family.js';
import { numberField } from './parse-field.js';
import { readText } from './read-text.js';
import type { CollectorFactory } from './types.js';

export interface FileFdStats {
  allocated: number;
  maximum: number;
}

/** /proc/sys/fs/file-nr: "allocated  unused(always 0 since 2.6)  maximum". */
export function parseFileNr(text: string): FileFdStats {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 3) throw new Error(`file-nr: expected 3 fields, got ${JSON.stringify(text.trim())}`);
  return { allocated: numberField(fields[0], 'file-nr: allocated'), maximum: numberField(fields[2], 'file-nr: maximum') };
}

export const createFilefdCollector: CollectorFactory = (paths) => ({
  name: 'filefd',
  async collect(signal) {
    const { allocated, maximum } = parseFileNr(await readText(join(paths.proc, 'sys', 'fs', 'file-nr'), signal));
    return [
      gauge('node_filefd_allocated', 'File descriptor statistics: allocated.', single(allocated)),
      gauge('node_filefd_maximum', 'File descriptor statistics: maximum.', single(maximum)),
    ];
  },
});
