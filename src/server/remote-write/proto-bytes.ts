// A growable byte buffer for the fixed-shape part of each TimeSeries (write-request.ts): the
// per-sample path writes a handful of bytes per series, where a general protobuf writer's
// fork/join bookkeeping would cost more than the bytes themselves.

export class ProtoBytes {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;

  get length(): number {
    return this.pos;
  }

  /** The buffer written so far (valid until the next write that grows it). */
  get bytes(): Buffer {
    return this.buf;
  }

  reset(): void {
    this.pos = 0;
  }

  /** Drops what was written after `length`. */
  truncate(length: number): void {
    this.pos = length;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** One byte; the caller reserved room. */
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** An unsigned varint below 2^32; the caller reserved room. */
  varint(n: number): void {
    while (n > 0x7f) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }

  /** A little-endian IEEE 754 double (protobuf's fixed64 `double`); the caller reserved room. */
  double(v: number): void {
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }

  /** Bytes as they are; the caller reserved room. */
  raw(bytes: Uint8Array): void {
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A copy of what was written from `start` on (the buffer itself is reused by the next batch). */
  copy(start = 0): Uint8Array {
    return Uint8Array.prototype.slice.call(this.buf, start, this.pos);
  }
}
