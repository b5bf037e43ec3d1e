import { isUtf8 } from 'node:buffer';

export type DecodedFrame =
  | { kind: 'line'; text: string }
  /**
   * A line crossed the limit: reported at once, when `bytes` (> the limit) had arrived, not
   * when its newline does. The rest of it, up to and including its newline, is dropped unseen.
   */
  | { kind: 'oversized'; bytes: number }
  | { kind: 'invalid_utf8'; bytes: number };

const NEWLINE = 0x0a;

/**
 * Splits a TCP byte stream into newline-terminated frames. Input may arrive split or
 * coalesced anywhere; bytes are only decoded once a whole line is present, so UTF-8
 * sequences cut across chunks are safe. Memory stays bounded by maxLineBytes: a line
 * that grows past it is reported as soon as it does and then discarded as it streams in.
 */
export class LineDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** True while dropping the rest of a line already reported as oversized. */
  private discarding = false;

  constructor(private maxLineBytes: number) {}

  /** Bytes buffered towards the next, incomplete line. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  get limit(): number {
    return this.maxLineBytes;
  }

  /**
   * Changes the limit for the line being received and every later one (the bridge allows
   * longer lines once a hello was accepted). A partial line already past a lower limit is
   * reported by the next push.
   */
  setLimit(maxLineBytes: number): void {
    this.maxLineBytes = maxLineBytes;
  }

  push(chunk: Buffer): DecodedFrame[] {
    const frames: DecodedFrame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      this.take(chunk.subarray(start, end), newline !== -1, frames);
      start = end + 1;
    }
    return frames;
  }

  private take(piece: Buffer, complete: boolean, frames: DecodedFrame[]): void {
    if (this.discarding) {
      if (complete) this.discarding = false;
      return;
    }
    if (this.pendingBytes + piece.length > this.maxLineBytes) {
      frames.push({ kind: 'oversized', bytes: this.pendingBytes + piece.length });
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = !complete;
      return;
    }
    if (!complete) {
      if (piece.length > 0) {
        this.pending.push(piece);
        this.pendingBytes += piece.length;
      }
      return;
    }
    const line = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
    this.pending = [];
    this.pendingBytes = 0;
    // Tolerate CRLF from hand-written clients (e.g. netcat on Windows).
    const body = line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
    if (body.length === 0) return; // blank lines are keep-alive noise, not frames
    if (!isUtf8(body)) {
      frames.push({ kind: 'invalid_utf8', bytes: body.length });
      return;
    }
    frames.push({ kind: 'line', text: body.toString('utf8') });
  }
}
