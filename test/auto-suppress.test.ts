/**
 * Automatic suppression end to end over real SMTP: alice sends to three recipients, the destination's
 * server refuses one with 550 5.1.1 (a hard bounce, bad-mailbox), one with 550 5.7.1 (a hard bounce,
 * spam-related: not a suppressing category) and defers one with 452 4.2.2 (a soft bounce). The next
 * RCPT of alice to the bad mailbox is refused at our listener (550 5.7.1, suppressed); bob, another
 * tenant, may still send to it; the other two recipients stay sendable for alice.
 */
import { loadConfigText } from '@vmta/config';
import { startDelivery } from '@vmta/delivery';
import { startReceiver } from '@vmta/delivery/testing';
import { b64, RawSmtp, sendRaw, startTestListener } from '@vmta/listener/testing';
import { createRedis, SuppressionStore } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';

const PASSWORDS: Record<string, string> = { alice: 'a1', bob: 'b2' };

describe('automatic suppression after a hard bounce', () => {
  it('refuses the bounced address for the tenant that sent it, and for that tenant only', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const replies: Record<string, [number, string]> = {
      'gone@far.example': [550, '5.1.1 <gone@far.example>: user unknown'],
      'spam@far.example': [550, '5.7.1 message rejected as spam'],
      'full@far.example': [452, '4.2.2 mailbox full'],
    };
    const receiver = await startReceiver({ host: '127.0.0.31', startTls: false, rcptReply: (a) => replies[a.toLowerCase()] });
    const text = [
      'host-name mx.supp.example',
      'smtp-listener 127.0.0.33:0',
      'auto-suppress-expire bad-mailbox 30d',
      '<smtp-user alice>',
      '  password a1',
      '</smtp-user>',
      '<smtp-user bob>',
      '  password b2',
      '</smtp-user>',
      '<source 0/0>',
      '  require-auth yes',
      '  allow-unencrypted-plain-auth yes',
      '  default-virtual-mta mta1',
      '</source>',
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.32 mta1.supp.example',
      '</virtual-mta>',
      '<domain *>',
      `  smtp-hosts [127.0.0.31]:${receiver.port}`,
      '  retry-after 1h',
      '</domain>',
    ].join('\n');
    const prefix = t.prefix.slice(0, -1);
    const listener = await startTestListener(t, text);
    const delivery = await startDelivery({ config: loadConfigText(text), redisUrl: t.url, prefix, concurrency: 4 });
    const redis = createRedis(t.url, 'cli');
    const store = new SuppressionStore(redis, prefix);
    const session = async (user: string): Promise<RawSmtp> => {
      const c = await RawSmtp.connect(listener.port(), listener.host());
      await c.read();
      await c.command('EHLO client.example');
      expect((await c.command(`AUTH PLAIN ${b64(`\0${user}\0${PASSWORDS[user]}`)}`)).code).toBe(235);
      return c;
    };
    const rcptAs = async (user: string, address: string): Promise<string> => {
      const c = await session(user);
      expect((await c.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
      const r = await c.command(`RCPT TO:<${address}>`);
      c.close();
      return r.text;
    };
    try {
      expect(await rcptAs('alice', 'gone@far.example')).toMatch(/^250 /);
      const c = await session('alice');
      const body = 'Subject: hello\r\nFrom: sender@client.example\r\n\r\nhello\r\n.\r\n';
      expect((await sendRaw(c, 'sender@client.example', ['gone@far.example', 'spam@far.example', 'full@far.example'], body)).code).toBe(250);
      c.close();

      await expect.poll(() => store.lookup('user:alice', 'gone@far.example'), { timeout: 30_000 }).toBeDefined();
      const entry = (await store.lookup('user:alice', 'gone@far.example'))!;
      expect(entry).toMatchObject({ reason: 'bad-mailbox', queue: 'far.example/mta1' });
      expect(entry.reply).toContain('5.1.1');
      expect(entry.expiresMs - entry.addedMs).toBe(30 * 86_400_000);

      expect(await rcptAs('alice', 'gone@far.example')).toBe('550 5.7.1 recipient is suppressed (bad-mailbox): <gone@far.example>');
      expect(await rcptAs('bob', 'gone@far.example')).toMatch(/^250 /);
      // The hard bounce of another category and the soft bounce were handled in the same outcome batch.
      expect(await store.lookup('user:alice', 'spam@far.example')).toBeUndefined();
      expect(await store.lookup('user:alice', 'full@far.example')).toBeUndefined();
      expect(await rcptAs('alice', 'spam@far.example')).toMatch(/^250 /);
      expect(await rcptAs('alice', 'full@far.example')).toMatch(/^250 /);
    } finally {
      redis.disconnect();
      await delivery.close();
      await listener.close();
      await receiver.close();
    }
  });
});
