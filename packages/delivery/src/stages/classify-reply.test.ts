import { describe, expect, it } from 'vitest';
import { loadConfigText } from '@vmta/config';
import { classifyReply, normalizeReplyText, type SmtpReply } from './classify-reply.js';
import type { SmtpPhase } from './reply-rules.js';

type Row = [string, SmtpPhase, number, string, string, string];

/** Real-looking replies from big receivers: phase, code, full reply text, action, category. */
const rows: Row[] = [
  ['Gmail unknown user', 'rcpt', 550, "550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient's email address for typos or\r\n550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser a1si123 - gsmtp", 'bounced', 'bad-mailbox'],
  ['Gmail over quota', 'rcpt', 452, "452-4.2.2 The recipient's inbox is out of storage space. Please direct the\r\n452 4.2.2 recipient to https://support.google.com/mail/?p=OverQuotaTemp b2si456 - gsmtp", 'deferred', 'quota-issues'],
  ['Gmail try again later', 'mail', 421, '421-4.7.0 Try again later, closing connection. (MAIL) c3si789 - gsmtp', 'deferred', 'policy-related'],
  ['Gmail rate limited', 'dot', 421, '421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. d4si - gsmtp', 'deferred', 'spam-related'],
  ['Gmail spam', 'dot', 550, '550-5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. https://support.google.com/mail/?p=UnsolicitedMessageError e5si - gsmtp', 'bounced', 'spam-related'],
  ['Gmail unauthenticated', 'dot', 550, '550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. f6si - gsmtp', 'bounced', 'policy-related'],
  ['Gmail disabled account', 'rcpt', 550, "550-5.2.1 The email account that you tried to reach is disabled. g7si - gsmtp", 'bounced', 'inactive-mailbox'],
  ['Microsoft banned IP', 'rcpt', 550, '550 5.7.606 Access denied, banned sending IP [127.0.0.9]. To request removal from this list please visit https://sender.office.com/ and follow the directions. AS(1430)', 'bounced', 'spam-related'],
  ['Microsoft banned IP, code only', 'rcpt', 550, '550 5.7.611 Access denied (AS1430)', 'bounced', 'spam-related'],
  ['Outlook block list S3150', 'mail', 550, "550 5.7.1 Unfortunately, messages from [127.0.0.9] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", 'bounced', 'spam-related'],
  ['Outlook mailbox unavailable', 'rcpt', 550, '550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [AM0PR0.eurprd0.prod.outlook.com]', 'bounced', 'bad-mailbox'],
  ['Exchange Online directory block', 'rcpt', 550, '550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors', 'bounced', 'bad-mailbox'],
  ['Microsoft server busy', 'mail', 451, '451 4.7.500 Server busy. Please try again later from [127.0.0.9]. (S77719)', 'deferred', 'policy-related'],
  ['Yahoo TSS04', 'mail', 421, '421 4.7.0 [TSS04] Messages from 127.0.0.9 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes', 'deferred', 'policy-related'],
  ['Yahoo no such account', 'rcpt', 554, "554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0] - mta1.mail.ne1.yahoo.com", 'bounced', 'bad-mailbox'],
  ['Yahoo mailbox not found', 'rcpt', 552, '552 1 Requested mail action aborted, mailbox not found', 'bounced', 'bad-mailbox'],
  ['Yahoo policy', 'dot', 554, '554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes', 'bounced', 'policy-related'],
  ['Spamhaus listing', 'rcpt', 554, '554 5.7.1 Service unavailable; Client host [127.0.0.9] blocked using zen.spamhaus.org', 'bounced', 'spam-related'],
  ['Comcast DNSBL', 'greeting', 554, '554 resimta-po-01v.sys.comcast.net comcast 127.0.0.9 found on one or more DNSBLs', 'bounced', 'spam-related'],
  ['Postfix user unknown', 'rcpt', 550, '550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in virtual mailbox table', 'bounced', 'bad-mailbox'],
  ['Postfix relay denied', 'rcpt', 554, '554 5.7.1 <x@other.test>: Relay access denied', 'bounced', 'relaying-issues'],
  ['Postfix sender domain', 'mail', 553, '553 5.1.8 <bounce@nx.test>: Sender address rejected: Domain not found', 'bounced', 'invalid-sender'],
  ['message too big', 'dot', 552, '552 5.3.4 Message size exceeds fixed maximum message size', 'bounced', 'content-related'],
  ['mailbox full', 'rcpt', 552, '552 5.2.2 Mailbox full', 'bounced', 'quota-issues'],
  ['virus found', 'dot', 554, '554 5.7.1 Message rejected: virus found (Eicar-Test-Signature)', 'bounced', 'virus-related'],
  ['greylisting', 'rcpt', 450, '450 4.2.0 <x@example.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/', 'deferred', 'policy-related'],
  ['STARTTLS required', 'mail', 530, '530 5.7.0 Must issue a STARTTLS command first', 'bounced', 'protocol-errors'],
  ['mail loop', 'dot', 554, '554 5.4.6 Too many hops', 'bounced', 'bad-configuration'],
  ['connection refused', 'connect', 0, 'connect ECONNREFUSED 127.0.0.9:25', 'deferred', 'bad-connection'],
  ['connection timeout', 'connect', 0, 'Connection timeout', 'deferred', 'no-answer-from-host'],
  ['421 at greeting', 'greeting', 421, '421 mx.example.test Service not available, closing transmission channel', 'deferred', 'bad-connection'],
  ['EHLO rejected', 'ehlo', 502, '502 5.5.2 Error: command not recognized', 'bounced', 'protocol-errors'],
  ['unexplained 550', 'rcpt', 550, '550 Administrative prohibition', 'bounced', 'other'],
  ['accepted', 'rcpt', 250, '250 2.1.5 Ok', 'delivered', 'other'],
  ['queued', 'dot', 250, '250 2.0.0 OK  1700000000 h8si - gsmtp', 'delivered', 'other'],
  ['354 after DATA', 'data', 354, '354 End data with <CR><LF>.<CR><LF>', 'delivered', 'other'],
  ['3xx to RCPT', 'rcpt', 354, '354 what?', 'deferred', 'protocol-errors'],
];

