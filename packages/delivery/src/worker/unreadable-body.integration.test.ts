/**
 * A body this process cannot read (stored in an encoding a newer version wrote, or deflated or zstd
 * bytes that do not decompress) is never sent as the bytes stored: its recipients are deferred (451 4.3.0)
 * and the rest of its batch is delivered. Real Redis, a real SMTP receiver.
 */
import { testMessage } from '@vmta/queue/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryTestbeds } from '../testing/delivery-testbed.js';
import { mta1ConfigText } from '../testing/mta1-config.js';

const HOST = '127.0.0.10';

describe('a message body this version cannot read', () => {
  const testbed = deliveryTestbeds(afterEach);

  it.each([
    ['an unknown encoding (brotli, from a newer version)', { enc: 'brotli' }, /"brotli", an encoding this version cannot read/],
    ['deflate bytes that do not inflate', { enc: 'deflate' }, /does not inflate/],
    ['zstd bytes that do not decompress', { enc: 'zstd' }, /zstd body does not decompress/],
  ])('is deferred with 451 4.3.0, never sent, while the rest of the batch goes: %s', async (_name, meta, reason) => {
    const bed = await testbed();
    const { store, redis } = bed;
    const receiver = await bed.receiver({ host: HOST, startTls: false });
    const body = (n: number) => Buffer.from(`Subject: body ${n}\r\n\r\n${'readable text '.repeat(20)}\r\n`);
    const bad = await store.enqueue(testMessage('a@unreadable.example', { mailFrom: '', body: body(1) }));
    const good = await store.enqueue(testMessage('b@unreadable.example', { mailFrom: '', body: body(2) }));
    // What a newer version (or a damaged store) left: the meta names an encoding, the bytes are not it.
    await redis.hset(store.keys.messageMeta(bad.id), meta);
    await redis.set(store.keys.messageBody(bad.id), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x28, 0xb5, 0x2f, 0xfd]));
    // Something reads the accounting stream (accounting: true): deferrals are recorded.
    const text = mta1ConfigText({ accounting: true, domain: [`  smtp-hosts [${HOST}]:${receiver.port}`, '  retry-after 1h', '  retry-recipients-after 1h'] });
    await bed.deliver(text, { concurrency: 2 });
    await expect.poll(async () => (await store.get(good.id)) === undefined, { timeout: 20_000 }).toBe(true);
    await expect.poll(async () => (await store.get(bad.id))?.recipients[0]?.attempts ?? 0, { timeout: 20_000 }).toBe(1);
    const stored = (await store.get(bad.id))!;
    expect(stored.recipients[0]?.state).toBe('queued');
    expect(stored.unreadable).toMatch(reason);
    expect(receiver.messages.map((m) => m.to)).toEqual([['b@unreadable.example']]);
    const deferrals = (await redis.xrange(store.keys.accounting(), '-', '+')).map(([, f]) => f.join(' ')).filter((r) => r.startsWith('type t '));
    expect(deferrals).toHaveLength(1);
    expect(deferrals[0]).toMatch(/4\.3\.0/);
    expect(deferrals[0]).toMatch(/unreadable/);
  });
});
