import { loadConfigText, type VmtaConfig } from '@vmta/config';
import { Dispatcher, Keys, MessageStore, type NewMessage } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpManagement, type RunningHttpManagement } from './index.js';

const config = (...lines: string[]): VmtaConfig => loadConfigText(['host-name mta.example.com', ...lines].join('\n'));

describe('management HTTP for jobs, messages and filtered deletes', () => {
  let t: TestRedis;
  let redis: Redis;
  let store: MessageStore;
  let keys: Keys;
  let prefix: string;
  const servers: RunningHttpManagement[] = [];
  const msg = (to: string, job?: string): NewMessage => ({
    mailFrom: 'sender@example.org',
    recipients: [{ address: to, domain: to.split('@')[1]! }],
    body: Buffer.from('Subject: t\r\n\r\nhello\r\n'),
    vmta: 'mta1',
    source: { ip: '127.0.0.9', listener: '127.0.0.1:2525' },
    receivedAt: Date.now() - 5_000,
    ...(job ? { job } : {}),
  });

  async function serve(level: string) {
    const s = await startHttpManagement({ config: config(`http-access 127.0.0.1 ${level}`), redisUrl: t.url, prefix, port: 0, host: '127.0.0.1' });
    servers.push(s);
    return (path: string, method = 'GET') => fetch(`http://127.0.0.1:${s.port}${path}`, { method, headers: method === 'GET' ? {} : { 'x-vmta-request': '1' } });
  }

  beforeAll(async () => {
    t = await getTestRedis();
    prefix = t.prefix.slice(0, -1);
    redis = new Redis(t.url);
    store = new MessageStore(redis, { prefix });
    keys = new Keys(prefix);
    await store.enqueue(msg('a@jobs.example', 'j1'));
    await store.enqueue(msg('b@jobs.example', 'j1'));
    await store.enqueue(msg('c@jobs.example'));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await store.dispatcher.close();
    await t.cleanup();
    redis.disconnect();
  });

  it('lets a monitor read the jobs but not pause one, see messages or delete', async () => {
    const call = await serve('monitor');
    const res = await call('/jobs');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ job: 'j1', received: 2, delivered: 0, bounced: 0, queued: 2, paused: false, firstSeen: expect.any(String), lastSeen: expect.any(String) }]);
    expect((await call('/jobs/j1/pause', 'POST')).status).toBe(403);
    expect((await call(`/queues/${encodeURIComponent('jobs.example/mta1')}/messages`)).status).toBe(403);
    expect((await call('/delete?job=j1', 'POST')).status).toBe(403);
    expect(await redis.smembers(keys.pausedJobs())).toEqual([]);
  });

  it('lets an operator pause and resume a job and list a queue’s messages', async () => {
    const call = await serve('operator');
    expect(await (await call('/jobs/j1/pause', 'POST')).json()).toEqual({ job: 'j1', paused: true });
    expect(await redis.smembers(keys.pausedJobs())).toEqual(['j1']);
    expect(((await (await call('/jobs')).json()) as Array<{ paused: boolean }>)[0]!.paused).toBe(true);
    expect(await (await call('/jobs/j1/resume', 'POST')).json()).toEqual({ job: 'j1', paused: false });
    expect(await redis.smembers(keys.pausedJobs())).toEqual([]);
    expect((await call('/jobs/j1/pause')).status).toBe(405);
    const list = async (limit: number) => (await (await call(`/queues/${encodeURIComponent('jobs.example/mta1')}/messages?limit=${limit}`)).json()) as Array<Record<string, unknown>>;
    expect(await list(2)).toHaveLength(2);
    // Messages queued in the same millisecond share a due time, so their order is not fixed: compare by recipient.
    const rows = (await list(3)).map((r) => [r.sender, r.recipients, r.job]).sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    expect(rows).toEqual([
      ['sender@example.org', ['a@jobs.example'], 'j1'],
      ['sender@example.org', ['b@jobs.example'], 'j1'],
      ['sender@example.org', ['c@jobs.example'], undefined],
    ]);
    expect((await call(`/queues/${encodeURIComponent('jobs.example/mta1')}/messages?limit=x`)).status).toBe(400);
  });

  it('queues a filtered delete per queue for the delivery processes and refuses bad filters', async () => {
    const call = await serve('operator');
    const dispatcher = new Dispatcher(redis, prefix);
    try {
      const res = await call(`/delete?job=j1&rcpt=${encodeURIComponent('/^a@/')}&queue=${encodeURIComponent('*/mta1')}&dsn=1`, 'POST');
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ queues: ['jobs.example/mta1'], dsn: true });
      const purge = (await dispatcher.bull.getJobs(['waiting'])).filter((j) => j.data.kind === 'purge');
      expect(purge.map((j) => [j.data.queue, j.data.dsn, j.data.filter])).toEqual([['jobs.example/mta1', true, { job: 'j1', rcpt: '/^a@/' }]]);
      expect((await call('/delete', 'POST')).status).toBe(400);
      expect((await call('/delete?older-than=soon', 'POST')).status).toBe(400);
      expect((await call(`/delete?orig=${encodeURIComponent('/(/')}`, 'POST')).status).toBe(400);
      // Nothing is deleted by the HTTP process itself.
      expect(await store.get((await store.queued('jobs.example/mta1'))[0]!)).toBeDefined();
    } finally {
      await dispatcher.close();
    }
  });
});
