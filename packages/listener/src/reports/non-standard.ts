/**
 * Bounces that are not DSNs but say the same in plain text, pure over the parsed mail: qmail's
 * "Hi. This is the qmail-send program", Exim's "Mail delivery failed" and the "Delivery Status
 * Notification (Failure)" style (Gmail and others). Each pattern finds the failed recipients, the
 * diagnostic text after each, and where the text copy of the original begins, if any.
 */
import type { ParsedMail } from 'mailparser';

export interface NonStandardRecipient {
  rcpt: string;
  status: string;
  diag: string;
}

export interface NonStandardBounce {
  /** Which pattern recognised it: the rb record's `format`. */
  format: 'qmail' | 'exim' | 'dsn-text';
  recipients: NonStandardRecipient[];
  /** The text copy of the original message (headers first), when the bounce quotes it inline. */
  inlineOriginal?: string;
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

function statusOf(diag: string): string {
  const enhanced = /\b([45]\.\d{1,3}\.\d{1,3})\b/.exec(diag)?.[1];
  if (enhanced) return enhanced;
  const code = /\b([45])\d\d\b/.exec(diag)?.[1];
  return code === '4' ? '4.0.0' : '5.0.0';
}

/** Blocks introduced by a line holding an address (`addr` or `<addr>:`), the diagnostic being the lines up to the next address line. */
function addressBlocks(body: string, addressLine: RegExp): NonStandardRecipient[] {
  const out: NonStandardRecipient[] = [];
  let current: { rcpt: string; lines: string[] } | undefined;
  const flush = (): void => {
    if (!current) return;
    const diag = current.lines.join(' ').replace(/\s+/g, ' ').trim();
    out.push({ rcpt: current.rcpt, status: statusOf(diag), diag });
    current = undefined;
  };
  for (const line of body.split(/\r?\n/)) {
    const m = addressLine.exec(line);
    if (m && ADDRESS.test(m[1]!)) {
      flush();
      current = { rcpt: m[1]!, lines: [] };
    } else if (current && line.trim() !== '') {
      current.lines.push(line.trim());
    } else if (current && current.lines.length > 0) {
      flush();
    }
  }
  flush();
  return out;
}

function split(body: string, marker: RegExp): { report: string; original?: string } {
  const m = marker.exec(body);
  if (!m) return { report: body };
  return { report: body.slice(0, m.index), original: body.slice(m.index + m[0].length).replace(/^\s*\r?\n/, '') };
}

function result(format: NonStandardBounce['format'], recipients: NonStandardRecipient[], original?: string): NonStandardBounce | undefined {
  if (recipients.length === 0) return undefined;
  return { format, recipients, ...(original !== undefined ? { inlineOriginal: original } : {}) };
}

export function nonStandardBounce(mail: Pick<ParsedMail, 'subject' | 'text'>): NonStandardBounce | undefined {
  const body = mail.text ?? '';
  const subject = mail.subject ?? '';
  if (/Hi\. This is the qmail-send program/i.test(body)) {
    const { report, original } = split(body, /^--- Below this line is a copy of the message\.\s*$/m);
    return result('qmail', addressBlocks(report, /^<([^>\s]+)>:\s*$/), original);
  }
  if (/^Mail delivery failed/i.test(subject) || /could not be delivered to one or more of its recipients/i.test(body)) {
    const { report, original } = split(body, /^-+ This is a copy of the message, including all the headers\. -+\s*$/m);
    return result('exim', addressBlocks(report, /^\s+(\S+@\S+)\s*$/), original);
  }
  if (/Delivery Status Notification \(Failure\)|Undeliverable|Undelivered Mail Returned to Sender/i.test(subject)) {
    const { report, original } = split(body, /^-+ ?(?:Original message|Forwarded message) ?-+\s*$/im);
    return result('dsn-text', addressBlocks(report, /^\s*<?([^\s<>]+@[^\s<>]+?)>?:?\s*$/), original);
  }
  return undefined;
}
