import { canStartPrivateRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authLockoutConfig, authPlainOnce, queueIdOf, RawSmtp, sendRaw } from './testing/smtp-test-kit.js';
import { listenerOnPrivateRedis } from './testing/shared-listener.js';

describe.skipIf(!canStartPrivateRedis())('when Redis goes away', () => {
  const { redis, t } = listenerOnPrivateRedis(beforeAll, afterAll, 'smtp-listener 127.0.0.1:0\nrelay-domain dest.example\n');

  const message = (n: number) => `Subject: m${n}\r\n\r\nbody ${n}\r\n.\r\n`;

  it('answers 451 4.3.0 while Redis is stopped, writes nothing, and accepts mail again in the same session once it is back', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    const first = await sendRaw(c, 's@client.example', ['r@dest.example'], message(1));
    expect(first.text).toMatch(/^250 2\.0\.0 OK queued as /);

    await redis.stop();
    const during = await sendRaw(c, 's@client.example', ['r@dest.example'], message(2));
    expect(during.text).toBe('451 4.3.0 Temporary local problem, please try again later');
    expect((await c.command('RSET')).code).toBe(250);

    await redis.restart();
    let again = during;
    for (let i = 0; i < 50 && again.code !== 250; i++) {
      await c.command('RSET');
      again = await sendRaw(c, 's@client.example', ['r@dest.example'], message(3));
      if (again.code !== 250) {
        expect(again.code).toBe(451);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(again.text).toMatch(/^250 2\.0\.0 OK queued as /);
    c.close();

    // Exactly the two acknowledged messages are queued, each complete.
    const ids = await t.store.queued('dest.example/{default}');
    expect(ids.sort()).toEqual([queueIdOf(first)!, queueIdOf(again)!].sort());
    for (const id of ids) {
      const m = await t.store.get(id);
      expect(m?.recipients).toHaveLength(1);
      expect(m?.body.toString()).toMatch(/Subject: m[13]\r\n\r\nbody [13]\r\n$/);
    }
  });
});

describe.skipIf(!canStartPrivateRedis())('AUTH when Redis goes away', () => {
  const { redis, t } = listenerOnPrivateRedis(beforeAll, afterAll, authLockoutConfig('127.0.0.1', '3/1h'));

  const auth = (password: string) => authPlainOnce(t, 'alice', password);

  it('answers 454 to the right and the wrong password while the attempt cannot be counted (fail closed), 235 once Redis is back', async () => {
    expect(await auth('s3cret')).toMatch(/^235/);
    await redis.stop();
    expect(await auth('s3cret')).toBe('454 4.7.0 Temporary authentication failure, too many failed attempts');
    expect(await auth('wrong')).toBe('454 4.7.0 Temporary authentication failure, too many failed attempts');
    await redis.restart();
    let r = '';
    for (let i = 0; i < 50 && !r.startsWith('235'); i++) {
      r = await auth('s3cret');
      if (!r.startsWith('235')) await new Promise((res) => setTimeout(res, 200));
    }
    expect(r).toMatch(/^235/);
  });
});
