/**
 * accept-invalid-recipients yes, end to end over real SMTP: a recipient of a suppression list and
 * one of the tenant's suppression store are accepted at RCPT (250) in the same message as an
 * ordinary recipient. The ordinary one is delivered; the suppressed ones never reach the receiver,
 * each gets a `b` record (policy-related, the reply naming the list or the reason) and the sender a
 * DSN naming them. A source without the directive still refuses the listed recipient at RCPT.
 */
import { loadConfigText } from '@vmta/config';
import { startDelivery } from '@vmta/delivery';
import { startReceiver } from '@vmta/delivery/testing';
import { b64, RawSmtp, sendRaw, startTestListener } from '@vmta/listener/testing';
import { createRedis, Keys, SuppressionStore } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';

const fields = (pairs: string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!;
  return out;
};

describe('accept-invalid-recipients', () => {
  it('accepts suppressed recipients, never delivers them, and bounces them with a b record and a DSN', { timeout: 90_000 }, async () => {
    const t = await getTestRedis();
    const receiver = await startReceiver({ host: '127.0.0.41', startTls: false });
    const text = [
      'host-name mx.aiv.example',
      'postmaster postmaster@aiv.example',
      'event-stream yes',
      'smtp-listener 127.0.0.43:0',
      '<smtp-user alice>',
      '  password a1',
      '</smtp-user>',
      '<address-list blocked>',
      '  address listed@far.example',
      '</address-list>',
      '<source 0/0>',
      '  require-auth yes',
      '  allow-unencrypted-plain-auth yes',
      '  default-virtual-mta mta1',
      '  suppression-lists blocked',
      '  accept-invalid-recipients yes',
      '</source>',
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.42 mta1.aiv.example',
      '</virtual-mta>',
      '<domain *>',
      `  smtp-hosts [127.0.0.41]:${receiver.port}`,
      '  retry-after 1h',
      '</domain>',
    ].join('\n');
    const prefix = t.prefix.slice(0, -1);
    const redis = createRedis(t.url, 'cli');
    await new SuppressionStore(redis, prefix).add('user:alice', [{ address: 'stored@far.example', reason: 'complaint' }]);
    const listener = await startTestListener(t, text);
    const delivery = await startDelivery({ config: loadConfigText(text), redisUrl: t.url, prefix, concurrency: 4 });
    try {
      const c = await RawSmtp.connect(listener.port(), listener.host());
      await c.read();
      await c.command('EHLO client.example');
      expect((await c.command(`AUTH PLAIN ${b64('\0alice\0a1')}`)).code).toBe(235);
      const body = 'Subject: hello\r\nFrom: sender@client.example\r\n\r\nhello\r\n.\r\n';
      const rcpts = ['listed@far.example', 'ok@far.example', 'stored@far.example'];
      expect((await sendRaw(c, 'sender@client.example', rcpts, body)).code).toBe(250);
      c.close();

      const records = async () => (await redis.xrange(new Keys(prefix).accounting(), '-', '+')).map(([, f]) => fields(f));
      await expect.poll(async () => (await records()).filter((r) => r['type'] === 'b').length, { timeout: 45_000 }).toBe(2);
      // The DSN goes to the sender's domain, which the same receiver takes (domain *).
      await expect.poll(() => receiver.messages.filter((m) => m.from === '').length, { timeout: 45_000 }).toBe(1);
      await expect.poll(() => receiver.messages.filter((m) => m.to.includes('ok@far.example')).length, { timeout: 45_000 }).toBe(1);

      const bounces = (await records()).filter((r) => r['type'] === 'b');
      const listed = bounces.find((r) => r['rcpt'] === 'listed@far.example');
      const stored = bounces.find((r) => r['rcpt'] === 'stored@far.example');
      expect(listed).toMatchObject({ bounceCat: 'policy-related', dsnStatus: '5.7.1' });
      expect(listed!['dsnDiag']).toContain('recipient is in suppression list "blocked"');
      expect(stored).toMatchObject({ bounceCat: 'policy-related', dsnStatus: '5.7.1' });
      expect(stored!['dsnDiag']).toContain('recipient is suppressed (complaint)');
      // Delivery writes the d record after the receiver's 250, so it may come a moment after the message.
      await expect.poll(async () => (await records()).filter((r) => r['type'] === 'd').map((r) => r['rcpt']), { timeout: 10_000 }).toContain('ok@far.example');

      const dsn = receiver.messages.find((m) => m.from === '')!;
      expect(dsn.to).toEqual(['sender@client.example']);
      expect(dsn.body).toMatch(/Final-Recipient: rfc822;\s*listed@far\.example/i);
      expect(dsn.body).toMatch(/Final-Recipient: rfc822;\s*stored@far\.example/i);
      expect(dsn.body).not.toMatch(/Final-Recipient: rfc822;\s*ok@far\.example/i);
      // Never delivered: the receiver saw RCPT only for the ordinary recipient and the DSN's.
      const rcptLines = receiver.commands.filter((l) => /^RCPT TO/i.test(l));
      expect(rcptLines.some((l) => /listed@|stored@/i.test(l))).toBe(false);
      expect(receiver.messages.filter((m) => m.to.some((a) => /listed@|stored@/i.test(a)))).toEqual([]);
    } finally {
      redis.disconnect();
      await delivery.close();
      await listener.close();
      await receiver.close();
    }
  });

  it('still refuses a listed recipient at RCPT without the directive', { timeout: 30_000 }, async () => {
    const t = await getTestRedis();
    const text = [
      'host-name mx.aiv.example',
      'smtp-listener 127.0.0.43:0',
      '<address-list blocked>',
      '  address listed@far.example',
      '</address-list>',
      '<source 0/0>',
      '  always-allow-relaying yes',
      '  suppression-lists blocked',
      '</source>',
    ].join('\n');
    const listener = await startTestListener(t, text);
    try {
      const c = await RawSmtp.connect(listener.port(), listener.host());
      await c.read();
      await c.command('EHLO client.example');
      expect((await c.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
      expect((await c.command('RCPT TO:<listed@far.example>')).text).toBe('550 5.7.1 recipient is in suppression list "blocked": <listed@far.example>');
      c.close();
    } finally {
      await listener.close();
    }
  });
});
