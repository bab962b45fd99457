/**
 * Bodies stored as zstd (body-compression zstd on the listeners) go out byte for byte, alongside
 * deflate and raw ones written before the switch or by listeners not yet switched. Real Redis, a real
 * SMTP receiver.
 */
import { randomBytes } from 'node:crypto';
import type { BodyCompression, MessageStore } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryTestbeds } from '../testing/delivery-testbed.js';
import { mta1ConfigText } from '../testing/mta1-config.js';

const HOST = '127.0.0.10';

/** A message of about `bytes`: HTML-ish text, then a base64 attachment (ASCII: the receiver's text is the bytes). */
function body(n: number, bytes: number): Buffer {
  const text = `<p>Offer ${n}: the weekly letter, with links and prices.</p>\r\n`.repeat(Math.ceil(bytes / 120));
  const b64 = randomBytes(Math.ceil(bytes / 3)).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(`Subject: body ${n}\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n${text}\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b--\r\n`);
}

describe('zstd bodies in delivery', () => {
  const testbed = deliveryTestbeds(afterEach);

  it('delivers zstd, deflate and raw bodies of 3 bytes to 600 KB, mixed in one queue, byte for byte', async () => {
    const bed = await testbed();
    const { redis } = bed;
    const writer = (bodyCompression: BodyCompression) => bed.openStore({ bodyCompression });
    const zstd = writer('zstd');
    const deflate = writer('deflate');
    const none = writer('none');
    const receiver = await bed.receiver({ host: HOST, startTls: false });
    const sent = new Map<string, { body: Buffer; enc: string }>();
    const cases: [MessageStore, number, string][] = [
      [zstd, 5 * 1024, 'zstd'],
      [deflate, 5 * 1024, 'deflate'],
      [zstd, 50 * 1024, 'zstd'],
      [deflate, 50 * 1024, 'deflate'],
      [zstd, 600 * 1024, 'zstd'], // off the event loop
      [deflate, 600 * 1024, 'deflate'],
      [none, 50 * 1024, 'raw'],
    ];
    for (const [i, [store, bytes, enc]] of cases.entries()) {
      const b = body(i, bytes);
      const { id } = await store.enqueue(testMessage(`r${i}@mixed.example`, { mailFrom: 's@example.org', body: b }));
      sent.set(`r${i}@mixed.example`, { body: b, enc });
      expect(await redis.hget(zstd.keys.messageMeta(id), 'enc')).toBe(enc);
    }
    // SMTP ends the data with CRLF: the smallest body that goes out as it is stored.
    const tiny = Buffer.from('x\r\n');
    await zstd.enqueue(testMessage('tiny@mixed.example', { mailFrom: 's@example.org', body: tiny }));
    sent.set('tiny@mixed.example', { body: tiny, enc: 'raw' });

    const text = mta1ConfigText({ domain: [`  smtp-hosts [${HOST}]:${receiver.port}`] });
    await bed.deliver(text, { concurrency: 2 });
    await expect.poll(() => receiver.messages.length, { timeout: 30_000 }).toBe(sent.size);
    for (const m of receiver.messages) {
      const expected = sent.get(m.to[0]!)!.body;
      const got = Buffer.from(m.body, 'utf8');
      expect(got.length).toBe(expected.length);
      expect(got.equals(expected)).toBe(true);
    }
  });
});
