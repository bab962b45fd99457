/**
 * Events end to end over real SMTP and HTTP: alice sends one message to three recipients; the
 * destination accepts one, refuses one with 550 5.1.1 (a bounce, then auto-suppression) and defers
 * one. The platform's webhook fails every event twice (500, then no answer) before taking it: it
 * still gets the deliveries (the DSN's too), the bounce and the suppression exactly once each (by
 * event id), signed, and not the deferral (not among its event types).
 */
import { loadConfigText } from '@vmta/config';
import { startDelivery, startWebhooks } from '@vmta/delivery';
import { startReceiver, startWebhookReceiver } from '@vmta/delivery/testing';
import { b64, RawSmtp, sendRaw, startTestListener } from '@vmta/listener/testing';
import { createRedis, Keys } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';

describe('webhook events of real deliveries', () => {
  it('each delivery, bounce and suppression event arrives once even when the endpoint fails twice first', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const replies: Record<string, [number, string]> = {
      'gone@far.example': [550, '5.1.1 <gone@far.example>: user unknown'],
      'full@far.example': [452, '4.2.2 mailbox full'],
    };
    const smtp = await startReceiver({ host: '127.0.0.41', startTls: false, rcptReply: (a) => replies[a.toLowerCase()] });
    const hook = await startWebhookReceiver({ host: '127.0.0.44', secret: 'k3y', answer: (_id, attempt) => (attempt === 1 ? 500 : attempt === 2 ? 'hang' : 200) });
    const text = [
      'host-name mx.events.example',
      'smtp-listener 127.0.0.43:0',
      '<smtp-user alice>',
      '  password a1',
      '</smtp-user>',
      '<source 0/0>',
      '  require-auth yes',
      '  allow-unencrypted-plain-auth yes',
      '  default-virtual-mta mta1',
      '</source>',
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.42 mta1.events.example',
      '</virtual-mta>',
      '<domain *>',
      `  smtp-hosts [127.0.0.41]:${smtp.port}`,
      '  retry-after 1h',
      '</domain>',
      '<webhook platform>',
      `  url ${hook.url}`,
      '  secret k3y',
      '</webhook>',
    ].join('\n');
    const prefix = t.prefix.slice(0, -1);
    const config = loadConfigText(text);
    const webhooks = await startWebhooks({ config, redisUrl: t.url, prefix, blockMs: 100, timing: { timeoutMs: 1000, retryInitialMs: 50, retryMaxMs: 200 } });
    const redis = createRedis(t.url, 'cli');
    const key = new Keys(prefix).accounting();
    await expect.poll(() => redis.exists(key)).toBe(1); // the webhook's group exists: events from now on
    const listener = await startTestListener(t, text);
    const delivery = await startDelivery({ config, redisUrl: t.url, prefix, concurrency: 4 });
    try {
      const c = await RawSmtp.connect(listener.port(), listener.host());
      await c.read();
      await c.command('EHLO client.example');
      expect((await c.command(`AUTH PLAIN ${b64('\0alice\0a1')}`)).code).toBe(235);
      const body = 'Subject: hello\r\nFrom: sender@client.example\r\n\r\nhello\r\n.\r\n';
      expect((await sendRaw(c, 'sender@client.example', ['ok@far.example', 'gone@far.example', 'full@far.example'], body)).code).toBe(250);
      c.close();

      const once = () => [...new Map(hook.accepted.map((a) => [a.id, a])).values()]; // deduped by id, as a receiver does
      await expect.poll(() => once().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
      await new Promise((r) => setTimeout(r, 500)); // room for a wrong extra POST to show
      // A repeat (a 2xx that came after the timeout on a loaded machine) carries the same id and body.
      for (const a of hook.accepted) expect(a.body).toEqual(once().find((o) => o.id === a.id)?.body);
      const got = once().map((a) => ({ type: a.body.type, recipient: a.body.recipient, signed: a.signatureOk, sameId: a.id === a.body.id })).sort((a, b) => a.type.localeCompare(b.type));
      expect(got).toEqual([
        { type: 'b', recipient: 'gone@far.example', signed: true, sameId: true },
        { type: 'd', recipient: 'ok@far.example', signed: true, sameId: true },
        // The DSN of the bounce, delivered to the sender by the same destination.
        { type: 'd', recipient: 'sender@client.example', signed: true, sameId: true },
        { type: 's', recipient: 'gone@far.example', signed: true, sameId: true },
      ]);
      expect(hook.attempts.size).toBe(4);
      expect([...hook.attempts.values()].every((n) => n >= 3)).toBe(true); // each failed twice first
      const byType = new Map(once().filter((a) => a.body.recipient !== 'sender@client.example').map((a) => [a.body.type, a.body]));
      expect(byType.get('b')).toMatchObject({ sender: 'sender@client.example', queue: 'far.example/mta1', vmta: 'mta1', bounceCat: 'bad-mailbox', dsnStatus: '5.1.1' });
      expect(byType.get('d')?.msgId).toBe(byType.get('b')?.msgId);
      expect(byType.get('s')).toMatchObject({ tenant: 'user:alice', reason: 'bad-mailbox', queue: 'far.example/mta1' });
    } finally {
      redis.disconnect();
      await delivery.close();
      await listener.close();
      await webhooks.close();
      await smtp.close();
      await hook.close();
    }
  });
});
