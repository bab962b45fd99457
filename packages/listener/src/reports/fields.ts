/**
 * Header-style fields, pure: a header block (RFC 5322 §2.2, folded lines unfolded) as name/value pairs,
 * the groups of a message/feedback-report or message/delivery-status part (RFC 5965 §3.1, RFC 3464 §2.1:
 * blocks of fields separated by blank lines), and what our own Received header says about the original
 * message. mailparser hands these parts over as opaque bodies, hence this reader.
 */

export interface Field {
  name: string;
  value: string;
}

/** The fields of one block of lines (no blank lines in it), continuation lines joined to their field. */
export function parseFieldLines(lines: readonly string[]): Field[] {
  const out: Field[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && out.length > 0) {
      out[out.length - 1]!.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return out;
}

/** The header block at the start of `text` (a message or text/rfc822-headers). */
export function headerBlock(text: string): Field[] {
  const lines = text.split(/\r?\n/);
  const end = lines.findIndex((l) => l.trim() === '');
  return parseFieldLines(end < 0 ? lines : lines.slice(0, end));
}

/** The blocks of a report part, each a map of lower-cased name → first value. */
export function fieldGroups(text: string): Map<string, string>[] {
  const groups: Map<string, string>[] = [];
  let block: string[] = [];
  const flush = (): void => {
    const fields = parseFieldLines(block);
    if (fields.length > 0) {
      const m = new Map<string, string>();
      for (const f of fields) if (!m.has(f.name)) m.set(f.name, f.value);
      groups.push(m);
    }
    block = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') flush();
    else block.push(line);
  }
  flush();
  return groups;
}

/** The first value of header `name` (any case), or undefined. */
export function headerValue(fields: readonly Field[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return fields.find((f) => f.name === lower)?.value;
}

/** "rfc822; a@b" → "a@b", "<a@b>" → "a@b"; empty → undefined. */
export function bareAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const typed = /^[\w-]+\s*;\s*(.*)$/.exec(value);
  const rest = (typed ? typed[1]! : value).trim();
  const angle = /<([^>]*)>/.exec(rest);
  const out = (angle ? angle[1]! : rest).trim();
  return out === '' ? undefined : out;
}

/** What our Received header on the original says: our queue id, the AUTH user, the single recipient. */
export interface OwnTrace {
  msgId?: string;
  authUser?: string;
  rcpt?: string;
}

/**
 * Our Received header on the original (`by HOST ... id QUEUEID`, see policy/received-header.ts): the last
 * one of ours is the one the listener added when it took the message.
 */
export function ownTrace(headers: readonly Field[], hostName: string): OwnTrace {
  const by = new RegExp(`\\bby ${hostName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i');
  const ours = headers.filter((f) => f.name === 'received' && by.test(f.value)).at(-1);
  if (!ours) return {};
  const id = /\bid ([\w.-]+)/.exec(ours.value)?.[1];
  const user = /\(authenticated as ((?:\\.|[^)\\])*)\)/.exec(ours.value)?.[1]?.replace(/\\(.)/g, '$1');
  const rcpt = /\bfor <([^>\s]+)>/.exec(ours.value)?.[1];
  return { ...(id ? { msgId: id } : {}), ...(user !== undefined ? { authUser: user } : {}), ...(rcpt ? { rcpt } : {}) };
}
