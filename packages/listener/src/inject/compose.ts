/**
 * The messages of a JSON injection, built by nodemailer's MailComposer: recipients without
 * `substitutions` share one message (To: all of them), each recipient with `substitutions` gets a
 * message of its own with `{{key}}` replaced in subject, text and html. `vmta` and `job` become the
 * X-Virtual-MTA and X-Job headers, which the source's policy then honours as for SMTP mail.
 */
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { substitute, type InjectRecipient, type InjectRequest } from './inject-request.js';

export interface ComposedMessage {
  recipients: InjectRecipient[];
  message: Buffer;
}

/** Which recipients share a message: the plain ones together (first), then one group per substituted recipient. */
export function recipientGroups(recipients: readonly InjectRecipient[]): InjectRecipient[][] {
  const plain = recipients.filter((r) => r.substitutions === undefined);
  return [...(plain.length > 0 ? [plain] : []), ...recipients.filter((r) => r.substitutions !== undefined).map((r) => [r])];
}

/** Line ends as CRLF: MailComposer keeps a 7bit text's own line ends, and a bare LF is refused like over SMTP. */
const crlf = (text: string): string => text.replace(/\r\n|\r|\n/g, '\r\n');

function mailOptions(request: InjectRequest, group: readonly InjectRecipient[], maxBytes: number): Mail.Options {
  const values = group.length === 1 ? group[0]!.substitutions : undefined;
  const fill = (field: 'subject' | 'text' | 'html', template: string) => substitute(template, values, maxBytes, field);
  const headers: Record<string, string> = { ...request.headers };
  if (request.vmta !== undefined) headers['X-Virtual-MTA'] = request.vmta;
  if (request.job !== undefined) headers['X-Job'] = request.job;
  const hasFrom = Object.keys(headers).some((h) => h.toLowerCase() === 'from');
  return {
    ...(hasFrom || request.from === '' ? {} : { from: request.fromName !== undefined ? { name: request.fromName, address: request.from } : request.from }),
    to: group.map((r) => (r.name !== undefined ? { name: r.name, address: r.email } : r.email)),
    ...(request.subject !== undefined ? { subject: fill('subject', request.subject) } : {}),
    ...(request.text !== undefined ? { text: crlf(fill('text', request.text)) } : {}),
    ...(request.html !== undefined ? { html: crlf(fill('html', request.html)) } : {}),
    headers,
    attachments: (request.attachments ?? []).map((a) => ({
      filename: a.filename,
      content: Buffer.from(a.content, 'base64'),
      ...(a.contentType !== undefined ? { contentType: a.contentType } : {}),
    })),
  };
}

/**
 * The messages one at a time, each built when the last one has been taken: a request with many
 * substituted recipients holds one message in memory, not all of them (60 recipients of a 5 MB text
 * held 530 MB). `maxBytes`: the source's max-message-size (substitutions beyond it are refused, 413).
 */
export async function* composeMessages(request: InjectRequest, maxBytes = Number.POSITIVE_INFINITY): AsyncGenerator<ComposedMessage, void, undefined> {
  for (const group of recipientGroups(request.recipients)) {
    const message = await new MailComposer(mailOptions(request, group, maxBytes)).compile().build();
    yield { recipients: group, message };
  }
}
