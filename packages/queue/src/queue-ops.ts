/**
 * What delivery does to a queue, each step atomic in Redis: claim due
 * messages for a connection slot, give back what a dead worker held, record
 * per-recipient outcomes (and drop the message once every recipient is final),
 * and the queue's mode (normal | retry | paused).
 */
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';
import { latencyBucket } from './latency.js';
import type { RecipientRecord } from './message.js';
import { epochMinute, MINUTE_COUNTERS_TTL_SECONDS } from './minute-counters.js';

// KEYS: ready, inflight, state, awake. ARGV: now, limit, awake ttl (ms), spread.
// Takes the slot's share of what is due (due / spread, at least 1, at most limit), so a small
// backlog is spread over the queue's connections instead of lining up behind one of them.
// An empty claim clears `awake` in the same step: an enqueue after it wakes a token.
// Returns { due messages left after this claim, ids }; { -1, {} } when the queue is paused, so a
// pause is seen at every claim without a round trip of its own.
const CLAIM = `
if redis.call('HGET', KEYS[3], 'mode') == 'paused' then return {-1, {}} end
local due = redis.call('ZCOUNT', KEYS[1], '-inf', ARGV[1])
local take = math.min(tonumber(ARGV[2]), math.max(1, math.ceil(due / tonumber(ARGV[4]))))
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, take)
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('SADD', KEYS[2], id)
end
if #ids > 0 then
  redis.call('HINCRBY', KEYS[3], 'inflight', #ids)
  redis.call('SET', KEYS[4], '1', 'PX', tonumber(ARGV[3]))
else
  redis.call('DEL', KEYS[4])
end
return {due - #ids, ids}`;

const CLAIM_IDS = `
local out = {}
for _, id in ipairs(ARGV) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('SADD', KEYS[2], id)
    out[#out + 1] = id
  end
end
if #out > 0 then redis.call('HINCRBY', KEYS[3], 'inflight', #out) end
return out`;

// KEYS: inflight, ready, state
const REQUEUE = `
local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[2], ARGV[1], id) end
redis.call('DEL', KEYS[1])
if #ids > 0 then redis.call('HINCRBY', KEYS[3], 'inflight', -#ids) end
return #ids`;

// KEYS: meta, rcpts, body, inflight, ready, state, totals, age, minute counters, acct, latency
// ARGV: id, notBefore|'', finals, delivered, bounced, deferred,
//       latency vmta|'', latency bucket, latency seconds,
//       records, per record: n, field/value (n values),
//       then (index, json) per recipient to the end.
// The minute counters are counted here, next to the totals, so a finish that
// counts nothing (message already gone) counts nothing in the history either.
// Accounting records and latency go in whatever happened: the attempt did happen.
const FINISH = `
local a = 11
for r = 1, tonumber(ARGV[10]) do
  local n = tonumber(ARGV[a])
  redis.call('XADD', KEYS[10], 'MAXLEN', '~', '1000000', '*', unpack(ARGV, a + 1, a + n))
  a = a + n + 1
end
local d = tonumber(ARGV[4])
if ARGV[7] ~= '' and d > 0 then
  redis.call('HINCRBY', KEYS[11], ARGV[7] .. '|' .. ARGV[8], d)
  redis.call('HINCRBY', KEYS[11], ARGV[7] .. '|count', d)
  redis.call('HINCRBYFLOAT', KEYS[11], ARGV[7] .. '|sum', tonumber(ARGV[9]) * d)
end
local held = redis.call('SREM', KEYS[4], ARGV[1])
if held == 1 then redis.call('HINCRBY', KEYS[6], 'inflight', -1) end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[8], ARGV[1])
  return -1
end
for i = a, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
if tonumber(ARGV[3]) > 0 then redis.call('HINCRBY', KEYS[6], 'queued', -tonumber(ARGV[3])) end
if ARGV[2] ~= '' then
  redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
else
  redis.call('ZREM', KEYS[8], ARGV[1])
end
local counted = false
for i, name in ipairs({'delivered', 'bounced', 'deferred'}) do
  local n = tonumber(ARGV[3 + i])
  if n > 0 then
    redis.call('HINCRBY', KEYS[6], name, n)
    redis.call('HINCRBY', KEYS[7], name, n)
    redis.call('HINCRBY', KEYS[9], name, n)
    counted = true
  end
end
if counted then redis.call('EXPIRE', KEYS[9], ${MINUTE_COUNTERS_TTL_SECONDS}) end
local left = redis.call('HINCRBY', KEYS[1], 'pending', -tonumber(ARGV[3]))
if left <= 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) end
return left`;

