/**
 * redis-wait-replicas / redis-wait-timeout: the listener's WAIT before 250 set in the file, on a
 * real Redis with no replica (so a WAIT for 1 replica cannot succeed and the client gets 451),
 * followed by a reload, and overridden by the URL's own wait-replicas.
 */
import { loadConfigText } from '@vmta/config';
import { canStartPrivateRedis, startPrivateRedis, type PrivateRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueIdOf, RawSmtp, sendRaw, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

const BASE = 'smtp-listener 127.0.0.1:0\nrelay-domain dest.example\n';
const WAIT_FOR_ONE = `${BASE}redis-wait-replicas 1\nredis-wait-timeout 1s\n`;
const REFUSED = '451 4.3.0 Temporary local problem, please try again later';

async function send(t: TestListener, n: number) {
  const c = await RawSmtp.connect(t.port(), t.host());
  await c.read();
  await c.command('EHLO client.example');
  const reply = await sendRaw(c, 's@client.example', ['r@dest.example'], `Subject: m${n}\r\n\r\nbody ${n}\r\n.\r\n`);
  c.close();
  return reply;
}

describe.skipIf(!canStartPrivateRedis())('redis-wait-* directives (one Redis, no replica)', () => {
  let redis: PrivateRedis;
  const listeners: TestListener[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    for (const t of listeners) await t.close();
    await redis?.dispose();
  });

  it('redis-wait-replicas 1: the WAIT fails, 451 and nothing queued; a reload to 0 gives 250 on the next message', async () => {
    const t = await startTestListener({ url: redis.url, prefix: 'wd1' }, WAIT_FOR_ONE);
    listeners.push(t);
    const refused = await send(t, 1);
    expect(refused.text).toBe(REFUSED);
    // The held message was discarded: no queue lists it.
    const queued = async () => (await Promise.all((await t.store.queueNames()).map((q) => t.store.queued(q)))).flat();
    expect(await queued()).toEqual([]);

    await t.listener.reload(loadConfigText(`${BASE}redis-wait-replicas 0\n`));
    const accepted = await send(t, 2);
    expect(accepted.text).toMatch(/^250 2\.0\.0 OK queued as /);
    expect(await queued()).toEqual([queueIdOf(accepted)]);
  });

  it("a reload to redis-wait-replicas 1 on a URL with wait-timeout=0 (wait forever) is refused whole: 250 goes on", async () => {
    const t = await startTestListener({ url: `${redis.url}?wait-timeout=0`, prefix: 'wd3' }, BASE);
    listeners.push(t);
    expect((await send(t, 4)).text).toMatch(/^250 2\.0\.0 OK queued as /);
    const refused = t.listener.reload(loadConfigText(`${BASE}redis-wait-replicas 1\nsmtp-listener 127.0.0.1:0\n`));
    await expect(refused).rejects.toMatchObject({ code: 'REDIS_URL_INVALID', message: 'redis-wait-replicas 1 with REDIS_URL wait-timeout=0 would wait forever before 250; give a timeout, or redis-wait-replicas 0' });
    // Nothing of the refused file was applied: no WAIT (which would give 451 here), no second listener.
    expect(t.listener.addresses).toHaveLength(1);
    expect((await send(t, 5)).text).toMatch(/^250 2\.0\.0 OK queued as /);
  });

  it("the URL's wait-replicas wins over the directive", async () => {
    const t = await startTestListener({ url: `${redis.url}?wait-replicas=0`, prefix: 'wd2' }, WAIT_FOR_ONE);
    listeners.push(t);
    const accepted = await send(t, 3);
    expect(accepted.text).toMatch(/^250 2\.0\.0 OK queued as /);
  });
});
