/** Errors of the queue package. Decide by `code`. */

/** Redis is down, slow or full: nothing was written; the sender should try again later. */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
  readonly code = 'QUEUE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
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
