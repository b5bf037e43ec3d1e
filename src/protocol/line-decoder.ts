import { isUtf8 } from 'node:buffer';

export type DecodedFrame =
  | { kind: 'line'; text: string }
  /** A line longer than the limit; its bytes were dropped up to and including its newline. */
  | { kind: 'oversized'; bytes: number }
  | { kind: 'invalid_utf8'; bytes: number };

const NEWLINE = 0x0a;

/**
 * Splits a TCP byte stream into newline-terminated frames. Input may arrive split or
 * coalesced anywhere; bytes are only decoded once a whole line is present, so UTF-8
 * sequences cut across chunks are safe. Memory stays bounded by maxLineBytes: an
 * oversized line is discarded as it streams in and reported once, when it ends.
 */
export class LineDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of the current oversized line seen so far, or -1 when not discarding. */
  private discarding = -1;

  constructor(private readonly maxLineBytes: number) {}

  /** Bytes buffered towards the next, incomplete line. */
  get bufferedBytes(): number {
    return this.pendingBytes;
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
    if (this.discarding >= 0) {
      this.discarding += piece.length;
      if (complete) {
        frames.push({ kind: 'oversized', bytes: this.discarding });
        this.discarding = -1;
      }
      return;
    }
    if (this.pendingBytes + piece.length > this.maxLineBytes) {
      this.discarding = this.pendingBytes + piece.length;
      this.pending = [];
      this.pendingBytes = 0;
      if (complete) {
        frames.push({ kind: 'oversized', bytes: this.discarding });
        this.discarding = -1;
      }
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
