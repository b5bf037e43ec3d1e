import { closeSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from '../../protocol/messages.js';
import { gauge } from './family.js';
import { openIfExists } from './read-text.js';
import type { CollectorFactory } from './types.js';

export interface UdpQueueTotals {
  /** Bytes queued for sending and for reading, summed over all sockets. */
  tx: number;
  rx: number;
  sockets: number;
}

const SPACE = 0x20;
const TAB = 0x09;
const NEWLINE = 0x0a;
const COLON = 0x3a;

function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * Sums the "tx_queue:rx_queue" column (the 5th) of /proc/net/udp{,6} fed in chunks of any size,
 * without building a string per line: a host may have tens of thousands of sockets, read
 * every interval. Lines are checked as procfs does (at least 8 columns, a hex queue pair).
 */
export class UdpQueueSummer {
  private readonly totals: UdpQueueTotals = { tx: 0, rx: 0, sockets: 0 };
  private line = 1;
  private field = -1; // index of the column being read; -1 before the first byte of a line
  private inToken = false;
  private queue: 'tx' | 'rx' | 'done' = 'tx';
  private tx = 0;
  private rx = 0;
  private queueDigits = 0;

  constructor(private readonly file: string) {}

  feed(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) this.byte(chunk[i]!);
  }

  end(): UdpQueueTotals {
    this.endLine();
    return { ...this.totals };
  }

  private byte(b: number): void {
    if (b === NEWLINE) {
      this.endLine();
      return;
    }
    if (this.line === 1) return; // the header
    if (b === SPACE || b === TAB) {
      if (this.inToken && this.field === 4) this.endQueueToken();
      this.inToken = false;
      return;
    }
    if (!this.inToken) {
      this.inToken = true;
      this.field = this.field < 0 ? 0 : this.field + 1;
    }
    if (this.field !== 4) return;
    if (b === COLON && this.queue === 'tx' && this.queueDigits > 0) {
      this.queue = 'rx';
      this.queueDigits = 0;
      return;
    }
    const digit = hexDigit(b);
    if (digit < 0 || this.queue === 'done' || this.queueDigits === 8) this.fail();
    if (this.queue === 'tx') this.tx = this.tx * 16 + digit;
    else this.rx = this.rx * 16 + digit;
    this.queueDigits++;
  }

  private endQueueToken(): void {
    if (this.queue !== 'rx' || this.queueDigits === 0) this.fail();
    this.queue = 'done';
  }

  private endLine(): void {
    if (this.inToken && this.field === 4) this.endQueueToken();
    if (this.line > 1 && this.field >= 0) {
      if (this.field < 7 || this.queue !== 'done') this.fail();
      this.totals.tx += this.tx;
      this.totals.rx += this.rx;
      this.totals.sockets++;
    }
    this.line++;
    this.field = -1;
    this.inToken = false;
    this.queue = 'tx';
    this.tx = this.rx = this.queueDigits = 0;
  }

  private fail(): never {
    throw new Error(`${this.file}: line ${this.line}: expected at least 8 columns with "tx_queue:rx_queue" (hex) as the 5th`);
  }
}

const CHUNK_BYTES = 64 * 1024;
const CHUNK = Buffer.allocUnsafe(CHUNK_BYTES);

/**
 * Reads a file through a summer in fixed chunks of one shared buffer; undefined when the file
 * does not exist. Synchronous, like readText: procfs generates the table in memory.
 */
function sumFile(path: string, name: string, signal: AbortSignal): UdpQueueTotals | undefined {
  const fd = openIfExists(path);
  if (fd === undefined) return undefined;
  try {
    const summer = new UdpQueueSummer(name);
    for (;;) {
      signal.throwIfAborted();
      const bytesRead = readSync(fd, CHUNK, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) return summer.end();
      summer.feed(CHUNK.subarray(0, bytesRead));
    }
  } finally {
    closeSync(fd);
  }
}

export const createUdpQueuesCollector: CollectorFactory = (paths) => ({
  name: 'udp_queues',
  async collect(signal) {
    const dir = join(paths.proc, 'net');
    const v4 = sumFile(join(dir, 'udp'), 'udp', signal);
    const v6 = sumFile(join(dir, 'udp6'), 'udp6', signal);
    if (v4 === undefined && v6 === undefined) throw new Error(`neither ${dir}/udp nor ${dir}/udp6 exists`);
    const samples: Sample[] = [];
    for (const [ip, totals] of [['v4', v4], ['v6', v6]] as const) {
      if (totals === undefined) continue; // that IP version is disabled: skipped, as node_exporter
      samples.push({ labels: { queue: 'tx', ip }, value: totals.tx }, { labels: { queue: 'rx', ip }, value: totals.rx });
    }
    return [gauge('node_udp_queues', 'Number of allocated memory in the kernel for UDP datagrams in bytes.', samples, 'bytes')];
  },
});
