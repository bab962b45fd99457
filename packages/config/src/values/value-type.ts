/** Names of the value types a directive can declare. */
export type ValueTypeName =
  | 'boolean'
  | 'string'
  | 'text'
  | 'integer'
  | 'limit'
  | 'port'
  | 'time-interval'
  | 'time-interval-list'
  | 'size'
  | 'rate'
  | 'cidr'
  | 'listener-address'
  | 'domain-pattern'
  | 'domain-macro'
  | 'regex'
  | 'address-or-regex'
  | 'email'
  | 'email-list'
  | 'bounce-category-pattern'
  | 'bounce-category-list'
  | 'hostname'
  | 'host-list'
  | 'source-host'
  | 'name-server'
  | 'domain-key'
  | 'http-access'
  | 'http-api-key'
  | 'certificate'
  | 'listener-spec'
  | 'reply-pattern'
  | 'pattern-rule'
  | 'header-pattern-rule'
  | 'mx-rollup'
  | 'records'
  | 'event-types'
  | 'record-fields'
  | 'auth-method'
  | 'dkim-sign'
  | 'dkim-canon'
  | 'dkim-identity'
  | 'dkim-headers'
  | 'address-entry'
  | 'name-list'
  | 'reason-interval'
  | 'suppression-tenant'
  | 'body-compression';

export interface ValueType<T = unknown> {
  name: ValueTypeName;
  /** What an operator must write, used in error messages. */
  expected: string;
  /**
   * raw = the directive's value text (comment stripped, trimmed, may contain spaces); words = the same split on
   * whitespace with "double quotes" honoured and removed (see tokenize). Throws ValueError. Never called for the
   * clearing value "" (the parser handles that).
   */
  parse(raw: string, words: string[]): T;
  /** JSON Schema (draft 2020-12 / ajv 8 compatible, no custom keywords) of the PARSED value. */
  schema: Record<string, unknown>;
}

/** The label used in error messages: `"x" is not a TIME-INTERVAL (...)`. */
export function labelOf(name: ValueTypeName): string {
  return name.toUpperCase();
}
