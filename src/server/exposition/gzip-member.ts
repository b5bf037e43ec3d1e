// One gzip member (RFC 1952) assembled from independently compressed pieces.
//
// Each piece is raw deflate (RFC 1951) that ends with Z_SYNC_FLUSH: non-final blocks, byte
// aligned, no back-reference outside the piece. Such pieces can follow one another in any
// order; one final empty block ends the stream. The trailer's CRC-32 of the whole text is
// combined from the pieces' CRCs (zlib's crc32_combine), so no piece is read twice. The
// result is a single ordinary gzip stream: Prometheus, curl --compressed and browsers read it.

/** Text compressed alone, with what the trailer needs. */
export interface DeflatedPiece {
  /** Raw deflate ending in a sync flush. */
  deflated: Buffer;
  /** CRC-32 of the uncompressed bytes. */
  crc: number;
  /** Uncompressed length in bytes. */
  length: number;
}

/** ID1 ID2, CM=deflate, no flags, no mtime, XFL=0, OS=unix. */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
/** A final, empty block with fixed Huffman codes: BFINAL=1, BTYPE=01, end-of-block. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

const POLY = 0xedb88320; // CRC-32, reflected

/** a * b modulo the CRC polynomial (both reflected, x^0 in the top bit). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) modulo the polynomial. */
const X2N = new Uint32Array(32);
X2N[0] = 0x40000000; // x^1
for (let k = 1; k < 32; k++) X2N[k] = multModP(X2N[k - 1]!, X2N[k - 1]!);

/** x^(8 * bytes) modulo the polynomial: the operator that appends `bytes` zero bytes. */
function zeroBytesOperator(bytes: number): number {
  let p = 0x80000000; // x^0
  let k = 3;
  for (let n = bytes; n > 0; n = Math.floor(n / 2), k++) {
    if (n % 2 === 1) p = multModP(X2N[k & 31]!, p);
  }
  return p;
}

/** CRC-32 of A followed by B, from crc(A), crc(B) and the length of B. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(zeroBytesOperator(lengthB), crcA) ^ crcB) >>> 0;
}

/** The buffers of one gzip member holding the pieces' texts in order. */
export function gzipMember(pieces: readonly DeflatedPiece[]): Buffer[] {
  let crc = 0;
  let length = 0;
  const out: Buffer[] = [HEADER];
  for (const piece of pieces) {
    crc = crc32Combine(crc, piece.crc, piece.length);
    length += piece.length;
    out.push(piece.deflated);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4); // ISIZE: the length modulo 2^32
  out.push(FINAL_BLOCK, trailer);
  return out;
}
