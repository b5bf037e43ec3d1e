import { createRequire } from 'node:module';
import { compress as compressJs } from 'snappyjs';

// Snappy block compression of remote_write bodies. The native `snappy` (napi-rs: Rust, a prebuilt
// binary per platform as an optional dependency) costs about a fifth of snappyjs' CPU per byte
// (bench/remote-write-encode.ts); snappyjs (pure JS) is the fallback where no binary loads: the
// single-file bundle (which carries no native code), a platform without a prebuilt, a failed
// optional install. Both write the same block format; which one runs is logged at start.

export interface Snappy {
  /** `snappy` (native) or `snappyjs`. */
  readonly library: 'snappy' | 'snappyjs';
  /** Why the native one is not used (snappyjs only). */
  readonly fallbackReason?: string;
  compress(bytes: Uint8Array): Buffer;
}

interface NativeSnappy {
  compressSync(input: Uint8Array, options?: { copyOutputData?: boolean }): Buffer;
}

/** The native snappy if its binary loads here, else snappyjs; `resolveFrom` is where `snappy` is looked up. */
export function loadSnappy(resolveFrom: string = import.meta.url): Snappy {
  let native: NativeSnappy;
  try {
    // createRequire, not import: the bundler leaves it alone, so the single file does not try
    // to carry the binary and resolves `snappy` beside itself at run time (it finds none).
    native = createRequire(resolveFrom)('snappy') as NativeSnappy;
    // Loaded is not enough: the binary must work on this CPU and agree with the format.
    const probe = new Uint8Array([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    if (!Buffer.from(compressJs(probe)).equals(native.compressSync(probe, { copyOutputData: true }))) throw new Error('its output differs from snappyjs');
  } catch (err) {
    return { library: 'snappyjs', fallbackReason: firstLine(err), compress: (bytes) => Buffer.from(compressJs(bytes)) };
  }
  return {
    library: 'snappy',
    // copyOutputData: an external buffer per call (the default) made V8 collect garbage so often
    // that the native one measured slower than snappyjs; a copy of the compressed bytes is cheap.
    compress: (bytes) => native.compressSync(bytes, { copyOutputData: true }),
  };
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!;
}
