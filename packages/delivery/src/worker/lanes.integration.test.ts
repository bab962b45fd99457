import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { domainPolicy, loadConfigText } from '@vmta/config';
import { MessageStore, QueueOps } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../testing/test-smtp-receiver.js';
import { startDelivery, type RunningDelivery } from './delivery-service.js';

const configText = (port: number, vmtas: Array<[string, string]>) =>
  [
    ...vmtas.flatMap(([name, ip]) => [`<virtual-mta ${name}>`, `  smtp-source-host ${ip} ${name}.example.test`, '</virtual-mta>']),
    '<domain *>',
    `  smtp-hosts [127.0.0.10]:${port}`,
    '</domain>',
  ].join('\n');

const message = (to: string, vmta: string) =>
  testMessage(to, { body: Buffer.from('Subject: lanes\r\n\r\nhello\r\n'), vmta, source: { ip: '127.0.0.9', listener: '127.0.0.1:2525', heloName: 'client.test' } });

/** Log lines of one process, parsed. */
function capture(): { logger: pino.Logger; events: () => string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), events: () => lines.map((l) => (JSON.parse(l) as { event?: string }).event ?? '') };
}

describe('dispatch lanes: a process takes only tokens of VMTAs its host serves', () => {
  let t: TestRedis | undefined;
  let redis: Redis | undefined;
  let receiver: Receiver | undefined;
  let store: MessageStore | undefined;
  const running: RunningDelivery[] = [];

  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => d.close()));
    await store?.dispatcher.close();
    await receiver?.close();
    await t?.cleanup();
    redis?.disconnect();
  });

  async function setup() {
    t = await getTestRedis();
    redis = new Redis(t.url);
    receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const prefix = t.prefix.slice(0, -1);
    store = new MessageStore(redis, { prefix });
    return { prefix, url: t.url, port: receiver.port };
  }

  it('two hosts with different source addresses each deliver their own VMTA mail, and no token lands on the wrong host', async () => {
    const { prefix, url, port } = await setup();
    const config = loadConfigText(configText(port, [['mta1', '127.0.0.2'], ['mta2', '127.0.0.3']]));
    const hostA = capture();
    const hostB = capture();
    running.push(await startDelivery({ config, redisUrl: url, prefix, concurrency: 4, logger: hostA.logger, localAddresses: new Set(['127.0.0.2']) }));
    running.push(await startDelivery({ config, redisUrl: url, prefix, concurrency: 4, logger: hostB.logger, localAddresses: new Set(['127.0.0.3']) }));
    expect(running.map((d) => d.servedVmtas)).toEqual([['{default}', 'mta1'], ['{default}', 'mta2']]);
    for (let i = 0; i < 12; i++) {
      await store!.enqueue(message(`r${i}@d${i % 6}.example`, 'mta1'));
      await store!.enqueue(message(`s${i}@d${i % 6}.example`, 'mta2'));
    }
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(24);
    const bySource = (ip: string) => receiver!.connections.filter((c) => c.remoteAddress === ip).map((c) => c.heloName);
    expect(new Set(bySource('127.0.0.2'))).toEqual(new Set(['mta1.example.test']));
    expect(new Set(bySource('127.0.0.3'))).toEqual(new Set(['mta2.example.test']));
    expect([...hostA.events(), ...hostB.events()]).not.toContain('source-not-local');
  });

  it('bounces mail of a VMTA that no host serves at bounce-after (the enqueue puts its queue in the bounce-after index)', async () => {
    const { prefix, url, port } = await setup();
    const text = `${configText(port, [['mta1', '127.0.0.2'], ['mta2', '127.0.0.3']])}\n<domain stuck.example>\n  bounce-after 2s\n</domain>`;
    const config = loadConfigText(text);
    // This host has only mta1's address: nothing here (or anywhere) ever takes mta2's tokens.
    running.push(await startDelivery({ config, redisUrl: url, prefix, concurrency: 2, localAddresses: new Set(['127.0.0.2']) }));
    const listenerSide = new MessageStore(redis!, { prefix, bounceAfter: (ref) => domainPolicy(config, ref.domain, ref.vmta).settings['bounce-after'] });
    const { id } = await listenerSide.enqueue(message('x@stuck.example', 'mta2'));
    const ops = new QueueOps(redis!, prefix);
    await expect.poll(async () => (await ops.state('stuck.example/mta2')).bounced, { timeout: 20_000 }).toBe(1);
    expect(await listenerSide.get(id)).toBeUndefined();
    // the DSN is queued to the sender through the message's own VMTA (it leaves once a host serves mta2)
    await expect.poll(async () => (await ops.stats('example.org/mta2')).queued, { timeout: 10_000 }).toBe(1);
    expect(receiver!.messages).toHaveLength(0);
    await listenerSide.dispatcher.close();
  });

  it('a reload that adds a VMTA of this host starts taking its mail', async () => {
    const { prefix, url, port } = await setup();
    const delivery = await startDelivery({
      config: loadConfigText(configText(port, [['mta1', '127.0.0.2']])),
      redisUrl: url,
      prefix,
      concurrency: 2,
      localAddresses: new Set(['127.0.0.2', '127.0.0.3']),
    });
    running.push(delivery);
    // queued for mta2 before this process knows mta2: nobody takes it
    await store!.enqueue(message('late@new.example', 'mta2'));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver!.messages).toHaveLength(0);
    delivery.reload(loadConfigText(configText(port, [['mta1', '127.0.0.2'], ['mta2', '127.0.0.3']])));
    expect(delivery.servedVmtas).toEqual(['{default}', 'mta1', 'mta2']);
    await expect.poll(() => receiver!.messages.length, { timeout: 20_000 }).toBe(1);
    expect(receiver!.connections[0]!.remoteAddress).toBe('127.0.0.3');
  });
});
