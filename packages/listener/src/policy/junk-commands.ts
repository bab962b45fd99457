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
