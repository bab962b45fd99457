/**
 * The Lua scripts of the queue, one file each (header: what it does, KEYS, ARGV, returns), and
 * the one place they are registered on a connection. `scripts(redis)` defines them all once per
 * connection and returns one typed method per script; `.on(pipeline)` queues the same calls on a
 * pipeline or MULTI of that connection (create it after `scripts(redis)`: ioredis copies the
 * scripts of a connection onto a pipeline when the pipeline is made).
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { acquireLease } from './acquire-lease.js';
import { acquireLeaseByPriority } from './acquire-lease-by-priority.js';
import { backoffMode } from './backoff-mode.js';
import { claimForDelete } from './claim-for-delete.js';
import { claimIds } from './claim-ids.js';
import { claimShare } from './claim-share.js';
import { deleteBatch } from './delete-batch.js';
import { deleteWaiting } from './delete-waiting.js';
import { dropIdleWakeMark } from './drop-idle-wake-mark.js';
import { enableSourceIf } from './enable-source-if.js';
import { enqueue } from './enqueue.js';
import { indexExpiry, renewSweepLock, rescoreExpiry } from './expiry-index.js';
import { moveToQueue } from './move-to-queue.js';
import { discardHeld, releaseHeld } from './held.js';
import { reassertLease } from './reassert-lease.js';
import { recordOutcomes } from './record-outcomes.js';
import { recordOutcomesMany } from './record-outcomes-many.js';
import { readForQueue } from './read-for-queue.js';
import { releaseIds } from './release-ids.js';
import { releaseSlot } from './release-slot.js';
import { renewLease } from './renew-lease.js';
import { requeue } from './requeue.js';
import { retireQueue } from './retire-queue.js';
import { suppressAdd } from './suppress-add.js';
import { suppressLookup } from './suppress-lookup.js';
import type { RedisArg, ScriptDefinition } from './script.js';
import { takeRate } from './take-rate.js';
import { takeSlot } from './take-slot.js';
import { tokenWake } from './token-wake.js';

const DEFINITIONS = {
  claimShare,
  claimIds,
  claimForDelete,
  releaseIds,
  requeue,
  recordOutcomes,
  recordOutcomesMany,
  deleteBatch,
  deleteWaiting,
  acquireLease,
  acquireLeaseByPriority,
  renewLease,
  reassertLease,
  takeRate,
  enqueue,
  takeSlot,
  releaseSlot,
  retireQueue,
  backoffMode,
  readForQueue,
  enableSourceIf,
  moveToQueue,
  suppressAdd,
  suppressLookup,
  releaseHeld,
  discardHeld,
  indexExpiry,
  rescoreExpiry,
  renewSweepLock,
  tokenWake,
  dropIdleWakeMark,
};

type Definitions = typeof DEFINITIONS;
type Name = keyof Definitions;
type InputOf<K extends Name> = Definitions[K] extends ScriptDefinition<infer A, unknown> ? A : never;
type ReplyOf<K extends Name> = Definitions[K] extends ScriptDefinition<never, infer R> ? R : never;

/** The scripts queued on a pipeline or MULTI: their replies come with exec(), raw. */
export type PipelinedScripts = { [K in Name]: (...input: InputOf<K>) => void };

/** The scripts of the queue on one connection. */
export type QueueScripts = { [K in Name]: (...input: InputOf<K>) => Promise<ReplyOf<K>> } & {
  on(pipeline: ChainableCommander): PipelinedScripts;
};

/**
 * A script call takes its arguments as one array (ioredis flattens it): spread into a call,
 * the ~400,000 arguments of a message of 10,000 recipients overflow the JavaScript stack.
 */
type Command = (args: RedisArg[]) => unknown;

/** ioredis adds a defined script as a method of the connection (and of its later pipelines). */
function command(target: object, name: string): Command {
  const method = (target as Record<string, unknown>)[name];
  if (typeof method !== 'function') throw new Error(`script ${name} is not defined here (make pipelines after scripts(redis))`);
  return (method as Command).bind(target);
}

const names = Object.keys(DEFINITIONS) as Name[];
const variant = (d: ScriptDefinition<unknown[], unknown>) => (d.buffers ? `${d.name}Buffer` : d.name);
const registered = new WeakMap<Redis, QueueScripts>();

/** The queue's scripts on `redis`, defined on first use (once per connection). */
export function scripts(redis: Redis): QueueScripts {
  const known = registered.get(redis);
  if (known) return known;
  const definitions: Record<Name, ScriptDefinition<unknown[], unknown>> = DEFINITIONS as never;
  const calls: Record<string, unknown> = {};
  for (const name of names) {
    const d = definitions[name];
    redis.defineCommand(d.name, d.numberOfKeys === undefined ? { lua: d.lua } : { numberOfKeys: d.numberOfKeys, lua: d.lua });
    const call = command(redis, variant(d));
    calls[name] = async (...input: unknown[]) => d.reply(await call(d.args(...input)));
  }
  calls.on = (pipeline: ChainableCommander): PipelinedScripts => {
    const queued: Record<string, unknown> = {};
    for (const name of names) {
      const d = definitions[name];
      const call = command(pipeline, variant(d));
      queued[name] = (...input: unknown[]) => void call(d.args(...input));
    }
    return queued as PipelinedScripts;
  };
  const typed = calls as QueueScripts;
  registered.set(redis, typed);
  return typed;
}

export * from './constants.js';
export type { ClaimedShare, ClaimShareKeys } from './claim-share.js';
export type { FirstClaim } from './take-slot.js';
export type { SlotKeys } from './claim-ids.js';
export type { LeaseReassertion } from './reassert-lease.js';
export type { BackoffInput, BackoffOp } from './backoff-mode.js';
export type { EnqueueInput, EnqueueQueue, EnqueueReply } from './enqueue.js';
export type { RecordOutcomesInput } from './record-outcomes.js';
export { OUTCOMES_PER_CALL, type RecordOutcomesReply } from './record-outcomes-many.js';
export type { DeleteBatchInput, DeleteBatchMessage } from './delete-batch.js';
export type { ReadForQueueReply } from './read-for-queue.js';
export { queueRecipientsField } from './read-for-queue.js';
export type { MoveToQueueInput } from './move-to-queue.js';
export type { ExpiryRef } from './expiry-index.js';
export type { TokenWakeKeys } from './token-wake.js';
