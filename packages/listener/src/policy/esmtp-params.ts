/**
 * The ESMTP parameters of MAIL FROM and RCPT TO, checked on the raw command line (pure).
 *
 * Only the parameters of the extensions the listener advertises are taken (RFC 5321 §4.1.1.11, Postfix
 * does the same): SIZE, BODY, SMTPUTF8, AUTH (RFC 4954) and the DSN ones on MAIL FROM, the DSN ones on
 * RCPT TO. smtp-server accepts any other keyword and drops it (FOO=bar, MT-PRIORITY=3) or acts on one we
 * do not carry to the next hop (REQUIRETLS); the sender would believe it was honoured, so the line gets
 * 555 5.5.4 instead.
 *
 * RFC 3461 DSN parameters on MAIL FROM (RET, ENVID) and RCPT TO (NOTIFY, ORCPT): smtp-server decodes xtext before anyone sees the values (and leaves an invalid
 * "+" escape as it is), refuses a bad RET or NOTIFY with a 501 that has no enhanced code, and takes
 * any length and any printable value; so the listener checks the line first and answers 501 5.5.4
 * (RFC 3463: "invalid command arguments"). A line that passes holds only valid xtext, which
 * smtp-server then decodes exactly; the decoded values are printable US-ASCII.
 */
import { SmtpReplyError } from './smtp-reply.js';

/** RFC 3461 §4.4: an ENVID is at most 100 characters. */
export const MAX_ENVID_CHARS = 100;
/** RFC 3461 §4.2: an ORCPT is at most 500 characters. */
export const MAX_ORCPT_CHARS = 500;

/** xtext (RFC 3461 §4): "!".."~" except "+" and "=", or "+" and two upper-case hex digits. */
const XTEXT = /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})+$/;
/** RFC 3461 §4.2: addr-type is an atom (RFC 5322 atext). */
const ADDR_TYPE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const NOTIFY_VALUES = new Set(['NEVER', 'SUCCESS', 'FAILURE', 'DELAY']);