describe('classifyReply', () => {
  const cases = rows.map(([name, phase, code, text, action, category]) => [name, action, category, phase, code, text] as const);
  it.each(cases)('classifies "%s" as %s, %s', (_name, action, category, phase, code, text) => {
    expect(classifyReply({ code, text, phase })).toMatchObject({ action, category });
  });

  it('takes the enhanced code given over the one in the text', () => {
    expect(classifyReply({ code: 550, enhancedCode: '5.2.2', text: 'rejected', phase: 'rcpt' })).toMatchObject({ category: 'quota-issues' });
  });

  it('lets the basic code decide the action when the enhanced code disagrees', () => {
    expect(classifyReply({ code: 450, text: '5.1.1 user unknown', phase: 'rcpt' })).toMatchObject({ action: 'deferred', category: 'bad-mailbox' });
  });

  it('says which rule decided', () => {
    expect(classifyReply({ code: 550, text: '5.1.1 nope', phase: 'rcpt' }).rule).toBe('x.1.bad-mailbox');
  });
});

describe('classifyReply with an smtp-pattern-list', () => {
  const config = loadConfigText(
    [
      '<smtp-pattern-list common>',
      '  reply /^421 .*\\[TSS04\\]/ mode=backoff',
      '  reply /^4\\d\\d 4\\.2\\.2 / bounce-rcpt',
      '  reply /Yahoo|TSS/ skip-mx',
      '</smtp-pattern-list>',
    ].join('\n'),
  );
  const patterns = config.patternLists['common']?.settings.reply ?? [];
  const reply = (code: number, text: string): SmtpReply => ({ code, text, phase: 'rcpt' });

  it('returns the actions of the first matching pattern, matched against "code enhanced text"', () => {
    expect(classifyReply(reply(421, '421 4.7.0 [TSS04] Messages from 127.0.0.9 temporarily deferred'), patterns)).toMatchObject({
      action: 'deferred',
      patternActions: [{ action: 'mode', value: 'backoff' }],
    });
    expect(classifyReply(reply(452, "452-4.2.2 The recipient's inbox is out of storage space.\r\n452 4.2.2 more"), patterns).patternActions).toEqual([
      { action: 'bounce-rcpt' },
    ]);
  });

  it('leaves patternActions out when no pattern matches', () => {
    expect(classifyReply(reply(550, '5.1.1 unknown'), patterns)).not.toHaveProperty('patternActions');
  });
});

describe('normalizeReplyText', () => {
  it('drops the codes of every line and joins the lines', () => {
    expect(normalizeReplyText('550-5.1.1 first\r\n550-5.1.1 second\r\n550 5.1.1 third')).toEqual({ text: 'first second third', enhancedCode: '5.1.1' });
    expect(normalizeReplyText('Mailbox full')).toEqual({ text: 'Mailbox full' });
  });
});

describe('classifyReply with <bounce-category-patterns>', () => {
  const categories = [
    { regex: { source: 'listed at our private list', flags: 'i' as const }, category: 'content-related' as const, rule: 'vmta.conf:2' },
    { regex: { source: '^550 5\\.1\\.1', flags: 'i' as const }, category: 'inactive-mailbox' as const, rule: 'vmta.conf:3' },
  ];
  const at = (code: number, text: string) => ({ code, text, phase: 'rcpt' as SmtpPhase });

  it.each([
    // reply, category, rule
    [at(550, '5.7.1 listed at our private list'), 'content-related', 'vmta.conf:2'],
    [at(550, '5.1.1 user unknown'), 'inactive-mailbox', 'vmta.conf:3'],
    [at(451, '4.7.1 listed at our private list, later'), 'content-related', 'vmta.conf:2'],
    // no line matches: the built-in rules
    [at(552, '5.2.2 mailbox full'), 'quota-issues', 'quota'],
  ])('%o → %s (%s)', (r, category, rule) => {
    expect(classifyReply(r, undefined, categories)).toMatchObject({ category, rule });
  });

  it('leaves the action to the code and a delivery uncategorised', () => {
    expect(classifyReply(at(451, '4.7.1 listed at our private list'), undefined, categories).action).toBe('deferred');
    expect(classifyReply(at(250, '2.0.0 listed at our private list'), undefined, categories)).toMatchObject({ action: 'delivered', category: 'other' });
  });
});
