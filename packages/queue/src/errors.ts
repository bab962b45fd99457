/** Errors of the queue package. Decide by `code`. */

/** Redis is down, slow or full: nothing was written; the sender should try again later. */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
  readonly code = 'QUEUE_UNAVAILABLE';
  /**
   * True when WAIT before 250 had written the message (held) and neither its release nor its
   * discard reached Redis: it stays held and is delivered at its hold's end although the sender
   * got 451 (the documented duplicate corner).
   */
  readonly heldLeft: boolean;
  constructor(message: string, options?: { cause?: unknown; heldLeft?: boolean }) {
    super(message, options);
    this.heldLeft = options?.heldLeft ?? false;
  }
}

/**
 * A token run no longer holds its connection slot: its process was silent past the recovery bound
 * and another process gave the slot's mail back. The run must stop at once, writing nothing more.
 */
export class SlotLostError extends Error {
  override readonly name = 'SlotLostError';
  readonly code = 'SLOT_LOST';
  constructor(
    readonly queue: string,
    readonly slot: number,
  ) {
    super(`connection slot ${slot} of ${queue} was taken back from this run`);
  }
}

/** An operator's `/re/` for --orig or --rcpt is not a regular expression. */
export class FilterPatternError extends Error {
  override readonly name = 'FilterPatternError';
  readonly code = 'FILTER_PATTERN_INVALID';
}

/** REDIS_URL cannot be read (a bad redis-sentinel:// list, a bad wait-replicas or wait-timeout). */
export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
  readonly code = 'REDIS_URL_INVALID';
  constructor(message: string) {
    super(message);
  }
}

/**
 * The enqueue was written on the primary but fewer replicas than asked acknowledged it in time
 * (WAIT): the message was held, not released; the sender gets 451 4.3.0 and sends it again.
 */
export class ReplicationTimeoutError extends Error {
  override readonly name = 'ReplicationTimeoutError';
  readonly code = 'REPLICATION_TIMEOUT';
  constructor(
    message: string,
    readonly acked: number,
    readonly wanted: number,
    /** The discard did not reach Redis: see QueueUnavailableError.heldLeft. */
    readonly heldLeft = false,
  ) {
    super(message);
  }
}

/**
 * A stored body cannot be read back: its encoding is one this version does not know (a newer
 * version wrote it: its bytes must never go out as they are), or its deflated bytes do not inflate.
 * Delivery defers the message's recipients (451 4.3.0) instead of sending it; bounce-after ends it.
 */
export class BodyEncodingError extends Error {
  override readonly name = 'BodyEncodingError';
  readonly code = 'BODY_UNREADABLE';
  constructor(
    message: string,
    readonly encoding: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A message's outcomes were not recorded: its part of a group commit met an error in Redis (the
 * script failed for it), or the group's call failed (Redis down, a lost connection). Every caller
 * of the group gets it; what the message's part wrote before an error stays, as with any failed
 * script. The run stops as on any Redis error and the message is delivered again. READONLY is not
 * wrapped: it reaches callers as the Redis reply it is.
 */
export class OutcomeRecordError extends Error {
  override readonly name = 'OutcomeRecordError';
  readonly code = 'OUTCOME_RECORD_FAILED';
  constructor(
    message: string,
    readonly id: string,
    readonly queue: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
