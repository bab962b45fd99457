/**
 * GET /jobs (monitor): the rows of `vmta show jobs --json`. POST /jobs/ID/pause|resume (operator).
 * GET /queues/DOMAIN%2FVMTA/messages[?limit=N] (operator: it shows addresses): `vmta show messages`.
 * POST /delete?queue=Q&job=ID&orig=A&rcpt=A&older-than=2h[&dsn=1] (operator, at least one of job,
 * orig, rcpt, older-than; queue may repeat and hold `*`): `vmta delete` by filter.
 */
import { parseTimeInterval } from '@vmta/config';
import { deleteMessages, jobModeActions, jobsView, messagesView, splitQueueName, type JobModeAction } from '@vmta/control';
import { queryCount } from '../query-count.js';
import { sendJson } from '../respond.js';
import { exact, type Route } from '../route.js';
import { decode, queryFlag } from './queues.js';

const JOB_ACTION_PATH = /^\/jobs\/([^/]+)\/(pause|resume)$/;
const MESSAGES_PATH = /^\/queues\/(.+)\/messages$/;

/** `?limit=N` of GET /queues/Q/messages. */
const MESSAGES_LIMIT = { min: 1, max: 10_000, default: 100 };

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);

export const jobRoutes: Route[] = [
  {
    method: 'GET',
    match: exact('/jobs'),
    level: 'monitor',
    async handle(ctx, res) {
      sendJson(res, 200, (await jobsView(ctx.cluster)).map((j) => ({ ...j, firstSeen: iso(j.firstSeen), lastSeen: iso(j.lastSeen) })));
    },
  },
  {
    method: 'POST',
    match: (path) => {
      const m = JOB_ACTION_PATH.exec(path);
      return m ? [m[1]!, m[2]!] : undefined;
    },
    level: 'operator',
    async handle(ctx, res, [encoded, action]) {
      const job = decode(encoded!);
      if (!job) {
        sendJson(res, 400, { error: 'bad-job', message: 'expected /jobs/ID/pause|resume' });
        return;
      }
      const result = await jobModeActions[action as JobModeAction](ctx.cluster, job);
      ctx.log.info({ event: 'http-job-action', job, action }, `${action} job ${job}`);
      sendJson(res, 200, { job, paused: result.paused });
    },
  },
  {
    method: 'GET',
    match: (path) => {
      const m = MESSAGES_PATH.exec(path);
      return m ? [m[1]!] : undefined;
    },
    level: 'operator',
    async handle(ctx, res, [encoded], client) {
      const queue = decode(encoded!);
      const limit = queryCount(client.query, 'limit', MESSAGES_LIMIT);
      const { domain, vmta } = queue?.includes('/') ? splitQueueName(queue) : { domain: '', vmta: '' };
      if (!queue || !domain || !vmta) {
        sendJson(res, 400, { error: 'bad-request', message: 'expected /queues/DOMAIN%2FVMTA/messages[?limit=N]' });
        return;
      }
      sendJson(res, 200, await messagesView(ctx.cluster, queue, limit));
    },
  },
  {
    method: 'POST',
    match: exact('/delete'),
    level: 'operator',
    async handle(ctx, res, _params, client) {
      const q = client.query;
      const filter = { job: q.get('job') ?? undefined, orig: q.get('orig') ?? undefined, rcpt: q.get('rcpt') ?? undefined };
      const older = q.get('older-than');
      let olderThanMs: number | undefined;
      try {
        olderThanMs = older === null ? undefined : parseTimeInterval(older);
      } catch (err) {
        sendJson(res, 400, { error: 'bad-older-than', message: (err as Error).message });
        return;
      }
      if (filter.job === undefined && filter.orig === undefined && filter.rcpt === undefined && olderThanMs === undefined) {
        sendJson(res, 400, { error: 'no-filter', message: 'give job, orig, rcpt or older-than (POST /queues/Q/delete deletes a whole queue)' });
        return;
      }
      const dsn = queryFlag(q.get('dsn'));
      let result;
      try {
        result = await deleteMessages(ctx.cluster, { queues: q.getAll('queue'), filter, ...(olderThanMs !== undefined ? { olderThanMs } : {}), dsn });
      } catch (err) {
        if ((err as { code?: string }).code !== 'FILTER_PATTERN_INVALID') throw err;
        sendJson(res, 400, { error: 'bad-pattern', message: (err as Error).message });
        return;
      }
      const queues = result.requests.map((r) => r.queue);
      ctx.log.info({ event: 'http-delete-filtered', ...filter, olderThanMs, dsn, queues: queues.length }, 'delete by filter');
      sendJson(res, 202, { queues, dsn, before: new Date(result.before).toISOString() });
    },
  },
];
