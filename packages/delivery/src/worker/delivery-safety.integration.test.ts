/**
 * Delivery safety with real sockets: no delivery to our own listeners (mail loop), bounded MX
 * fan-out (mx-address-limit, mx-session-limit), a bound on each attempt (smtp-attempt-timeout)
 * against tarpits, and VMTA slot leases that are renewed and taken again on reconnect.
 */
import net from 'node:net';
import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { ConnectionLimiter, MessageStore, QueueOps } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DnsResolver } from '../dns/resolver.js';
import { startTestDnsServer, type TestDnsServer } from '../testing/test-dns-server.js';
import { startReceiver, startSlowReceiver } from '../testing/test-smtp-receiver.js';
import { startDelivery, type RunningDelivery, type StartDeliveryOptions } from './delivery-service.js';

const HOST = '127.0.0.10';

// No DSN traffic in these tests.
const message = (to: string) => testMessage(to, { mailFrom: '', body: Buffer.from('Subject: safety test\r\n\r\nhello\r\n') });

/** Plain TCP servers on HOST that count connections; `onSocket` decides what each does. */
async function tcpServers(n: number, onSocket: (s: net.Socket) => void) {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const servers = await Promise.all(
    Array.from({ length: n }, async () => {
      const server = net.createServer((s) => {
        connections++;
        sockets.add(s);
        s.on('error', () => undefined);
        s.once('close', () => sockets.delete(s));
        onSocket(s);
      });
      await new Promise<void>((r) => server.listen(0, HOST, r));
      return server;
    }),
  );
  return {
    ports: servers.map((s) => (s.address() as net.AddressInfo).port),
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

let dns: TestDnsServer;
beforeAll(async () => {
  dns = await startTestDnsServer({ address: '127.0.0.1', zone: { 'loop-mx.example': { MX: [{ preference: 10, exchange: 'mx.loop.test' }] }, 'mx.loop.test': { A: [HOST] } } });
});
afterAll(async () => dns.close());

describe('delivery safety', () => {
  let t: TestRedis;
  let redis: Redis;
  let delivery: RunningDelivery | undefined;
  let store: MessageStore | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];

  async function start(
    globalLines: string[],
    domainLines: string[],
    { before, vmtaLines = [], options = {} }: { before?: (store: MessageStore) => Promise<unknown>; vmtaLines?: string[]; options?: Partial<StartDeliveryOptions> } = {},
  ) {
    t = await getTestRedis();
    redis = new Redis(t.url);
    const prefix = t.prefix.slice(0, -1);
    store = new MessageStore(redis, { prefix });
    const text = [
      ...globalLines,
      '<acct-file acct.csv>',
      '</acct-file>',
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.2 mta1.example.test',
      ...vmtaLines.map((l) => `  ${l}`),
      '</virtual-mta>',
      '<domain *>',
      '  retry-after 1h',
      '  retry-recipients-after 1h',
      ...domainLines.map((l) => `  ${l}`),
      '</domain>',
    ].join('\n');
    await before?.(store);
    const resolver = new DnsResolver({ servers: [dns.server], timeoutMs: 500, tries: 1, families: [4] });
    delivery = await startDelivery({ config: loadConfigText(text), redisUrl: t.url, prefix, concurrency: 2, resolver, ...options });
    return { store, ops: new QueueOps(redis, prefix), limiter: new ConnectionLimiter(redis, prefix) };
  }

  const records = async (type: string) => (await redis.xrange(store!.keys.accounting(), '-', '+')).map(([, f]) => f.join(' ')).filter((r) => r.startsWith(`type ${type} `));

  afterEach(async () => {
    await delivery?.close();
    await store?.dispatcher.close();
    for (const c of cleanups.splice(0)) await c();
    await t?.cleanup();
    redis?.disconnect();
    delivery = undefined;
  });

  describe('mail loop', () => {
    it.each([
      ['smtp-listener at that address', (port: number) => `smtp-listener ${HOST}:${port}`, (port: number) => [`smtp-hosts [${HOST}]:${port}`], 'loop.example'],
      ['smtp-listener 0/0 (every local address)', (port: number) => `smtp-listener 0/0:${port}`, (port: number) => [`smtp-hosts [${HOST}]:${port}`], 'loop.example'],
      ['an MX that points at our listener', (port: number) => `smtp-listener 0/0:${port}`, (port: number) => [`default-smtp-port ${port}`], 'loop-mx.example'],
    ])('bounces (5.4.6) instead of connecting when the route is our own %s', async (_name, listener, route, domain) => {
      const ours = await startReceiver({ host: HOST, startTls: false });
      cleanups.push(() => ours.close());
      const { store } = await start([listener(ours.port)], route(ours.port));
      const { id } = await store.enqueue(message(`x@${domain}`));
      await expect.poll(async () => (await store.get(id))?.recipients[0]?.state ?? 'gone', { timeout: 20_000 }).toBe('gone');
      const [b] = await records('b');
      expect(b).toMatch(/\b5\.4\.6\b/);
      expect(b).toMatch(/mail loop: MX points to us/);
      expect(ours.connections).toHaveLength(0);
    });

    it('still delivers to a better host when we are only a backup MX', async () => {
      const ours = await startReceiver({ host: HOST, startTls: false });
      const them = await startReceiver({ host: '127.0.0.11', startTls: false });
      cleanups.push(() => ours.close(), () => them.close());
      const { store } = await start([`smtp-listener ${HOST}:${ours.port}`], [`smtp-hosts [127.0.0.11]:${them.port}; [${HOST}]:${ours.port}`]);
      await store.enqueue(message('x@backup.example'));
      await expect.poll(() => them.messages.length, { timeout: 20_000 }).toBe(1);
      expect(ours.connections).toHaveLength(0);
    });
  });

  describe('bounded fan-out', () => {
    it('tries at most mx-address-limit of 50 addresses that all fail', async () => {
      const hosts = await tcpServers(50, (s) => s.destroy());
      cleanups.push(() => hosts.close());
      const { store, ops } = await start([], [`smtp-hosts ${hosts.ports.map((p) => `[${HOST}]:${p}`).join(', ')}`, 'mx-address-limit 4']);
      await store.enqueue(message('x@fifty.example'));
      await expect.poll(async () => (await ops.state('fifty.example/mta1')).mode, { timeout: 20_000 }).toBe('retry');
      expect(hosts.connections()).toBe(4);
    });

    it('gives up after mx-session-limit servers that greeted and then refused', async () => {
      const hosts = await tcpServers(50, (s) => s.end('421 4.3.2 busy\r\n'));
      cleanups.push(() => hosts.close());
      const { store, ops } = await start([], [`smtp-hosts ${hosts.ports.map((p) => `[${HOST}]:${p}`).join(', ')}`, 'mx-address-limit 0', 'mx-session-limit 2']);
      await store.enqueue(message('x@busy.example'));
      await expect.poll(async () => (await ops.state('busy.example/mta1')).mode, { timeout: 20_000 }).toBe('retry');
      expect(hosts.connections()).toBe(2);
    });
  });

  describe('smtp-attempt-timeout', () => {
    it('closes a tarpit (accepts, never greets) at the attempt bound, long before connect and greeting timeouts', async () => {
      const closedAfter: number[] = [];
      const tarpit = await tcpServers(1, (s) => {
        const at = Date.now();
        s.once('close', () => closedAfter.push(Date.now() - at));
      });
      cleanups.push(() => tarpit.close());
      const { store, ops } = await start([], [`smtp-hosts [${HOST}]:${tarpit.ports[0]}`, 'smtp-attempt-timeout 1s']);
      await store.enqueue(message('x@tarpit.example'));
      await expect.poll(async () => (await ops.state('tarpit.example/mta1')).mode, { timeout: 10_000 }).toBe('retry');
      expect(tarpit.connections()).toBe(1);
      await expect.poll(() => closedAfter.length, { timeout: 5_000 }).toBe(1);
      expect(closedAfter[0]).toBeLessThan(2_500);
    });

    it('defers a message whose server greets and then never answers the data, at the attempt bound', async () => {
      const slow = await startSlowReceiver(60_000, HOST);
      cleanups.push(() => slow.close());
      const { store } = await start([], [`smtp-hosts [${HOST}]:${slow.port}`, 'smtp-attempt-timeout 1s']);
      const started = Date.now();
      const { id } = await store.enqueue(message('x@slow.example'));
      await expect.poll(async () => (await records('t')).length, { timeout: 10_000 }).toBe(1);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await records('t'))[0]).toMatch(/timeout/);
      expect((await store.get(id))?.recipients[0]?.state).toBe('queued');
    });
  });

  describe('VMTA connection slots', () => {
    it('renews the lease of a delivery longer than the lease, so another process cannot take the slot', async () => {
      const slow = await startSlowReceiver(1_500, HOST);
      cleanups.push(() => slow.close());
      const { store, limiter } = await start([], [`smtp-hosts [${HOST}]:${slow.port}`], { vmtaLines: ['max-smtp-out 1'], options: { vmtaLeaseMs: 300 } });
      await store.enqueue(message('x@long.example'));
      await expect.poll(() => limiter.count({ kind: 'vmta', vmta: 'mta1' }), { timeout: 10_000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 900)); // three leases long, the message still under way
      expect(slow.received()).toBe(0);
      expect(await limiter.count({ kind: 'vmta', vmta: 'mta1' })).toBe(1);
      // another process asking for mta1's only slot does not get it
      expect(await limiter.acquire({ kind: 'vmta', vmta: 'mta1' }, 'other-process', 1, 60_000)).toBe(false);
      await expect.poll(() => slow.received(), { timeout: 10_000 }).toBe(1);
    });

    it('asks for a slot again when it reconnects after a dropped connection', async () => {
      let connections = 0;
      let limiter: ConnectionLimiter | undefined;
      const server = new SMTPServer({
        disabledCommands: ['AUTH', 'STARTTLS'],
        authOptional: true,
        disableReverseLookup: true,
        logger: false,
        onConnect(_s, cb) {
          connections++;
          cb();
        },
        onData(stream, _session, cb) {
          stream.resume();
          stream.on('end', () => {
            // Meanwhile our lease was lost and another process took mta1's only slot; then the connection drops.
            void (async () => {
              await redis.del(limiter!.keys.vmtaConnections('mta1'));
              await limiter!.acquire({ kind: 'vmta', vmta: 'mta1' }, 'other-process', 1, 60_000);
              for (const c of server.connections) (c as unknown as { _socket: net.Socket })._socket.destroy();
              cb(new Error('dropped'));
            })();
          });
        },
      });
      server.on('error', () => undefined);
      await new Promise<void>((r) => server.listen(0, HOST, r));
      cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
      const port = (server.server.address() as net.AddressInfo).port;
      // both messages wait before delivery starts: one token run takes both on one connection
      const ctx = await start([], [`smtp-hosts [${HOST}]:${port}`], {
        vmtaLines: ['max-smtp-out 1'],
        before: async (s) => {
          await s.enqueue(message('a@reconnect.example'));
          await s.enqueue(message('b@reconnect.example'));
        },
      });
      limiter = ctx.limiter;
      await expect.poll(async () => (await records('t')).length, { timeout: 10_000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 2_500));
      expect(connections).toBe(1);
      expect(await limiter.count({ kind: 'vmta', vmta: 'mta1' })).toBe(1);
    });
  });
});