export type QueueMode = 'normal' | 'retry' | 'paused';

export interface QueueState {
  mode: QueueMode;
  /** While in retry mode: when the queue may be tried again (ms). */
  retryAt?: number;
  /** Consecutive failed connections/transactions (drives retry-after). */
  failures: number;
  delivered: number;
  bounced: number;
  deferred: number;
}

export interface QueueStats {
  queue: string;
  mode: QueueMode;
  paused: boolean;
  /** Recipients not yet final. */
  queued: number;
  /** Messages held by a connection right now. */
  inflight: number;
  /** Messages waiting for retry-recipients-after (not due yet). */
  deferred: number;
  oldestAgeSeconds: number;
  delivered: number;
  bounced: number;
  retryAt?: number;
}

export interface OutcomeBatch {
  id: string;
  queue: string;
  slot: number;
  /** Recipient records of this queue, updated (state, attempts, last reply). */
  recipients: RecipientRecord[];
  /** When recipients of this message remain queued here: when they may be tried again. */
  notBefore?: number;
  /** Accounting records (d, b, t) to append, field name to value. */
  accounting?: Array<Record<string, string | number | undefined>>;
  /** For the latency histogram: the VMTA and time from receipt (ms) of the recipients delivered now. */
  delivered?: { vmta: string; afterMs: number };
}

type WithScripts = Redis & {
  vmtaClaim(ready: string, inflight: string, state: string, awake: string, now: number, limit: number, awakeTtlMs: number, spread: number): Promise<[number, string[]]>;
  vmtaRequeue(inflight: string, ready: string, state: string, now: number): Promise<number>;
  vmtaClaimIds(ready: string, inflight: string, state: string, ...ids: string[]): Promise<string[]>;
  vmtaFinish(...args: (string | number)[]): Promise<number>;
};

/** How long a token counts as awake after its last claim (a token that died stops counting after this). */
export const AWAKE_TTL_MS = 60_000;

/** The in-flight slot used by the bounce-after sweep of a queue. */
export const EXPIRY_SLOT = -1;

export class QueueOps {
  readonly keys: Keys;
  private readonly r: WithScripts;

  private readonly accounting: () => boolean;

  /**
   * `accounting`: whether outcomes go to the accounting stream (false when no `<acct-file>` would
   * ever read them, so the stream does not fill Redis); default true.
   */
  constructor(redis: Redis, prefix?: string, options: { accounting?: () => boolean } = {}) {
    this.keys = new Keys(prefix);
    this.accounting = options.accounting ?? (() => true);
    if (!('vmtaClaim' in redis)) {
      redis.defineCommand('vmtaClaim', { numberOfKeys: 4, lua: CLAIM });
      redis.defineCommand('vmtaRequeue', { numberOfKeys: 3, lua: REQUEUE });
      redis.defineCommand('vmtaFinish', { numberOfKeys: 11, lua: FINISH });
      redis.defineCommand('vmtaClaimIds', { numberOfKeys: 3, lua: CLAIM_IDS });
    }
    this.r = redis as WithScripts;
  }

  /** Moves up to `limit` messages whose time has come from the queue to the slot's in-flight set. */
  async claimDue(queue: string, slot: number, now: number, limit: number): Promise<string[]> {
    return (await this.claim(queue, slot, now, limit, 1)).ids;
  }

