/** Errors of the queue package. Decide by `code`. */

/** Redis is down, slow or full: nothing was written; the sender should try again later. */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
  readonly code = 'QUEUE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
