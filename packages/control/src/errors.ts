/** Errors of operator actions, each with a stable `code` (the CLI and HTTP map them to a usage error / 400). */

/** An IP or queue name an action cannot take. */
export class SourceArgumentError extends Error {
  override readonly name = 'SourceArgumentError';
  readonly code = 'SOURCE_ARGUMENT';
}

/** An argument of a view that cannot be read (an event stream position that is none). */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  readonly code = 'INVALID_ARGUMENT';
}

/** A suppression import file that cannot be read as a list or a CSV with an address column. */
export class SuppressImportError extends Error {
  override readonly name = 'SuppressImportError';
  readonly code = 'SUPPRESS_IMPORT';
}
