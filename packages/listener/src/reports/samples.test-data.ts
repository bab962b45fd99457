/** Report samples for the processor tests (imported by tests only). */

export const OUR_HOST = 'mx.test.example';

/** The original as we sent it: our Received header names the AUTH user alice and queue id Q1ORIG. */
export function originalHeaders(rcpt: string, opts: { user?: string; job?: string } = {}): string {
  return [
    `Received: from client.example ([127.0.0.1]) by ${OUR_HOST} with ESMTPA${opts.user ? ` (authenticated as ${opts.user})` : ''} id Q1ORIG for <${rcpt}>; Thu, 3 Dec 2026 10:00:00 +0000`,
    'Return-Path: <news@sender.example>',
    'From: News <news@sender.example>',
    `To: ${rcpt}`,
    'Subject: Our offers',
    ...(opts.job ? [`X-Job: ${opts.job}`] : []),
    'X-Campaign: spring-2026',
    'Message-ID: <Q1ORIG@mx.test.example>',
  ].join('\r\n');
}

export function arfReport(rcpt: string, opts: { user?: string; job?: string; withRcptField?: boolean } = {}): string {
  return [
    'From: Feedback Loop <fbl@isp.example>',
    'To: fbl@fbl.ours.example',
    'Subject: FW: Our offers',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="arf"',
    '',
    '--arf',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is an email abuse report for an email message received from IP 192.0.2.1.',
    '',
    '--arf',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: ISP-FBL/1.0',
    'Version: 1',
    'Original-Mail-From: <news@sender.example>',
    ...(opts.withRcptField === false ? [] : [`Original-Rcpt-To: <${rcpt}>`]),
    'Arrival-Date: Thu, 3 Dec 2026 10:00:05 +0000',
    'Reporting-MTA: dns; mail.isp.example',
    'Source-IP: 192.0.2.1',
    'Reported-Domain: sender.example',
    '',
    '--arf',
    'Content-Type: message/rfc822',
    'Content-Disposition: inline',
    '',
    originalHeaders(rcpt, opts),
    '',
    'Hello, buy now.',
    '',
    '--arf--',
    '',
  ].join('\r\n');
}

export function dsnReport(rcpt: string, opts: { user?: string; job?: string; status?: string; diag?: string; action?: string } = {}): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@isp.example>',
    'To: bounces@bounce.ours.example',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"',
    '',
    '--dsn',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '',
    '--dsn',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.isp.example',
    'Original-Envelope-Id: ENV42',
    '',
    `Final-Recipient: rfc822; ${rcpt}`,
    `Action: ${opts.action ?? 'failed'}`,
    `Status: ${opts.status ?? '5.1.1'}`,
    'Remote-MTA: dns; store.isp.example',
    `Diagnostic-Code: smtp; ${opts.diag ?? '550 5.1.1 <' + rcpt + '>: Recipient address rejected: User unknown'}`,
    '',
    'Final-Recipient: rfc822; other@isp.example',
    'Action: delivered',
    'Status: 2.0.0',
    '',
    '--dsn',
    'Content-Type: text/rfc822-headers',
    '',
    originalHeaders(rcpt, opts),
    '',
    '--dsn--',
    '',
  ].join('\r\n');
}

export function qmailBounce(rcpt: string): string {
  return [
    'From: MAILER-DAEMON@old.example',
    'To: bounces@bounce.ours.example',
    'Subject: failure notice',
    '',
    'Hi. This is the qmail-send program at old.example.',
    "I'm afraid I wasn't able to deliver your message to the following addresses.",
    'This is a permanent error; I\'ve given up. Sorry it didn\'t work out.',
    '',
    `<${rcpt}>:`,
    'Sorry, no mailbox here by that name. (#5.1.1)',
    '',
    '--- Below this line is a copy of the message.',
    '',
    originalHeaders(rcpt, { user: 'alice', job: 'job-q' }),
    '',
    'Hello.',
    '',
  ].join('\r\n');
}

export function eximBounce(rcpt: string): string {
  return [
    'From: Mail Delivery System <Mailer-Daemon@exim.example>',
    'To: bounces@bounce.ours.example',
    'Subject: Mail delivery failed: returning message to sender',
    '',
    'This message was created automatically by mail delivery software.',
    '',
    'A message that you sent could not be delivered to one or more of its',
    'recipients. This is a permanent error. The following address(es) failed:',
    '',
    `  ${rcpt}`,
    '    host mx.exim.example [198.51.100.1]',
    '    SMTP error from remote mail server after RCPT TO:<' + rcpt + '>:',
    '    552 5.2.2 Mailbox full',
    '',
    '------ This is a copy of the message, including all the headers. ------',
    '',
    originalHeaders(rcpt),
    '',
  ].join('\r\n');
}

/** `text` as DATA: dot-stuffed, ending CRLF.CRLF. */
export function asData(text: string): string {
  return `${text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..')}\r\n.\r\n`;
}
