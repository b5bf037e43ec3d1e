import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchFileName, decodeBatchFile, encodeBatchFile, seqOfFileName } from './batch-file.js';

const TMP_SUFFIX = '.tmp';

/** FLEETPULSE_BUFFER_DIR cannot be created or listed: the agent does not start. */
export class OutboxDirError extends Error {}

/** Batches left by a previous run (seq order), and the files that were skipped as corrupt. */
export interface RestoredBatches {
  batches: { seq: number; timestampMs: number; bytes: number }[];
  corrupt: { name: string; problem: string }[];
}

/**
 * Waiting batches as one file each in FLEETPULSE_BUFFER_DIR, so they survive an agent
 * restart. A file is written under a temporary name and renamed, so a crash leaves either
 * the whole file or a temporary one (removed at the next start); the checksum catches the
 * rest. Only the index (seq, time, size) is kept in memory.
 */
export class DiskStore {
  constructor(readonly dir: string) {}

  /** Writes a compressed batch; returns the bytes it takes on disk. Throws when it cannot (disk full). */
  put(seq: number, timestampMs: number, compressed: Buffer): number {
    const file = encodeBatchFile({ seq, timestampMs, payload: compressed });
    const path = join(this.dir, batchFileName(seq));
    writeFileSync(path + TMP_SUFFIX, file);
    renameSync(path + TMP_SUFFIX, path);
    return file.length;
  }

  /** The compressed batch; throws when the file is gone or damaged. */
  get(seq: number): Buffer {
    const record = decodeBatchFile(readFileSync(join(this.dir, batchFileName(seq))));
    if ('problem' in record) throw new Error(record.problem);
    if (record.seq !== seq) throw new Error(`file holds batch ${record.seq}, not ${seq}`);
    return record.payload;
  }

  remove(seq: number): void {
    try {
      unlinkSync(join(this.dir, batchFileName(seq)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** Creates the directory if needed; removes temporary and corrupt files (reported). */
  restore(): RestoredBatches {
    let names: string[];
    try {
      mkdirSync(this.dir, { recursive: true });
      names = readdirSync(this.dir).sort();
    } catch (err) {
      throw new OutboxDirError(`FLEETPULSE_BUFFER_DIR ${this.dir}: ${(err as Error).message}; make it a directory the agent may write, or unset it to keep the outbox in memory`);
    }
    const restored: RestoredBatches = { batches: [], corrupt: [] };
    for (const name of names) {
      const path = join(this.dir, name);
      if (name.endsWith(`.batch${TMP_SUFFIX}`)) {
        removeQuietly(path); // a write the previous run did not finish
        continue;
      }
      const seq = seqOfFileName(name);
      if (seq === undefined) continue; // not ours: left alone
      let problem: string;
      try {
        const data = readFileSync(path);
        const record = decodeBatchFile(data);
        if (!('problem' in record) && record.seq === seq) {
          restored.batches.push({ seq, timestampMs: record.timestampMs, bytes: data.length });
          continue;
        }
        problem = 'problem' in record ? record.problem : `file holds batch ${record.seq}, not ${seq}`;
      } catch (err) {
        problem = (err as Error).message;
      }
      restored.corrupt.push({ name, problem });
      removeQuietly(path);
    }
    return restored;
  }
}

/** Unremovable: it is skipped again at the next start, still without harm. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // see above
  }
}
