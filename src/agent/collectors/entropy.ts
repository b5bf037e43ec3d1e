import { join } from 'node:path';
import { gauge, single } from './family.js';
import { numberField } from './parse-field.js';
import { readText } from './read-text.js';
import type { CollectorFactory } from './types.js';

/** One integer file of /proc/sys/kernel/random. */
export function parseRandomValue(text: string, file: string): number {
  return numberField(text.trim(), `random/${file}`);
}

/** Since Linux 5.18 poolsize is a constant 256 (the pool became a fixed-size hash). */
export const createEntropyCollector: CollectorFactory = (paths) => ({
  name: 'entropy',
  async collect(signal) {
    const dir = join(paths.proc, 'sys', 'kernel', 'random');
    const [avail, pool] = await Promise.all(['entropy_avail', 'poolsize'].map((f) => readText(join(dir, f), signal)));
    return [
      gauge('node_entropy_available_bits', 'Bits of available entropy.', single(parseRandomValue(avail!, 'entropy_avail'))),
      gauge('node_entropy_pool_size_bits', 'Bits of entropy pool.', single(parseRandomValue(pool!, 'poolsize'))),
    ];
  },
});
