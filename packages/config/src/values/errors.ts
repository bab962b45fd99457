/** Thrown by value converters. The message names the offending text but no file:line (the parser adds that). */
export class ValueError extends Error {
  readonly code = 'CONFIG_VALUE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ValueError';
  }
}

/** `"<text>" is not a LABEL[: reason] (expected ...)`. */
export function invalidValue(text: string, label: string, expected: string, reason?: string): ValueError {
  const article = /^([AEIOU]|HTTP)/i.test(label) ? 'an' : 'a';
  const why = reason === undefined ? '' : `: ${reason}`;
  return new ValueError(`"${text}" is not ${article} ${label}${why} (expected ${expected})`);
}
