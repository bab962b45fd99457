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
  | 'CONFIG_OVERRIDDEN';

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
