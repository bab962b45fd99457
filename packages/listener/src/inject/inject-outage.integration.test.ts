/** HTTP injection while Redis is down (503 with Retry-After, nothing queued; accepted again once it is back), over the auth failure rate and the per-client session limit (429). */
import { canStartPrivateRedis, getTestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtp, startTestListener, type TestListener } from '../testing/smtp-test-kit.js';
import { listenerOnPrivateRedis } from '../testing/shared-listener.js';

/** POST /api/inject of a one-recipient message with this key. */
function injectWith(t: TestListener, key: string, subject = 'm') {
  return fetch(`http://127.0.0.1:${t.listener.injectPort}/api/inject`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ from: 's@client.example', recipients: [{ email: 'r@dest.example' }], subject, text: 'body' }),
  });
}

/** A listener with the injection API on a free loopback port. */
const startWithInject = async (config: string) => startTestListener(await getTestRedis(), config, { inject: { port: 0, host: '127.0.0.1' } });

describe.skipIf(!canStartPrivateRedis())('HTTP injection when Redis goes away', () => {
  const { redis, t } = listenerOnPrivateRedis(
    beforeAll,
    afterAll,
    'smtp-listener 127.0.0.1:0\nrelay-domain dest.example\nuse-suppression-store no\n<smtp-user api>\n  http-inject-api-key k1\n</smtp-user>\n',
    { inject: { port: 0, host: '127.0.0.1' } },
  );

  const inject = (n: number) => injectWith(t, 'k1', `m${n}`);

  it('answers 503 while the enqueue fails, queues nothing, and 202 again once Redis is back', async () => {
    expect((await inject(1)).status).toBe(202);
    await redis.stop();
    const during = await inject(2);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('60');
    expect(((await during.json()) as { error: { code: string } }).error.code).toBe('queue-unavailable');

    await redis.restart();
    let again = during;
    for (let i = 0; i < 50 && again.status !== 202; i++) {
      again = await inject(3);
      if (again.status !== 202) {
        expect(again.status).toBe(503);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(again.status).toBe(202);
    const ids = await t.store.queued('dest.example/{default}', 100);
    const subjects = await Promise.all(ids.map(async (id) => /\r\nSubject: (m\d)\r\n/.exec((await t.store.get(id))!.body.toString('latin1'))?.[1]));
    expect(subjects.sort()).toEqual(['m1', 'm3']);
  });
});

describe('HTTP injection and smtp-max-auth-failure-rate', () => {
  it('counts failed credentials like failed AUTHs: 429 once over the rate, even with the right key', async () => {
    const t = await startWithInject('smtp-listener 127.0.0.1:0\nrelay-domain dest.example\n<smtp-user api>\n  http-inject-api-key good\n</smtp-user>\n<source 0/0>\n  smtp-max-auth-failure-rate 3/1h\n</source>\n');
    try {
      const inject = (key: string) => injectWith(t, key).then((r) => r.status);
      // The listener serves before its Redis connection is ready (fail closed: 429 until then).
      let first = await inject('good');
      for (let i = 0; i < 50 && first !== 202; i++) {
        await new Promise((r) => setTimeout(r, 100));
        first = await inject('good');
      }
      expect(first).toBe(202);
      expect([await inject('bad1'), await inject('bad2'), await inject('bad3')]).toEqual([401, 401, 401]);
      expect(await inject('bad4')).toBe(429);
      expect(await inject('good')).toBe(429);
    } finally {
      await t.close();
    }
  });
});

describe('HTTP injection and max-smtp-in-per-ip', () => {
  it('counts a request as a session of its client: 429 while the client already has its one SMTP session', async () => {
    const t = await startWithInject('smtp-listener 127.0.0.1:0\nrelay-domain dest.example\n<smtp-user api>\n  http-inject-api-key good\n</smtp-user>\n<source 0/0>\n  max-smtp-in-per-ip 1\n</source>\n');
    const inject = () => injectWith(t, 'good');
    const until202 = async () => {
      let status = 0;
      for (let i = 0; i < 50 && status !== 202; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        status = (await inject()).status;
      }
      return status;
    };
    try {
      expect(await until202()).toBe(202);
      const smtp = await RawSmtp.connect(t.port(), t.host());
      expect((await smtp.read()).code).toBe(220);
      const refused = await inject();
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too-many-requests');
      await smtp.command('QUIT');
      smtp.close();
      expect(await until202()).toBe(202);
    } finally {
      await t.close();
    }
  });
});
