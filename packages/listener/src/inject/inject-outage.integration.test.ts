/** HTTP injection while Redis is down: 503 with Retry-After, nothing queued; accepted again once it is back. */
import { canStartPrivateRedis, startPrivateRedis, type PrivateRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestListener, type TestListener } from '../testing/smtp-test-kit.js';

describe.skipIf(!canStartPrivateRedis())('HTTP injection when Redis goes away', () => {
  let redis: PrivateRedis;
  let t: TestListener;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    t = await startTestListener(
      { url: redis.url },
      'smtp-listener 127.0.0.1:0\nrelay-domain dest.example\nuse-suppression-store no\n<smtp-user api>\n  http-inject-api-key k1\n</smtp-user>\n',
      { inject: { port: 0, host: '127.0.0.1' } },
    );
  });
  afterAll(async () => {
    await t?.close();
    await redis?.dispose();
  });

  const inject = (n: number) =>
    fetch(`http://127.0.0.1:${t.listener.injectPort}/api/inject`, {
      method: 'POST',
      headers: { authorization: 'Bearer k1', 'content-type': 'application/json' },
      body: JSON.stringify({ from: 's@client.example', recipients: [{ email: 'r@dest.example' }], subject: `m${n}`, text: 'body' }),
    });

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
