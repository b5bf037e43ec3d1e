// The few bridge HTTP API calls the Compose tests make (docs/tasks.md, /api/console-config).

import type { TaskView } from '../helpers/task-views.js';

export type { PairResultView, TaskView } from '../helpers/task-views.js';

export interface TaskInput {
  name: string;
  type: 'latency' | 'bandwidth';
  members: string[];
  start: string;
  end: string;
  period_seconds: number;
  options?: Record<string, number>;
}

export interface ConsoleConfig {
  version: string;
  prometheus_url: string | null;
  grafana_url: string | null;
  server_time: string;
}

export interface Answer<T> {
  status: number;
  headers: Headers;
  body: { status: 'success'; data: T } | { status: 'error'; errorType: string; error: string };
}

export class BridgeApi {
  constructor(
    readonly url: string,
    private readonly adminToken: string,
  ) {}

  /** POST /api/tasks with the admin token (or `token`, null for none); the answer as it came. */
  createTask(input: TaskInput, token: string | null = this.adminToken): Promise<Answer<TaskView>> {
    return this.request('POST', '/api/tasks', input, token);
  }

  /** GET /api/tasks/<id>; throws unless it answers 200. */
  async task(id: string): Promise<TaskView> {
    return this.data(await this.request<TaskView>('GET', `/api/tasks/${id}`), `GET /api/tasks/${id}`);
  }

  async consoleConfig(): Promise<ConsoleConfig> {
    return this.data(await this.request<ConsoleConfig>('GET', '/api/console-config'), 'GET /api/console-config');
  }

  private data<T>(answer: Answer<T>, what: string): T {
    if (answer.status !== 200 || answer.body.status !== 'success') throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.data;
  }

  private async request<T>(method: string, path: string, body?: unknown, token?: string | null): Promise<Answer<T>> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${this.url}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Answer<T>['body'] };
  }
}
