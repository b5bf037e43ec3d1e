import { lazyZlib } from '../../lazy-builtins.js';

// One waiting batch on disk (FLEETPULSE_BUFFER_DIR): a small fixed header, then the
// compressed line. The checksum lets a torn or damaged file be told from a good one, so a
// crash or a full disk costs that batch only, never the agent.
//
//   0  "FPB1"                 magic and format version
//   4  uint32 BE              CRC-32 of bytes 8..end
//   8  float64 BE             seq
//  16  float64 BE             timestamp_ms
//  24  ...                    the line, compressed (compression.ts)

const MAGIC = Buffer.from('FPB1', 'latin1');
const HEADER_BYTES = 24;

export interface BatchRecord {
  seq: number;
  timestampMs: number;
  /** The compressed line. */
  payload: Buffer;
}

export function encodeBatchFile(record: BatchRecord): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + record.payload.length);
  MAGIC.copy(out, 0);
  out.writeDoubleBE(record.seq, 8);
  out.writeDoubleBE(record.timestampMs, 16);
  record.payload.copy(out, HEADER_BYTES);
  out.writeUInt32BE(lazyZlib().crc32(out.subarray(8)), 4);
  return out;
}

/** The record in `data`, or why it is not one (torn, damaged, not ours). Never throws. */
export function decodeBatchFile(data: Buffer): BatchRecord | { problem: string } {
  if (data.length <= HEADER_BYTES) return { problem: `${data.length} bytes, shorter than a batch file (torn write?)` };
  if (!data.subarray(0, 4).equals(MAGIC)) return { problem: 'not a fleetpulse batch file (wrong magic)' };
  if (data.readUInt32BE(4) !== lazyZlib().crc32(data.subarray(8))) return { problem: 'checksum mismatch (torn or damaged)' };
  const seq = data.readDoubleBE(8);
  const timestampMs = data.readDoubleBE(16);
  if (!Number.isSafeInteger(seq) || seq < 1) return { problem: `bad seq ${seq}` };
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) return { problem: `bad timestamp ${timestampMs}` };
  return { seq, timestampMs, payload: data.subarray(HEADER_BYTES) };
}

/** Files sort by name in seq order. */
export function batchFileName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.batch`;
}

const NAME_RE = /^(\d{16})\.batch$/;

export function seqOfFileName(name: string): number | undefined {
  const m = NAME_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}
