import { createRedis, MessageStore } from '@vmta/queue';
import { canStartSentinels, startSentinelSet, type SentinelSet } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueIdOf, RawSmtp, sendRaw, startTestListener, type Reply, type TestListener } from './testing/smtp-test-kit.js';

const message = (n: number) => `Subject: m${n}\r\n\r\nbody ${n}\r\n.\r\n`;
const REFUSED = '451 4.3.0 Temporary local problem, please try again later';

describe.skipIf(!canStartSentinels())('a listener on a Redis Sentinel set (WAIT for 1 replica, the default)', () => {
  let set: SentinelSet;
  let t: TestListener;

  beforeAll(async () => {
    set = await startSentinelSet();
    await set.ready();
    t = await startTestListener({ url: set.url }, 'smtp-listener 127.0.0.1:0\nrelay-domain dest.example\n');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await set?.dispose();
  });

  it('answers 451 4.3.0 while no primary (or no replica) is there, 250 again after the promotion without a restart, and loses no message it accepted', async () => {
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    const send = async (n: number) => {
      const reply = await sendRaw(c, 's@client.example', ['r@dest.example'], message(n));
      if (reply.code !== 250) {
        expect(reply.text).toBe(REFUSED);
        await c.command('RSET');
      }
      return reply;
    };
    const before = await send(0);
    expect(before.text).toMatch(/^250 2\.0\.0 OK queued as /);
    const oldPrimary = await set.master();

    // Mail goes on while the primary dies, the Sentinels promote the replica (which then has no
    // replica: WAIT fails, 451) and the old primary comes back as the new one's replica.
    const failover = set.killPrimaryAndWaitForFailover().then(async (addr) => {
      await set.restartStopped();
      return addr;
    });
    let back: string | undefined;
    void failover.then((addr) => (back = addr));
    const replies: Reply[] = [];
    let after: Reply | undefined;
    for (let n = 1; n < 3000 && !after; n++) {
      const reply = await send(n);
      if (back && reply.code === 250) after = reply;
      else replies.push(reply);
      if (reply.code !== 250) await new Promise((r) => setTimeout(r, 50));
    }
    expect(await failover).not.toBe(oldPrimary);
    expect(after?.text).toMatch(/^250 2\.0\.0 OK queued as /);
    expect(replies.filter((r) => r.code !== 250).length).toBeGreaterThan(0);
    c.close();

    // Every message that got 250 is on the new primary. Anything else there is a message that got
    // 451 and is still held (its discard could not reach the dead primary): not due, never released.
    const accepted = [before, ...replies.filter((r) => r.code === 250), after!].map((r) => queueIdOf(r)!);
    const reader = createRedis(set.url, 'cli');
    const store = new MessageStore(reader, { prefix: t.prefix });
    const ids = await store.queued('dest.example/{default}');
    expect(ids).toEqual(expect.arrayContaining(accepted));
    for (const id of ids.filter((x) => !accepted.includes(x))) expect(await reader.hget(store.keys.messageMeta(id), 'held')).toBe('1');
    for (const id of accepted) expect(await reader.hget(store.keys.messageMeta(id), 'held')).toBeNull();
    reader.disconnect();
  }, 90_000);
});
