import { getTestRedis, type TestRedis } from '@vmta/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMessage } from './testing/index.js';
import { MessageStore } from './message-store.js';

describe('reading a message for one queue (getForQueue)', () => {
  let t: TestRedis;
  let redis: Redis;
  let cached: MessageStore;
  let plain: MessageStore;
  const body = Buffer.from(`Subject: fan-out\r\n\r\n${'a line of the body that deflates well\r\n'.repeat(200)}`);

  beforeAll(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    const prefix = t.prefix.slice(0, -1);
    cached = new MessageStore(redis, { prefix, bodyCacheBytes: 1024 * 1024 });
    plain = new MessageStore(redis, { prefix });
  });
  afterAll(async () => {
    await cached.dispatcher.close();
    await plain.dispatcher.close();
    await t.cleanup();
    redis.disconnect();
  });

  const addresses = ['a1@one.example', 'b1@two.example', 'a2@one.example', 'c1@three.example', 'b2@two.example', 'a3@one.example'];

  it.each<[string, string[]]>([
    ['one.example/mta1', ['a1@one.example', 'a2@one.example', 'a3@one.example']],
    ['two.example/mta1', ['b1@two.example', 'b2@two.example']],
    ['three.example/mta1', ['c1@three.example']],
    ['nowhere.example/mta1', []],
  ])('gives queue %s only its recipients, in order, with the whole body', async (queue, expected) => {
    const { id } = await plain.enqueue(testMessage(addresses, { body }));
    const [message] = await plain.getForQueue([id], queue);
    expect(message!.recipients.map((r) => r.address)).toEqual(expected);
    expect(message!.recipients.every((r) => r.queue === queue)).toBe(true);
    expect(message!.body.equals(body)).toBe(true);
    const [whole] = await plain.getMany([id]);
    expect(message).toEqual({ ...whole, recipients: whole!.recipients.filter((r) => r.queue === queue) });
  });

  it('reads every recipient of a message in one queue, and nothing of a message that is gone', async () => {
    const { id } = await plain.enqueue(testMessage(['x@one.example', 'y@one.example'], { body }));
    const [message, gone] = await plain.getForQueue([id, 'no-such-id'], 'one.example/mta1');
    expect(message!.recipients.map((r) => r.address)).toEqual(['x@one.example', 'y@one.example']);
    expect(gone).toBeUndefined();
  });

  it('sees recipient records as they are now (only the body is kept)', async () => {
    const { id } = await cached.enqueue(testMessage(addresses, { body }));
    const [first] = await cached.getForQueue([id], 'one.example/mta1');
    const updated = { ...first!.recipients[0]!, state: 'delivered', attempts: 1 };
    await redis.hset(cached.keys.messageRecipients(id), String(updated.index), JSON.stringify(updated));
    const [again] = await cached.getForQueue([id], 'one.example/mta1');
    expect(again!.recipients[0]).toEqual(updated);
  });

  it('keeps the decoded body of a message in several queues: the next queue does not read it again', async () => {
    const { id } = await cached.enqueue(testMessage(addresses, { body }));
    const [first] = await cached.getForQueue([id], 'one.example/mta1');
    expect(first!.body.equals(body)).toBe(true);
    // The stored body is gone: only a kept copy can give it now.
    await redis.del(cached.keys.messageBody(id));
    const [second] = await cached.getForQueue([id], 'two.example/mta1');
    expect(second!.body.equals(body)).toBe(true);
    expect(second!.recipients.map((r) => r.address)).toEqual(['b1@two.example', 'b2@two.example']);
    // Without a cache the same read finds no body, and the message reads as gone.
    expect(await plain.getForQueue([id], 'two.example/mta1')).toEqual([undefined]);
    // The message itself gone (meta deleted): gone, whatever is kept.
    await redis.del(cached.keys.messageMeta(id));
    expect(await cached.getForQueue([id], 'two.example/mta1')).toEqual([undefined]);
  });

  it('reads a claimed batch in one script call: messages in one queue and in several, gone, and with a kept body', async () => {
    const { id: fanOut } = await cached.enqueue(testMessage(addresses, { body }));
    const { id: single } = await cached.enqueue(testMessage(['x@one.example'], { body: Buffer.from('Subject: single\r\n\r\nhi\r\n') }));
    const { id: keptFirst } = await cached.enqueue(testMessage(addresses, { body }));
    await cached.getForQueue([keptFirst], 'two.example/mta1');
    await redis.del(cached.keys.messageBody(keptFirst));
    // Every command Redis runs from here on, up to a marker sent after the read.
    const monitor = await redis.monitor();
    // Only this connection's commands: the test Redis may be serving other test files meanwhile.
    const socket = (redis as unknown as { stream: { localAddress?: string; localPort?: number } }).stream;
    const own = `${socket.localAddress}:${socket.localPort}`;
    const seen: string[][] = [];
    const marker = `marker-${fanOut}`;
    const markerSeen = new Promise<void>((resolve) =>
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        // Commands a script runs show up too, from the source "lua": not ours either.
        if (source === own) seen.push(args);
        if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) resolve();
      }),
    );
    const read = await cached.getForQueue([fanOut, 'no-such-id', single, keptFirst], 'one.example/mta1');
    await redis.echo(marker);
    await markerSeen;
    monitor.disconnect();
    expect(read.map((m) => m?.recipients.map((r) => r.address))).toEqual([
      ['a1@one.example', 'a2@one.example', 'a3@one.example'],
      undefined,
      ['x@one.example'],
      ['a1@one.example', 'a2@one.example', 'a3@one.example'],
    ]);
    expect(read[0]!.body.equals(body)).toBe(true);
    expect(read[2]!.body.toString()).toBe('Subject: single\r\n\r\nhi\r\n');
    expect(read[3]!.body.equals(body)).toBe(true);
    // One script call (the read's only command but the marker), naming the keys of all four messages.
    const commands = seen.filter((args) => args[0]?.toLowerCase() !== 'echo');
    expect(commands.map((args) => args[0]?.toLowerCase())).toEqual(['evalsha']);
    expect(commands[0]![2]).toBe('12');
  });

  it('reads a queue of more recipients than Lua can unpack at once', async () => {
    const many = Array.from({ length: 9_000 }, (_, i) => `r${i}@one.example`);
    const { id } = await plain.enqueue(testMessage([...many, 'z@two.example']));
    const [big] = await plain.getForQueue([id], 'one.example/mta1');
    expect(big!.recipients.map((r) => r.address)).toEqual(many);
    const [small] = await plain.getForQueue([id], 'two.example/mta1');
    expect(small!.recipients.map((r) => r.address)).toEqual(['z@two.example']);
  });
});
