import type { Server } from 'node:http';
import { join } from 'node:path';
import { listenDualStack } from '../net/listen.js';
import { MetricsBody } from './exposition/metrics-body.js';
import { agentViews, agentsRoute } from './http/agents-route.js';
import { consoleConfigRoute } from './http/console-config-route.js';
import { EventStream } from './http/events-route.js';
import { taskView } from './tasks/task-json.js';
import { createHttpServer } from './http/http-server.js';
import { HttpFront } from './http/http-front.js';
import { metricsRoute } from './http/metrics-route.js';
import { staticRoute } from './http/static-route.js';
import { tasksRoutes } from './http/tasks-route.js';
import { TcpListener } from './ingest/tcp-listener.js';
import type { BridgeOptions } from './options.js';
import { SelfMetrics } from './own-metrics/self-metrics.js';
import { RemoteWrite } from './remote-write/remote-write.js';
import { RemoteWriteMetrics } from './remote-write/remote-write-metrics.js';
import { AgentRegistry } from './store/agent-registry.js';
import { AgentStore } from './store/agent-store.js';
import { TaskMetrics } from './tasks/task-metrics.js';
import { TaskRepository } from './tasks/task-repository.js';
import { TaskScheduler } from './tasks/task-scheduler.js';
import { backgroundTimers } from '../net/timers.js';

export interface BridgeAddresses {
  ingestPort: number;
  httpPort: number;
  /** The address both ports are bound to: the bind setting, or 0.0.0.0 where `::` had no IPv6. */
  host: string;
}

/** The bridge: the agents' TCP listener, the store, and the HTTP side, started and stopped together. */
export class Bridge {
  readonly store: AgentStore;
  readonly metrics: SelfMetrics;
  readonly tasks: TaskScheduler;
  private readonly registry: AgentRegistry;
  private readonly listener: TcpListener;
  /** Prometheus remote_write output (docs/remote-write.md), when FLEETPULSE_REMOTE_WRITE_URL is set. */
  readonly remoteWrite: RemoteWrite | undefined;
  private readonly http: Server;
  private ready = false;
  /** TLS, basic auth and limits of the HTTP side (FLEETPULSE_WEB_CONFIG). */
  readonly httpFront: HttpFront;

  constructor(private readonly options: BridgeOptions) {
    this.metrics = new SelfMetrics(options);
    this.httpFront = new HttpFront({ webConfigPath: options.webConfig, allowedHosts: options.httpAllowedHosts, maxConnections: options.httpMaxConnections ?? 256, log: options.log });
    this.store = new AgentStore({ graceMs: options.graceMs, maxGraceMs: options.maxGraceMs, forgetMs: options.forgetMs, departedForgetMs: options.departedForgetMs, maxSeriesPerAgent: options.maxSeriesPerAgent });
    // Who was down before a restart is still down after it: <data dir>/agents.json.
    this.registry = new AgentRegistry(
      options.dataDir === undefined ? undefined : join(options.dataDir, 'agents.json'),
      this.store,
      backgroundTimers,
      { corrupt: () => this.metrics.agentRegistryCorrupt.inc(), writeFailed: () => this.metrics.agentRegistryWriteFailures.inc() },
      options.log,
    );
    // The web console: static files from console/, its links, and live snapshots over SSE.
    const consoleFiles = staticRoute(undefined, options.grafanaUrl ? [new URL(options.grafanaUrl).origin] : []);
    const events = new EventStream([
      { name: 'agents', snapshot: () => agentViews(this.store) },
      { name: 'tasks', snapshot: () => this.tasks.list().map(({ task, nextRunAtMs }) => taskView(task, nextRunAtMs)) },
    ]);
    this.remoteWrite = options.remoteWrite && new RemoteWrite(options.remoteWrite, new RemoteWriteMetrics(this.metrics.registry), options.log.child({ component: 'remote_write' }));
    this.listener = new TcpListener(this.store, this.metrics, options, (agentId, message) => this.tasks.onTaskResult(agentId, message), this.remoteWrite);
    const body = new MetricsBody(this.store, this.metrics);
    // Measurement tasks (docs/tasks.md): files under <data dir>/tasks, runs over the agents' connections.
    this.tasks = new TaskScheduler(
      new TaskRepository(options.dataDir === undefined ? undefined : join(options.dataDir, 'tasks')),
      new TaskMetrics(this.metrics.registry),
      {
        member: (id) => {
          const agent = this.store.get(id);
          return { id, known: agent !== undefined, connected: agent?.connected === true, probe: agent?.probe, clockOffsetMs: agent?.clockOffsetMs };
        },
        send: (agentId, message) => this.listener.session(agentId)?.sendTask(message) ?? false,
      },
      options.log,
    );
    const tasks = tasksRoutes(this.tasks, options.adminToken);
    this.http = createHttpServer(
      {
        exact: {
          '/metrics': metricsRoute(body, this.metrics),
          '/api/agents': agentsRoute(this.store),
          '/': consoleFiles,
          '/api/events': events.route,
          '/api/console-config': consoleConfigRoute({ prometheusUrl: options.prometheusUrl, grafanaUrl: options.grafanaUrl }),
          '/api/tasks': tasks.read,
          '/healthz': (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n'),
          '/readyz': (_req, res) =>
            void (this.ready
              ? res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n')
              : res.writeHead(503, { 'content-type': 'text/plain' }).end('not ready\n')),
        },
        withParam: { '/api/agents': agentsRoute(this.store), '/console': consoleFiles, '/api/tasks': tasks.read },
        write: { POST: { exact: { '/api/tasks': tasks.create } }, DELETE: { withParam: { '/api/tasks': tasks.remove } } },
      },
      options.log,
      this.httpFront,
    );
  }

  /** How agents are authenticated (for the start-up log). */
  get agentLink(): { summary: string; protectedMode: boolean } {
    return this.listener.security;
  }

  async start(): Promise<BridgeAddresses> {
    // An unreadable task directory stops start-up before any port is taken (corrupt files are set aside).
    await this.tasks.start();
    // Before the agents can connect, so a restored agent's record is the one a reconnect continues.
    await this.registry.start();
    const ingest = await this.listener.listen();
    const http = await listenDualStack(this.http, this.options.httpPort, ingest.host);
    if (ingest.host !== this.options.bindHost) this.options.log.warn('IPv6 is not available here; listening on IPv4 only', { bind: ingest.host });
    this.ready = true;
    return { ingestPort: ingest.port, httpPort: http.port, host: ingest.host };
  }

  /** stop() flushes remote_write for up to its flush timeout, then closes everything (a few seconds). */
  get stopDeadlineMs(): number {
    return 5000 + (this.options.remoteWrite?.flushTimeoutMs ?? 0);
  }

  async stop(): Promise<void> {
    this.ready = false;
    await this.tasks.stop();
    // Before the agents are let go: what the receivers take within the flush timeout is still acked.
    await this.remoteWrite?.close();
    await this.listener.close();
    await this.registry.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    this.store.close();
  }
}
