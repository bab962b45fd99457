/** Errors of operator actions, each with a stable `code` (the CLI and HTTP map them to a usage error / 400). */

/** An IP or queue name an action cannot take. */
export class SourceArgumentError extends Error {
  override readonly name = 'SourceArgumentError';
  readonly code = 'SOURCE_ARGUMENT';
}
