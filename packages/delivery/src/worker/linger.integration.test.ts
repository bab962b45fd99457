import { Keys, queueName } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryTestbeds } from '../testing/delivery-testbed.js';
import { mta1ConfigText } from '../testing/mta1-config.js';
import type { Receiver } from '../testing/test-smtp-receiver.js';

const config = (port: number, idle: string) => mta1ConfigText({ domain: [`  smtp-hosts [127.0.0.10]:${port}`, `  connection-idle-timeout ${idle}`] });

const message = (to: string) => testMessage(to, { body: Buffer.from('Subject: idle\r\n\r\nhello\r\n'), source: { ip: '127.0.0.9', listener: '127.0.0.1:2525', heloName: 'client.test' } });

describe('connection-idle-timeout', () => {
  const testbed = deliveryTestbeds(afterEach);

  /** Two messages for one queue, the second queued after the first was delivered; returns the connections the receiver saw. */
  async function twoMessagesApart(idle: string): Promise<Receiver> {
    const bed = await testbed();
    const { store } = bed;
    const receiver = await bed.receiver({ host: '127.0.0.10', startTls: false });
    await bed.deliver(config(receiver.port, idle), { concurrency: 2 });
    await store.enqueue(message('a@idle.example'));
    await expect.poll(() => receiver.messages.length, { timeout: 20_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 1_000));
    await store.enqueue(message('b@idle.example'));
    await expect.poll(() => receiver.messages.length, { timeout: 20_000 }).toBe(2);
    return receiver;
  }

  it('keeps the connection open for mail that arrives within the idle timeout', async () => {
    const r = await twoMessagesApart('30s');
    expect(r.connections).toHaveLength(1);
    expect(r.commands.filter((c) => c.startsWith('MAIL FROM'))).toHaveLength(2);
  });

  it('with the default 0 the connection is closed as the queue runs dry', async () => {
    const r = await twoMessagesApart('0');
    expect(r.connections).toHaveLength(2);
  });

  it('with the default 0, a run whose queue trickles waits a moment (trickle-linger.ts): takes mail queued meanwhile in the same run, closes its connection meanwhile, and clears the awake mark when it ends', async () => {
    const bed = await testbed();
    const { store, redis, prefix } = bed;
    const receiver = await bed.receiver({ host: '127.0.0.10', startTls: false });
    const keys = new Keys(prefix);
    const queue = queueName('trickle.example', 'mta1');
    // sessionParkMs 0: this is about the run's own connection; a parked session would carry c (session-park.integration.test.ts).
    await bed.deliver(config(receiver.port, '0'), { concurrency: 4, holder: { processId: 'p1', lastBeatAt: () => Date.now() }, sessionParkMs: 0 });
    const delivered = (n: number) => expect.poll(() => receiver.messages.length, { timeout: 20_000 }).toBe(n);
    const holderRun = () => redis.hget(keys.queueSlotHolder(queue, 0), 'run');

    // The first run of the queue ends as before; the second comes right after it, so it waits.
    await store.enqueue(message('a@trickle.example'));
    await delivered(1);
    await expect.poll(holderRun, { timeout: 10_000 }).toBeNull();
    await store.enqueue(message('b@trickle.example'));
    await delivered(2);
    const run = await holderRun();
    expect(run).not.toBeNull();
    // The run closes its connection and marks the queue awake before it waits.
    await expect.poll(() => redis.exists(keys.queueAwake(queue)), { timeout: 5_000 }).toBe(1);
    // While it waits: a message queued now goes out in the same run, on a new connection (idle timeout 0 closed the old one).
    await store.enqueue(message('c@trickle.example'));
    await delivered(3);
    expect(await holderRun()).toBe(run);
    expect(receiver.connections).toHaveLength(3);

    // Nothing more comes: the run ends, lets go of its slot and leaves no awake mark behind ...
    await expect.poll(holderRun, { timeout: 15_000 }).toBeNull();
    expect(await redis.exists(keys.queueAwake(queue))).toBe(0);
    // ... so the next message wakes a token at once (a mark left behind would hold it for a minute).
    await store.enqueue(message('d@trickle.example'));
    await delivered(4);
  });
});
