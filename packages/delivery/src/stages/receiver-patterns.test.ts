/**
 * The shipped rule file config/receivers.patterns.conf: it loads without a warning, and the big
 * receivers' documented throttling and block replies put a queue into backoff, while ordinary
 * replies (unknown user, mailbox full, success) match no rule.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConfigFile, loadConfigFile, replyPatternsOf } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { classifyReply, type SmtpReply } from './classify-reply.js';

const ruleFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../config/receivers.patterns.conf');
const dir = mkdtempSync(path.join(tmpdir(), 'vmta-receivers-'));
const conf = path.join(dir, 'vmta.conf');
writeFileSync(conf, `include ${ruleFile}\n<domain *>\n  smtp-pattern-list receivers\n</domain>\n`);

describe('config/receivers.patterns.conf', () => {
  it('loads without errors or warnings', () => {
    const result = checkConfigFile(conf);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  const patterns = replyPatternsOf(loadConfigFile(conf), 'receivers');
  const reply = (code: number, text: string, phase: SmtpReply['phase'] = 'rcpt'): SmtpReply => ({ code, text, phase });

  it.each<[string, SmtpReply, boolean]>([
    ['Yahoo TSS04 deferral', reply(421, '4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1', 'greeting'), true],
    ['Yahoo TS03 (older reply)', reply(421, '4.7.0 [TS03] All messages from 192.0.2.1 will be permanently deferred'), true],
    ['Yahoo TSS09 block', reply(554, '5.7.9 Message not accepted for policy reasons. [TSS09]'), true],
    ['Outlook 4.7.650 IP reputation limit', reply(451, '4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP reputation.'), true],
    ['Outlook S3150 block list', reply(550, "5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)."), true],
    ['Outlook concurrent connections', reply(421, '4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel', 'greeting'), true],
    ['Gmail 4.7.28 rate limit', reply(421, '4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address.', 'dot'), true],
    ['Gmail try again later', reply(421, '4.7.0 Try again later, closing connection.', 'mail'), true],
    ['Proofpoint reputation block', reply(554, '5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1', 'greeting'), true],
    ['Mimecast throttling', reply(451, '4.3.2 Throttling failure: Daily message quota exceeded', 'rcpt'), true],
    ['unknown user', reply(550, '5.1.1 The email account that you tried to reach does not exist.'), false],
    ['mailbox full', reply(452, '4.2.2 The email account that you tried to reach is over quota.'), false],
    ['a Gmail per-user rate (not the sending IP)', reply(450, '4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.'), false],
    ['success', reply(250, '2.0.0 OK 1700000000 queued', 'dot'), false],
  ])('%s → backoff %s', (_name, r, backoff) => {
    const c = classifyReply(r, patterns);
    if (backoff) {
      expect(c.patternActions).toEqual([{ action: 'mode', value: 'backoff' }]);
      expect(c.patternRule).toMatch(/receivers\.patterns\.conf:\d+$/);
    } else {
      expect(c.patternActions).toBeUndefined();
    }
  });
});