  /**
   * Claims the slot's share of the due mail: due / `spread` messages (the queue's connections),
   * at least one, at most `limit`. `remaining`: due messages left for other connections, -1 when
   * the queue is paused (nothing is claimed then).
   */
  async claim(queue: string, slot: number, now: number, limit: number, spread: number): Promise<{ ids: string[]; remaining: number }> {
    const [remaining, ids] = await this.r.vmtaClaim(
      this.keys.queueReady(queue),
      this.keys.queueInflight(queue, slot),
      this.keys.queueState(queue),
      this.keys.queueAwake(queue),
      now,
      limit,
      AWAKE_TTL_MS,
      Math.max(1, spread),
    );
    return { ids, remaining };
  }

  /** Gives back what a slot held (its previous holder died, or it stops early): due at `now`. */
  requeueInflight(queue: string, slot: number, now: number): Promise<number> {
    return this.r.vmtaRequeue(this.keys.queueInflight(queue, slot), this.keys.queueReady(queue), this.keys.queueState(queue), now);
  }

  /**
   * What a token does first, in one round trip (a pipeline, in this order): gives back what its slot
   * held (requeueInflight), then reads the queue's state and the receipt time of its oldest message.
   */
  async startToken(queue: string, slot: number, now: number): Promise<{ state: QueueState; oldest: number | undefined }> {
    const k = this.keys;
    const pipeline = this.r.pipeline() as ReturnType<Redis['pipeline']> & { vmtaRequeue(...a: (string | number)[]): unknown };
    pipeline.vmtaRequeue(k.queueInflight(queue, slot), k.queueReady(queue), k.queueState(queue), now);
    pipeline.hgetall(k.queueState(queue)).zrange(k.queueAge(queue), '0', '0', 'WITHSCORES');
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err)?.[0];
    if (failed) throw failed;
    const h = results[1]?.[1] as Record<string, string>;
    const first = results[2]?.[1] as string[];
    return { state: parseState(h), oldest: first.length >= 2 ? Number(first[1]) : undefined };
  }

  /** Ids received before `receivedBefore`, oldest first, skipping `offset` (bounce-after and delete candidates, whatever their state). */
  receivedBefore(queue: string, receivedBefore: number, limit: number, offset = 0): Promise<string[]> {
    return this.r.zrangebyscore(this.keys.queueAge(queue), '-inf', String(receivedBefore), 'LIMIT', String(offset), String(limit));
  }

  /** Received time of the oldest message in the queue, if any. */
  async oldest(queue: string): Promise<number | undefined> {
    const first = await this.r.zrange(this.keys.queueAge(queue), '0', '0', 'WITHSCORES');
    return first.length >= 2 ? Number(first[1]) : undefined;
  }

  /** Claims these ids for a slot if they are waiting in the queue (not held by a token). */
  claimIds(queue: string, slot: number, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.r.vmtaClaimIds(this.keys.queueReady(queue), this.keys.queueInflight(queue, slot), this.keys.queueState(queue), ...ids);
  }

  /** When the next message of the queue is due, if any. */
  async nextDue(queue: string): Promise<number | undefined> {
    const first = await this.r.zrange(this.keys.queueReady(queue), '0', '0', 'WITHSCORES');
    return first.length >= 2 ? Number(first[1]) : undefined;
  }

  /** Records outcomes of one message in one queue; returns the recipients still pending overall. `now` picks the history minute. */
  async finish(batch: OutcomeBatch, now = Date.now()): Promise<number> {
    const k = this.keys;
    const count = (s: string) => batch.recipients.filter((r) => r.state === s).length;
    const finals = batch.recipients.filter((r) => r.state !== 'queued').length;
    const deferred = batch.recipients.filter((r) => r.state === 'queued').length;
    const records = (this.accounting() ? (batch.accounting ?? []) : []).map((rec) => Object.entries(rec).flatMap(([f, v]) => [f, v === undefined ? '' : String(v)]));
    const latency = batch.delivered;
    const seconds = latency ? Math.max(0, latency.afterMs / 1000) : 0;
    const left = await this.r.vmtaFinish(
      k.messageMeta(batch.id),
      k.messageRecipients(batch.id),
      k.messageBody(batch.id),
      k.queueInflight(batch.queue, batch.slot),
      k.queueReady(batch.queue),
      k.queueState(batch.queue),
      k.totals(),
      k.queueAge(batch.queue),
      k.minuteCounters(epochMinute(now)),
      k.accounting(),
      k.deliveryLatency(),
      batch.id,
      batch.notBefore === undefined ? '' : batch.notBefore,
      finals,
      count('delivered'),
      count('bounced'),
      deferred,
      latency?.vmta ?? '',
      latencyBucket(seconds),
      seconds,
      records.length,
      ...records.flatMap((r) => [r.length, ...r]),
      ...batch.recipients.flatMap((r) => [String(r.index), JSON.stringify(r)]),
    );
    return Number(left);
  }

  /** What `vmta show queues` shows for one queue. */
  async stats(queue: string, now = Date.now()): Promise<QueueStats> {
    const [[, h], [, waiting], [, oldest]] = (await this.r
      .multi()
      .hgetall(this.keys.queueState(queue))
      .zcount(this.keys.queueReady(queue), `(${now}`, '+inf')
      .zrange(this.keys.queueAge(queue), '0', '0', 'WITHSCORES')
      .exec()) as [[null, Record<string, string>], [null, number], [null, string[]]];
    const mode = (h.mode as QueueMode | undefined) ?? 'normal';
    return {
      queue,
      mode,
      paused: mode === 'paused',
      queued: Math.max(0, Number(h.queued ?? 0)),
      inflight: Math.max(0, Number(h.inflight ?? 0)),
      deferred: waiting,
      oldestAgeSeconds: oldest.length >= 2 ? Math.max(0, Math.round((now - Number(oldest[1])) / 1000)) : 0,
      delivered: Number(h.delivered ?? 0),
      bounced: Number(h.bounced ?? 0),
      retryAt: h.retryAt ? Number(h.retryAt) : undefined,
    };
  }

  async state(queue: string): Promise<QueueState> {
    return parseState(await this.r.hgetall(this.keys.queueState(queue)));
  }

  /** A connection or transaction failed: retry mode until `retryAt`. */
  async enterRetry(queue: string, retryAt: number): Promise<number> {
    const key = this.keys.queueState(queue);
    const [[, failures]] = (await this.r
      .multi()
      .hincrby(key, 'failures', 1)
      .hset(key, { mode: 'retry', retryAt: String(retryAt) })
      .exec()) as [[null, number], unknown];
    return failures;
  }

  /** A delivery succeeded (or the operator said retry now): back to normal, schedule reset. */
  async leaveRetry(queue: string): Promise<void> {
    const key = this.keys.queueState(queue);
    await this.r.multi().hset(key, { mode: 'normal', failures: '0' }).hdel(key, 'retryAt').exec();
  }

  async pause(queue: string): Promise<void> {
    await this.r.hset(this.keys.queueState(queue), 'mode', 'paused');
  }

  /** Resumes a paused queue (into retry mode again if its retry time is still ahead). */
  async resume(queue: string, now = Date.now()): Promise<void> {
    const s = await this.state(queue);
    await this.r.hset(this.keys.queueState(queue), 'mode', s.retryAt && s.retryAt > now ? 'retry' : 'normal');
  }
}

function parseState(h: Record<string, string>): QueueState {
  return {
    mode: (h.mode as QueueMode | undefined) ?? 'normal',
    retryAt: h.retryAt ? Number(h.retryAt) : undefined,
    failures: Number(h.failures ?? 0),
    delivered: Number(h.delivered ?? 0),
    bounced: Number(h.bounced ?? 0),
    deferred: Number(h.deferred ?? 0),
  };
}
