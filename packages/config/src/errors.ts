/** Errors of the config package. Decide by `code`, never by message text. */

export interface Origin {
  file: string;
  line: number;
}

export type DiagnosticCode =
  | 'CONFIG_SYNTAX'
  | 'CONFIG_UNKNOWN_DIRECTIVE'
  | 'CONFIG_MISPLACED_DIRECTIVE'
  | 'CONFIG_UNKNOWN_STANZA'
  | 'CONFIG_VALUE'
  | 'CONFIG_REFERENCE'
  | 'CONFIG_UNCLOSED'
  | 'CONFIG_INCLUDE'
  | 'CONFIG_UNSUPPORTED'
  /** Parsed and valid, but nothing applies it yet (schema/not-applied.ts). */
  | 'CONFIG_NOT_APPLIED'
  | 'CONFIG_DEPRECATED'
  | 'CONFIG_OVERRIDDEN'
  | 'CONFIG_DKIM_KEY';

export interface Diagnostic {
  severity: 'error' | 'warning';
  code: DiagnosticCode;
  file: string;
  line: number;
  /** Message without the file:line prefix. */
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}` : d.file;
  return `${where}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
}

/** Thrown when a configuration has errors; carries every error of the file at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly errors: Diagnostic[],
    readonly warnings: Diagnostic[] = [],
  ) {
    super(errors.map(formatDiagnostic).join('\n'));
  }
}

export type DkimKeyErrorCode = 'DKIM_KEY_UNREADABLE' | 'DKIM_KEY_INVALID' | 'DKIM_KEY_TOO_SHORT';

/** A domain-key file that cannot sign: missing or unreadable, not a private key of a DKIM kind, or too short. */
export class DkimKeyError extends Error {
  override readonly name = 'DkimKeyError';
  constructor(
    readonly code: DkimKeyErrorCode,
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