export function decodeXtext(value: string): string {
  return value.replace(/\+([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function bad(command: 'MAIL FROM' | 'RCPT TO', text: string): SmtpReplyError {
  return new SmtpReplyError('DSN_PARAMETER', 501, '5.5.4', text, { command });
}

/** How much of an unknown parameter the reply repeats. */
const ECHO_CHARS = 64;

function unsupported(command: 'MAIL FROM' | 'RCPT TO', param: string): SmtpReplyError {
  const shown = param.length > ECHO_CHARS ? `${param.slice(0, ECHO_CHARS)}...` : param;
  return new SmtpReplyError('UNSUPPORTED_PARAMETER', 555, '5.5.4', `Unsupported option: ${shown}`, { command });
}

/** Printable US-ASCII (RFC 3461 §4.4 for ENVID; the decoded ORCPT address as well). */
const PRINTABLE = /^[\x20-\x7e]+$/;

function checkXtext(command: 'MAIL FROM' | 'RCPT TO', name: string, raw: string, max: number): SmtpReplyError | undefined {
  if (!XTEXT.test(raw)) return bad(command, `Invalid ${name} parameter: not xtext (RFC 3461)`);
  const decoded = decodeXtext(raw);
  if (!PRINTABLE.test(decoded)) return bad(command, `Invalid ${name} parameter: only printable US-ASCII allowed`);
  if (decoded.length > max) return bad(command, `Invalid ${name} parameter: longer than ${max} characters`);
  return undefined;
}

function checkValue(command: 'MAIL FROM' | 'RCPT TO', name: string, raw: string): SmtpReplyError | undefined {
  switch (name) {
    case 'RET':
      return /^(FULL|HDRS)$/i.test(raw) ? undefined : bad(command, 'Invalid RET parameter value: must be FULL or HDRS');
    case 'ENVID':
      return checkXtext(command, 'ENVID', raw, MAX_ENVID_CHARS);
    case 'NOTIFY': {
      const values = raw.toUpperCase().split(',');
      if (values.some((v) => !NOTIFY_VALUES.has(v))) return bad(command, 'Invalid NOTIFY parameter value: must be NEVER or a list of SUCCESS, FAILURE, DELAY');
      if (values.includes('NEVER') && values.length > 1) return bad(command, 'Invalid NOTIFY parameter value: NEVER cannot be combined with other values');
      if (new Set(values).size !== values.length) return bad(command, 'Invalid NOTIFY parameter value: a value is repeated');
      return undefined;
    }
    case 'ORCPT': {
      const semi = raw.indexOf(';');
      if (semi <= 0 || !ADDR_TYPE.test(raw.slice(0, semi))) return bad(command, 'Invalid ORCPT parameter: must be addr-type;xtext');
      if (raw.length > MAX_ORCPT_CHARS) return bad(command, `Invalid ORCPT parameter: longer than ${MAX_ORCPT_CHARS} characters`);
      return checkXtext(command, 'ORCPT', raw.slice(semi + 1), MAX_ORCPT_CHARS);
    }
    default:
      return undefined;
  }
}

/** `params`: the DSN parameters checked here; `others`: the ones smtp-server checks and acts on. */
const COMMANDS: ReadonlyArray<{ re: RegExp; command: 'MAIL FROM' | 'RCPT TO'; params: readonly string[]; others: readonly string[] }> = [
  { re: /^MAIL\s+FROM\s*:/i, command: 'MAIL FROM', params: ['RET', 'ENVID'], others: ['SIZE', 'BODY', 'SMTPUTF8', 'AUTH'] },
  { re: /^RCPT\s+TO\s*:/i, command: 'RCPT TO', params: ['NOTIFY', 'ORCPT'], others: [] },
];

/**
 * The path and the parameters after it: a path in angle brackets ends at its first ">" outside a quoted
 * string (the path may hold spaces: smtp-server answers for its syntax); a bare path at the first space.
 */
function splitPath(rest: string): { path: string; params: string[] } {
  let end = rest.indexOf(' ');
  if (rest.startsWith('<')) {
    let quoted = false;
    end = rest.length;
    for (let i = 1; i < rest.length; i++) {
      const c = rest[i];
      if (c === '\\' && quoted) i++;
      else if (c === '"') quoted = !quoted;
      else if (c === '>' && !quoted) {
        end = i + 1;
        break;
      }
    }
  }
  if (end < 0) return { path: rest, params: [] };
  return { path: rest.slice(0, end), params: rest.slice(end).trim().split(/\s+/).filter((p) => p !== '') };
}

/** The MAIL FROM (as smtp-server keeps it in the envelope, with its parameters) declared SMTPUTF8. */
export function declaresSmtputf8(mailFrom: { args?: unknown } | false | undefined): boolean {
  return !!mailFrom && typeof mailFrom.args === 'object' && mailFrom.args !== null && 'SMTPUTF8' in mailFrom.args;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * RFC 6531 §3.4: a path with non-ASCII characters is only taken in a transaction whose MAIL FROM
 * declared SMTPUTF8 (553 5.6.7 otherwise, as Postfix answers): without it the sender did not ask for the
 * extension, and the next hop would get an address it may not read.
 */
function undeclaredUtf8(command: 'MAIL FROM' | 'RCPT TO'): SmtpReplyError {
  return new SmtpReplyError('SMTPUTF8_REQUIRED', 553, '5.6.7', 'Must declare SMTPUTF8 to send a non-ASCII address', { command });
}

/**
 * For a MAIL FROM or RCPT TO line: 555 5.5.4 when it carries a parameter we do not support, 501 5.5.4
 * when its DSN parameters are invalid (bad value, not xtext, too long, missing value, given twice),
 * 553 5.6.7 for a non-ASCII path in a transaction without SMTPUTF8 (`mailSmtputf8`: the MAIL FROM of the
 * transaction declared it; a MAIL FROM line decides for itself); undefined for a good line and for any
 * other command.
 */
export function esmtpParameterError(line: string, mailSmtputf8 = false): SmtpReplyError | undefined {
  const match = COMMANDS.find((c) => c.re.test(line));
  if (!match) return undefined;
  const { path, params } = splitPath(line.replace(match.re, '').trim());
  const seen = new Set<string>();
  let smtputf8 = match.command === 'RCPT TO' && mailSmtputf8;
  for (const param of params) {
    const eq = param.indexOf('=');
    const name = (eq < 0 ? param : param.slice(0, eq)).toUpperCase();
    if (!match.params.includes(name)) {
      if (!match.others.includes(name)) return unsupported(match.command, param);
      if (name === 'SMTPUTF8') smtputf8 = true;
      continue;
    }
    if (seen.has(name)) return bad(match.command, `Duplicate ${name} parameter`);
    seen.add(name);
    const raw = eq < 0 ? '' : param.slice(eq + 1);
    if (raw === '') return bad(match.command, `${name} parameter requires a value`);
    const error = checkValue(match.command, name, raw);
    if (error) return error;
  }
  if (!smtputf8 && NON_ASCII.test(path)) return undeclaredUtf8(match.command);
  return undefined;
}
