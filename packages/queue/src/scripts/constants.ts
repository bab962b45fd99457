/**
 * Constants the Lua scripts and the TypeScript around them share: limits written into the
 * scripts, and the codes scripts return. Each is interpolated into the Lua text, so a script
 * and its caller cannot disagree, and no number means two things: a code names one answer of
 * one script.
 */

/** How long a token counts as awake after its last claim (a token that died stops counting after this). */
export const AWAKE_TTL_MS = 60_000;

/**
 * How long a minute's counters are kept. GET /history serves up to a day, so a
 * day and an hour: about 1,500 small hashes at most.
 */
export const MINUTE_COUNTERS_TTL_SECONDS = 25 * 3600;

/** Upper bound (approximate, `MAXLEN ~`) of the accounting stream until the accounting writer trims it. */
export const ACCOUNTING_MAXLEN = 1_000_000;

/** claimShare: the queue is paused, nothing was claimed (in place of the count of due messages left). */
export const CLAIM_PAUSED = -2;

/**
 * claimShare, requeue, recordOutcomes: the slot is no longer held by this run (its process went
 * silent and recovery gave the slot's mail back): nothing was written.
 */
export const SLOT_LOST = -3;

/** recordOutcomes: the message was gone already, nothing was counted (in place of the recipients left, which is never negative). */
export const OUTCOMES_MESSAGE_GONE = -1;

/** acquireLease / renewLease: the holder holds a live lease now. */
export const LEASE_HELD = 1;
/** acquireLease: every slot is taken; renewLease: the lease was lost (expired or released). */
export const LEASE_NOT_HELD = 0;
/** acquireLease: the holder held no lease and took a free slot now (reassertLease: the lost lease was re-added). */
export const LEASE_TAKEN = 2;

/** enqueue, flag per queue: a token of the queue is awake (or the paused queue already held mail): no wake needed. */
export const QUEUE_NEEDS_NO_WAKE = 1;
/** enqueue, flag per queue: no token will find this mail by itself: wake one. */
export const QUEUE_NEEDS_WAKE = 0;

/** retireQueue: the queue left the index and its state hash is gone. */
export const QUEUE_RETIRED = 1;
/** retireQueue: the queue stays (mail in it, not in normal mode, or not idle long enough yet). */
export const QUEUE_KEPT = 0;

/** A queue empty, in normal mode and without outcomes this long leaves the queue index (retireQueue). */
export const QUEUE_RETIRE_IDLE_MS = 3_600_000;

/** Values per HSET, HMGET or XDEL call in a script: Lua's `unpack` fails at about 8,000 (LUAI_MAXCSTACK). */
export const SLICE = 1000;
/** Job counters (Keys#jobStats) are kept this long after the job's last change (received or an outcome). */
export const JOB_STATS_TTL_SECONDS = 7 * 24 * 3600;

/** claimShare: mail of a paused job found due is put back this far ahead (resume brings it back at once). */
export const JOB_PAUSE_PARK_MS = 60_000;

/** claimShare: at most this many due messages are looked at per claim (bounds the work when a paused job fills the queue). */
export const CLAIM_SCAN_MAX = 400;

/** tokenWake: the token is gone (it ended after the add met it): add it again. */
export const TOKEN_GONE = 0;
/** tokenWake: the token is running; it marks the queue awake itself. */
export const TOKEN_ACTIVE = 1;
/** tokenWake: the token sleeps until a retry time or for a paused queue: it stays asleep. */
export const TOKEN_HELD = 2;
/** tokenWake: the token sleeps until mail is due: the queue is marked awake, promote the token. */
export const TOKEN_DELAYED = 3;
/** tokenWake: the token waits to be taken: the queue is marked awake. */
export const TOKEN_WAITING = 4;
