import { lazyCrypto } from '../lazy-builtins.js';
import { readFileSync, statSync } from 'node:fs';
import type { SecureContext, SecureContextOptions } from 'node:tls';

// node:tls is loaded on first use, not at import: an agent without TLS settings imports this module
// (for TlsFileError) but would pay ~1.5 MiB of RSS for a TLS stack it never uses.
const createSecureContext = (options: SecureContextOptions): SecureContext => process.getBuiltinModule('node:tls').createSecureContext(options);

// Certificates, keys and CA bundles named by settings, read again whenever one of the files
// changes (checked on each use with stat, so cert-manager's symlink swaps and a plain `cp` both
// count), as exporter-toolkit reloads its web-config files on every new connection.

/** One file and the setting that names it, so every error can say which setting to fix. */
export interface TlsFile {
  path: string;
  setting: string;
}

export interface TlsFiles {
  cert?: TlsFile | undefined;
  key?: TlsFile | undefined;
  ca?: TlsFile | undefined;
}

/** A TLS file that cannot be used; the message names the setting and the path. */
export class TlsFileError extends Error {}

function read(file: TlsFile): Buffer {
  try {
    return readFileSync(file.path);
  } catch (err) {
    throw new TlsFileError(`${file.setting}=${file.path} cannot be read: ${(err as Error).message}`);
  }
}

/** Reads the files and checks they fit together; throws TlsFileError naming the setting to fix. */
export function loadTlsFiles(files: TlsFiles): SecureContextOptions {
  const options: SecureContextOptions = {};
  if (files.cert) {
    options.cert = read(files.cert);
    try {
      new (lazyCrypto().X509Certificate)(options.cert);
    } catch (err) {
      throw new TlsFileError(`${files.cert.setting}=${files.cert.path} is not a PEM certificate: ${(err as Error).message}`);
    }
  }
  if (files.key) options.key = read(files.key);
  if (files.ca) {
    options.ca = read(files.ca);
    if (!options.ca.includes('-----BEGIN CERTIFICATE-----')) throw new TlsFileError(`${files.ca.setting}=${files.ca.path} holds no PEM certificate`);
  }
  try {
    createSecureContext(options);
  } catch (err) {
    const message = (err as Error).message;
    if (files.cert && files.key && /key values mismatch/i.test(message)) {
      throw new TlsFileError(`${files.key.setting}=${files.key.path} is not the private key of ${files.cert.setting}=${files.cert.path}`);
    }
    const named = [files.cert, files.key, files.ca].filter((f) => f !== undefined).map((f) => `${f.setting}=${f.path}`).join(', ');
    throw new TlsFileError(`cannot use ${named}: ${message}`);
  }
  return options;
}

/** The certificate's validity end, if the file holds one; for start-up warnings. */
export function certificateExpiry(pem: Buffer | string): Date | undefined {
  try {
    return new Date(new (lazyCrypto().X509Certificate)(pem).validTo);
  } catch {
    return undefined;
  }
}

function stampOf(files: TlsFiles): string {
  return [files.cert, files.key, files.ca]
    .map((f) => {
      if (!f) return '-';
      try {
        const s = statSync(f.path);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

/**
 * The newest usable options built from `files`. A change that cannot be loaded (a file half
 * written, a key that does not match yet) keeps the previous options and is reported once.
 */
export class ReloadingTlsFiles {
  private stamp: string;
  private options: SecureContextOptions;
  private context: SecureContext;
  private failedStamp: string | undefined;

  constructor(
    private readonly files: TlsFiles,
    private readonly report: { reloaded(): void; failed(error: TlsFileError): void },
  ) {
    this.stamp = stampOf(files);
    this.options = loadTlsFiles(files);
    this.context = createSecureContext(this.options);
  }

  /** The options (cert, key, ca buffers) as of now. */
  current(): SecureContextOptions {
    this.refresh();
    return this.options;
  }

  /** A secure context as of now, for servers that wrap sockets themselves. */
  currentContext(): SecureContext {
    this.refresh();
    return this.context;
  }

  private refresh(): void {
    const stamp = stampOf(this.files);
    if (stamp === this.stamp || stamp === this.failedStamp) return;
    try {
      this.options = loadTlsFiles(this.files);
      this.context = createSecureContext(this.options);
      this.stamp = stamp;
      this.failedStamp = undefined;
      this.report.reloaded();
    } catch (err) {
      this.failedStamp = stamp;
      this.report.failed(err instanceof TlsFileError ? err : new TlsFileError((err as Error).message));
    }
  }
}
