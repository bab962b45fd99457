/**
 * A report is never lost: while Redis is away the FBL address answers 451 and writes nothing; the
 * sender's retry once Redis is back gets 250, and the stream holds exactly one f record for it.
 */
import { createRedis, Keys, SuppressionStore } from '@vmta/queue';
import { canStartPrivateRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arfReport, asData, OUR_HOST } from './reports/samples.test-data.js';
import { RawSmtp, sendRaw } from './testing/smtp-test-kit.js';
import { listenerOnPrivateRedis } from './testing/shared-listener.js';

describe.skipIf(!canStartPrivateRedis())('a report while Redis goes away', () => {
  const { redis, t } = listenerOnPrivateRedis(
    beforeAll,
    afterAll,
    `host-name ${OUR_HOST}\nsmtp-listener 127.0.0.1:0\n<feedback-loop-processor>\n  address fbl@fbl.ours.example\n</feedback-loop-processor>\n<acct-file a.csv>\n  records f\n</acct-file>\n`,
  );

  it('answers 451 while Redis is stopped and processes the retry exactly once', async () => {
    const report = asData(arfReport('joe@isp.example', { user: 'alice' }));
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO isp.example');
    await redis.stop();
    const during = await sendRaw(c, 'fbl@isp.example', ['fbl@fbl.ours.example'], report);
    expect(during.text).toBe('451 4.3.0 Temporary local problem, please try again later');
    await redis.restart();
    let again = during;
    for (let i = 0; i < 50 && again.code !== 250; i++) {
      await c.command('RSET');
      again = await sendRaw(c, 'fbl@isp.example', ['fbl@fbl.ours.example'], report);
      if (again.code !== 250) await new Promise((r) => setTimeout(r, 200));
    }
    expect(again.code).toBe(250);
    c.close();

    const client = createRedis(redis.url, 'cli');
    try {
      const rows = await client.xrange(new Keys(t.prefix).accounting(), '-', '+');
      expect(rows.map(([, flat]) => flat[flat.indexOf('rcpt') + 1])).toEqual(['joe@isp.example']);
      expect(await new SuppressionStore(client, t.prefix).lookup('user:alice', 'joe@isp.example')).toMatchObject({ reason: 'complaint' });
    } finally {
      client.disconnect();
    }
  });
});
