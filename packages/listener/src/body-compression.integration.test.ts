/**
 * body-compression: the listener stores what the file says (the meta's `enc`; zstd by default, and
 * only while every delivery process alive in the process list says it reads zstd), a reload applies
 * to the next message, and whatever was written reads back as the bytes received (after the
 * Message-ID the listener adds). Real Redis, real SMTP, real process-list records.
 */
import { loadConfigText } from '@vmta/config';
import { createRedis, READABLE_BODY_ENCODINGS, registerProcess } from '@vmta/queue';
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
  const deregister: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await t?.close();
    for (const d of deregister.splice(0)) await d().catch(() => undefined);
    await r?.cleanup();
  });

  /** A delivery process in the process list: this version's (reads zstd) or an older one's record (says nothing). */
  const delivery = async (reads: boolean) => {
    const redis = createRedis(r!.url, 'cli');
    const p = await registerProcess(redis, { role: 'delivery', vmtas: [], listeners: [], ...(reads ? { bodyEncodings: [...READABLE_BODY_ENCODINGS] } : {}) }, { prefix: r!.prefix.replace(/:$/, '') });
    deregister.push(async () => {
      await p.deregister();
      redis.disconnect();
    });
  };

  it('writes zstd by default and when told, deflate after a reload that says so, and both read back as received', async () => {
    r = await getTestRedis();
    await delivery(true);
    t = await startTestListener(r, `${BASE}body-compression zstd\n`);
    const redis = createRedis(r.url, 'cli');
    const enc = async (id: string) => redis.hget(t!.store.keys.messageMeta(id), 'enc');
    const first = await send(t, 1);
    expect(await enc(first)).toBe('zstd');
    await t.listener.reload(loadConfigText(`${BASE}body-compression deflate\n`));
    const second = await send(t, 2);
    expect(await enc(second)).toBe('deflate');
    await t.listener.reload(loadConfigText(BASE));
    const third = await send(t, 3);
    expect(await enc(third)).toBe('zstd');
    for (const [id, n] of [[first, 1], [second, 2], [third, 3]] as const) expect((await t.store.get(id))?.body.toString().endsWith(body(n))).toBe(true);
    redis.disconnect();
  });

  it('writes deflate instead of zstd while a delivery process that does not say it reads zstd is alive, or none is', async () => {
    r = await getTestRedis();
    t = await startTestListener(r, BASE);
    const redis = createRedis(r.url, 'cli');
    const enc = async (id: string) => redis.hget(t!.store.keys.messageMeta(id), 'enc');
    expect(await enc(await send(t, 1))).toBe('deflate');
    await t.close();
    t = undefined;
    await delivery(true);
    await delivery(false);
    t = await startTestListener(r, `${BASE}body-compression zstd\n`);
    const id = await send(t, 2);
    expect(await enc(id)).toBe('deflate');
    expect((await t.store.get(id))?.body.toString().endsWith(body(2))).toBe(true);
    redis.disconnect();
  });
});
