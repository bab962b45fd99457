/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The configuration has errors, or a check failed. */
  configInvalid: 1,
  /** Bad command line. */
  usage: 2,
  /** Redis (or another service we need) is unreachable. */
  unavailable: 69,
  /** Anything else that went wrong inside vmta. */
  software: 70,
} as const;
