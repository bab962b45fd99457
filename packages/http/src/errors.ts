/** Errors of the management HTTP server, each with a stable `code` (the router answers them 400). */

/** A count in the query string (`?limit=`, `?minutes=`, `?wait=`) that is not a whole number, or is given twice. */
export class QueryCountError extends Error {
  override readonly name = 'QueryCountError';
  readonly code = 'QUERY_COUNT';
}
