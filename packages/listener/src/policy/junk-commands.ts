/**
 * Commands that make no progress toward a message. A session may send at most `limit` of them
 * since its last accepted message (Postfix's smtpd_junk_command_limit counts the same verbs, default
 * 100); beyond it 421 4.7.0 and the session is closed. smtp-server already closes after 10
 * unrecognized commands, but NOOP, RSET, VRFY, ... loops were bounded only by the session cap.
 */
const JUNK_VERBS = new Set(['NOOP', 'RSET', 'VRFY', 'EXPN', 'HELP', 'ETRN']);
const VERB_RE = /^\s*([A-Za-z]+)/;

export function isJunkCommand(line: string): boolean {
  const verb = VERB_RE.exec(line)?.[1];
  return verb !== undefined && JUNK_VERBS.has(verb.toUpperCase());
}

/**
 * Replies that say the client got the protocol wrong: an unknown command or one not implemented (500,
 * 502), a syntax error in it or its parameters (501, 555), a command out of sequence (503) or an unknown
 * AUTH mechanism (504). A session may collect `limit` of them since its last accepted message (Postfix's
 * smtpd_hard_error_limit, default 20); then its next command gets 421 4.7.0 and the session is closed.
 * Refusals of an address or a message (550, 552, 553, 554, 452) and failed passwords (535) are not counted:
 * a bulk sender gets many of those in good faith, and smtp-max-auth-failure-rate bounds password guessing.
 */
export function isCommandError(code: number): boolean {
  return (code >= 500 && code <= 504) || code === 555;
}
