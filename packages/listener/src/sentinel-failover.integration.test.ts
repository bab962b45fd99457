import { createRedis, MessageStore } from '@vmta/queue';
import { canStartSentinels, startSentinelSet, type SentinelSet } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueIdOf, RawSmtp, sendRaw, startTestListener, type Reply, type TestListener } from './testing/smtp-test-kit.js';

const message = (n: number) => `Subject: m${n}\r\n\r\nbody ${n}\r\n.\r\n`;

describe.skipIf(!canStartSentinels())('a listener on a Redis Sentinel set', () => {
  let set: SentinelSet;
  let t: TestListener;

  beforeAll(async () => {
    set = await startSentinelSet();
    await set.ready();
    // WAIT off here: this test is about following the failover (wait.integration.test.ts is about WAIT).
    t = await startTestListener({ url: `${set.url}?wait-replicas=0` }, 'smtp-listener 127.0.0.1:0\nrelay-domain dest.example\n');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await set?.dispose();
  });

  it('answers 451 4.3.0 (never 250) while no primary is reachable and accepts mail again after the promotion, without a restart', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    const before = await sendRaw(c, 's@client.example', ['r@dest.example'], message(0));
    expect(before.text).toMatch(/^250 2\.0\.0 OK queued as /);
    const oldPrimary = await set.master();
    // The first message is on the replica before the primary dies (replication is asynchronous).
    const probe = createRedis(`redis://${oldPrimary}`, 'cli');
    expect(await probe.call('WAIT', '1', '5000')).toBe(1);
    probe.disconnect();

    const failover = set.killPrimaryAndWaitForFailover();
    let promoted: string | undefined;
    void failover.then((addr) => (promoted = addr));
    const during: Reply[] = [];
    let after: Reply | undefined;
    for (let n = 1; n < 2000 && !after; n++) {
      const reply = await sendRaw(c, 's@client.example', ['r@dest.example'], message(n));
      if (reply.code !== 250) await c.command('RSET');
      if (promoted && reply.code === 250) after = reply;
      else during.push(reply);
      if (reply.code !== 250) await new Promise((r) => setTimeout(r, 50));
    }
    expect(await failover).not.toBe(oldPrimary);
    expect(after?.text).toMatch(/^250 2\.0\.0 OK queued as /);
    // While the primary was gone every answer was 451 4.3.0; none was a 250 lost with it.
    const refused = during.filter((r) => r.code !== 250);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.text).toBe('451 4.3.0 Temporary local problem, please try again later');
    c.close();

    // The new primary has the message replicated before the kill and the one accepted after it.
    // (One accepted in the last moments of the old primary may be lost without WAIT: replication is
    // asynchronous. wait.integration.test.ts shows that WAIT closes that window.)
    const reader = createRedis(set.url, 'cli');
    const ids = await new MessageStore(reader, { prefix: t.prefix }).queued('dest.example/{default}');
    reader.disconnect();
    expect(ids).toEqual(expect.arrayContaining([queueIdOf(before)!, queueIdOf(after!)!]));
  }, 90_000);
});
