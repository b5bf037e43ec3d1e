import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './json-envelope.js';

// GET /api/events: server-sent events for the web console. Every topic (agents, tasks) is a
// full snapshot, serialized once per tick and written to all clients, so the cost per tick
// is one JSON.stringify per topic whatever the number of open consoles.

/** One event type: its name and a function returning the current data (JSON-serializable). */
export interface EventTopic {
  name: string;
  snapshot(): unknown;
}

export interface EventStreamOptions {
  /** How often topics are checked for changes: the most one topic is sent. */
  tickMs: number;
  /** A topic is re-sent at least this often even unchanged, so ages shown stay fresh. */
  refreshMs: number;
  /** A comment line after this much silence keeps proxies from closing the stream. */
  keepAliveMs: number;
  /** Open streams at once; more are refused with 503. */
  maxClients: number;
  /** Open streams from one address, so one source cannot take every slot; more get 429. */
  maxPerSource: number;
  /** A client that has not drained its socket for this long is dropped. */
  stallMs: number;
  now?: () => number;
}

export const DEFAULT_EVENT_OPTIONS: EventStreamOptions = { tickMs: 1000, refreshMs: 5000, keepAliveMs: 15_000, maxClients: 32, maxPerSource: 4, stallMs: 30_000 };

interface Client {
  res: ServerResponse;
  source: string;
  /** Set while the socket buffer is full; frames are skipped (the next snapshot supersedes them). */
  blockedSince: number | undefined;
}

interface Sent {
  text: string;
  at: number;
}

export class EventStream {
  private readonly clients = new Set<Client>();
  private readonly perSource = new Map<string, number>();
  private readonly sent = new Map<string, Sent>();
  private readonly options: EventStreamOptions;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lastWriteAt = 0;

  constructor(private readonly topics: EventTopic[], options: Partial<EventStreamOptions> = {}) {
    this.options = { ...DEFAULT_EVENT_OPTIONS, ...options };
    this.now = options.now ?? Date.now;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** The route handler for GET /api/events. */
  readonly route = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.clients.size >= this.options.maxClients) {
      res.setHeader('retry-after', '10');
      return sendError(res, 503, 'unavailable', `too many open console event streams (${this.options.maxClients}); close other console tabs`);
    }
    const source = req.socket.remoteAddress ?? 'unknown';
    const fromSource = this.perSource.get(source) ?? 0;
    if (fromSource >= this.options.maxPerSource) {
      res.setHeader('retry-after', '10');
      return sendError(res, 429, 'too_many_requests', `${source} already has ${fromSource} console event streams open (at most ${this.options.maxPerSource} per address); close other console tabs`);
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx and similar proxies would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    if (req.method === 'HEAD') return void res.end();
    res.socket?.setNoDelay(true);
    // The browser's EventSource reconnects after `retry` ms when the bridge restarts.
    let first = 'retry: 3000\n\n';
    for (const topic of this.topics) {
      const text = JSON.stringify(topic.snapshot());
      if (this.clients.size === 0) this.sent.set(topic.name, { text, at: this.now() });
      first += frame(topic.name, text);
    }
    const client: Client = { res, source, blockedSince: undefined };
    this.clients.add(client);
    this.perSource.set(source, fromSource + 1);
    res.on('drain', () => (client.blockedSince = undefined));
    res.on('close', () => this.remove(client));
    this.write(client, first);
    this.timer ??= setInterval(() => this.tick(), this.options.tickMs).unref();
  };

  /** Sends every changed (or due) topic to all clients; public so tests can drive it. */
  tick(): void {
    const now = this.now();
    let out = '';
    for (const topic of this.topics) {
      const text = JSON.stringify(topic.snapshot());
      const last = this.sent.get(topic.name);
      if (last && last.text === text && now - last.at < this.options.refreshMs) continue;
      this.sent.set(topic.name, { text, at: now });
      out += frame(topic.name, text);
    }
    if (out === '' && now - this.lastWriteAt >= this.options.keepAliveMs) out = ': keep-alive\n\n';
    if (out === '') return;
    this.lastWriteAt = now;
    for (const client of this.clients) this.write(client, out);
  }

  /** Ends every stream and the timer (bridge shutdown). */
  close(): void {
    for (const client of this.clients) client.res.end();
    this.clients.clear();
    this.perSource.clear();
    this.stopTimer();
  }

  private write(client: Client, text: string): void {
    if (client.blockedSince !== undefined) {
      if (this.now() - client.blockedSince > this.options.stallMs) client.res.destroy();
      return;
    }
    if (!client.res.write(text)) client.blockedSince = this.now();
  }

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    const left = (this.perSource.get(client.source) ?? 1) - 1;
    if (left > 0) this.perSource.set(client.source, left);
    else this.perSource.delete(client.source);
    if (this.clients.size === 0) {
      this.stopTimer();
      // A new first client gets fresh snapshots anyway; forget what was sent.
      this.sent.clear();
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function frame(event: string, json: string): string {
  // JSON.stringify never emits a raw newline, so the data fits on one `data:` line.
  return `event: ${event}\ndata: ${json}\n\n`;
}
