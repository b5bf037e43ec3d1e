import type { IncomingMessage, ServerResponse } from 'node:http';
import { TASK_ID_RE } from '../tasks/task.js';
import { taskView } from '../tasks/task-json.js';
import { TaskLimitError, TaskStoppingError, TaskStorageError, type TaskScheduler } from '../tasks/task-scheduler.js';
import { TaskInputError, parseTaskInput } from '../tasks/validate-task.js';
import { tokenMatches } from '../util/token-matches.js';
import { HttpError } from './json-body.js';
import { sendData, sendError } from './json-envelope.js';

// /api/tasks: GET lists, GET /<id> shows, POST creates, DELETE /<id> deletes. Changes need
// the admin token (Authorization: Bearer ...); without one configured they are disabled.

/** Checks the admin token before anything of the request is read. */
function authorize(req: IncomingMessage, adminToken: string | undefined): void {
  if (adminToken === undefined) throw new HttpError(403, 'forbidden', 'task changes are disabled: set FLEETPULSE_ADMIN_TOKEN on the bridge');
  const header = req.headers.authorization;
  const offered = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header)?.[1] : undefined;
  if (!tokenMatches(adminToken, offered)) {
    const why = header === undefined ? 'this needs Authorization: Bearer <FLEETPULSE_ADMIN_TOKEN>' : offered === undefined ? 'the Authorization header is not "Bearer <token>"' : 'the admin token does not match';
    throw new HttpError(401, 'unauthorized', why, { 'www-authenticate': 'Bearer realm="fleetpulse"' });
  }
}

const notFound = (res: ServerResponse, id: string) => sendError(res, 404, 'not_found', `no task with id ${JSON.stringify(id.slice(0, 80))}`);

/** A change asked for while the bridge stops: 503 with Retry-After, so a client tries again later. */
const stopping = (err: unknown): unknown => (err instanceof TaskStoppingError ? new HttpError(503, 'unavailable', err.message, { 'retry-after': '5' }) : err);

export function tasksRoutes(scheduler: TaskScheduler, adminToken: string | undefined) {
  return {
    /** GET /api/tasks and GET /api/tasks/<id>. */
    read: (_req: IncomingMessage, res: ServerResponse, id: string | undefined): void => {
      if (id === undefined) return sendData(res, scheduler.list().map(({ task, nextRunAtMs }) => taskView(task, nextRunAtMs)));
      const found = TASK_ID_RE.test(id) ? scheduler.get(id) : undefined;
      if (!found) return notFound(res, id);
      sendData(res, taskView(found.task, found.nextRunAtMs));
    },

    /** POST /api/tasks. */
    create: async (req: IncomingMessage, res: ServerResponse, _id: string | undefined, readBody: () => Promise<unknown>): Promise<void> => {
      authorize(req, adminToken);
      const body = await readBody();
      let task;
      try {
        const spec = parseTaskInput(body, { isKnownAgent: (id) => scheduler.isKnownAgent(id), nowMs: Date.now() });
        task = await scheduler.create(spec);
      } catch (err) {
        if (err instanceof TaskInputError) throw new HttpError(400, 'bad_request', err.message);
        if (err instanceof TaskLimitError) throw new HttpError(409, 'conflict', err.message);
        if (err instanceof TaskStorageError) throw new HttpError(500, 'internal', err.message);
        throw stopping(err);
      }
      res.setHeader('location', `/api/tasks/${task.id}`);
      sendData(res, taskView(task, scheduler.get(task.id)?.nextRunAtMs), 201);
    },

    /** DELETE /api/tasks/<id>. */
    remove: async (req: IncomingMessage, res: ServerResponse, id: string | undefined): Promise<void> => {
      authorize(req, adminToken);
      let deleted: boolean;
      try {
        deleted = id !== undefined && TASK_ID_RE.test(id) && (await scheduler.delete(id));
      } catch (err) {
        throw stopping(err);
      }
      if (!deleted) return notFound(res, id ?? '');
      sendData(res, { id });
    },
  };
}
