/**
 * Jobs in Redis: a job is the `job` field of a message (X-Job). The enqueue lists each job message in
 * the message jobs hash and counts its recipients in the job's counters; recordOutcomes counts the
 * final outcomes. A paused job is a member of the paused jobs set, which claimShare reads: its mail
 * is put back ahead (JOB_PAUSE_PARK_MS) while the rest of the queue flows. Everything here works in
 * bounded steps (HSCAN, pipelines of BATCH), never one command over all of a job's mail.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import type { RecipientRecord } from './message.js';
import { JOB_PAUSE_PARK_MS } from './scripts/constants.js';

const BATCH = 500;

export interface JobStats {
  job: string;
  /** Recipients received. */
  received: number;
  delivered: number;
  bounced: number;
  /** Recipients not final yet (received - delivered - bounced). */
  queued: number;
  firstSeen: number;
  lastSeen: number;
  paused: boolean;
}

export async function pauseJob(redis: Redis, keys: Keys, job: string): Promise<void> {
  await redis.sadd(keys.pausedJobs(), job);
}

export async function pausedJobs(redis: Redis, keys: Keys): Promise<string[]> {
  return (await redis.smembers(keys.pausedJobs())).sort();
}

/** The ids of a job's messages, a batch at a time (HSCAN of the message jobs hash). */
export async function* jobMessageIds(redis: Redis, keys: Keys, job: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(keys.messageJobs(), cursor, 'COUNT', BATCH);
    cursor = next;
    const ids: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i + 1] === job) ids.push(flat[i]!);
    if (ids.length > 0) yield ids;
  } while (cursor !== '0');
}

/**
 * Resumes a job: out of the paused set, then the mail claimShare put back ahead (at most
 * JOB_PAUSE_PARK_MS ahead of the claim that parked it) is due `now` again. Mail of the job waiting
 * for a retry later than that keeps its retry time; one due within JOB_PAUSE_PARK_MS of `now` is made
 * due now (a park cannot be told from it). ZADD XX LT: only mail waiting in a queue, never later than
 * it was. Returns the queues that hold the job's mail (to wake) and the messages looked at.
 */
export async function resumeJob(redis: Redis, keys: Keys, job: string, now: number): Promise<{ queues: string[]; messages: number }> {
  await redis.srem(keys.pausedJobs(), job);
  const queues = new Set<string>();
  let messages = 0;
  for await (const ids of jobMessageIds(redis, keys, job)) {
    const read = redis.pipeline();
    for (const id of ids) read.hvals(keys.messageRecipients(id));
    const results = (await read.exec()) ?? [];
    const entries: Array<{ id: string; queue: string }> = [];
    results.forEach(([err, values], i) => {
      if (err) return;
      const waiting = new Set((values as string[]).map((v) => JSON.parse(v) as RecipientRecord).filter((r) => r.state === 'queued').map((r) => r.queue));
      for (const queue of waiting) entries.push({ id: ids[i]!, queue });
    });
    const scores = redis.pipeline();
    for (const e of entries) scores.zscore(keys.queueReady(e.queue), e.id);
    const due = (await scores.exec()) ?? [];
    const write = redis.pipeline();
    entries.forEach((e, i) => {
      const score = due[i]?.[1] as string | null | undefined;
      if (score === null || score === undefined || Number(score) > now + JOB_PAUSE_PARK_MS) return;
      write.zadd(keys.queueReady(e.queue), 'XX', 'LT', now, e.id);
      queues.add(e.queue);
    });
    await write.exec();
    messages += ids.length;
  }
  return { queues: [...queues].sort(), messages };
}

/**
 * The jobs seen, most recent first, with their counters. A job whose counters expired (idle for
 * JOB_STATS_TTL_SECONDS) leaves the index here.
 */
export async function listJobs(redis: Redis, keys: Keys, limit = 1000): Promise<JobStats[]> {
  const jobs = await redis.zrevrange(keys.jobIndex(), 0, limit - 1);
  if (jobs.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const job of jobs) pipeline.hgetall(keys.jobStats(job));
  pipeline.smembers(keys.pausedJobs());
  const results = ((await pipeline.exec()) ?? []).map(([, value]) => value);
  const paused = new Set(results.pop() as string[]);
  const out: JobStats[] = [];
  const gone: string[] = [];
  jobs.forEach((job, i) => {
    const h = results[i] as Record<string, string>;
    if (!h || Object.keys(h).length === 0) return void gone.push(job);
    const received = Number(h.received ?? 0);
    const delivered = Number(h.delivered ?? 0);
    const bounced = Number(h.bounced ?? 0);
    out.push({
      job,
      received,
      delivered,
      bounced,
      queued: Math.max(0, received - delivered - bounced),
      firstSeen: Number(h.first ?? 0),
      lastSeen: Number(h.last ?? 0),
      paused: paused.has(job),
    });
  });
  if (gone.length > 0) await redis.zrem(keys.jobIndex(), ...gone);
  return out;
}
