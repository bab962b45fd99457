/**
 * body-compression: the listener stores what the file says (the meta's `enc`), a reload applies to the
 * next message, and whatever was written reads back as the bytes received (after the Message-ID the
 * listener adds). Real Redis, real SMTP.
 */
import { loadConfigText } from '@vmta/config';
import { createRedis } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { queueIdOf, RawSmtp, sendRaw, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

const BASE = 'smtp-listener 127.0.0.1:0\nrelay-domain dest.example\n<source 0/0>\n  add-received-header no\n</source>\n';
const body = (n: number) => `Subject: m${n}\r\n\r\n${`line ${n} of a message that compresses well\r\n`.repeat(200)}`;

async function send(t: TestListener, n: number): Promise<string> {
  const c = await RawSmtp.connect(t.port(), t.host());
  await c.read();
  await c.command('EHLO client.example');
  const reply = await sendRaw(c, 's@client.example', ['r@dest.example'], `${body(n)}.\r\n`);
  c.close();
  expect(reply.text).toMatch(/^250 2\.0\.0 OK queued as /);
  return queueIdOf(reply)!;
}

describe('the listener stores bodies as body-compression says', () => {
  let r: TestRedis | undefined;
  let t: TestListener | undefined;
  afterEach(async () => {
    await t?.close();
    await r?.cleanup();
  });

  it('writes zstd when told, deflate after a reload to the default, and both read back as received', async () => {
    r = await getTestRedis();
    t = await startTestListener(r, `${BASE}body-compression zstd\n`);
    const redis = createRedis(r.url, 'cli');
    const enc = async (id: string) => redis.hget(t!.store.keys.messageMeta(id), 'enc');
    const first = await send(t, 1);
    expect(await enc(first)).toBe('zstd');
    await t.listener.reload(loadConfigText(BASE));
    const second = await send(t, 2);
    expect(await enc(second)).toBe('deflate');
    for (const [id, n] of [[first, 1], [second, 2]] as const) expect((await t.store.get(id))?.body.toString().endsWith(body(n))).toBe(true);
    redis.disconnect();
  });
});
