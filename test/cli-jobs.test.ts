import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Dispatcher, Keys, MessageStore, type NewMessage } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('vmta show jobs, pause/resume job, show messages, delete by filter', () => {
  let t: TestRedis;
  let redis: Redis;
  let store: MessageStore;
  let dispatcher: Dispatcher;
  let keys: Keys;
  let env: NodeJS.ProcessEnv;
  const vmta = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), ...args], { cwd: root, encoding: 'utf8', env });
  const msg = (to: string, extra: Partial<NewMessage> = {}): NewMessage => testMessage(to, { mailFrom: 's@example.org', receivedAt: Date.now() - 60_000, ...extra });

  beforeAll(async () => {
    t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    redis = new Redis(t.url);
    store = new MessageStore(redis, { prefix });
    dispatcher = new Dispatcher(redis, prefix);
    keys = new Keys(prefix);
    env = { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: prefix };
    await store.enqueue(msg('a@jobs.example', { job: 'july' }));
    await store.enqueue(msg('b@jobs.example', { job: 'july' }));
    await store.enqueue(msg('c@jobs.example', { job: 'june', mailFrom: 'other@example.org' }));
  });
  afterAll(async () => {
    await dispatcher.close();
    await store.dispatcher.close();
    await t.cleanup();
    redis.disconnect();
  });

  it('lists jobs as JSON and as a table', () => {
    const r = vmta('show', 'jobs', '--json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((j) => [j.job, j.received, j.queued, j.delivered, j.bounced, j.paused]).sort()).toEqual([
      ['july', 2, 2, 0, 0, false],
      ['june', 1, 1, 0, 0, false],
    ]);
    expect(String(rows[0]!.firstSeen)).toMatch(/^\d{4}-\d\d-\d\dT/);
    const lines = vmta('show', 'jobs').stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+QUEUED\s+DELIVERED\s+BOUNCED\s+STATE\s+FIRST SEEN\s+LAST SEEN$/);
    expect(lines).toHaveLength(3);
  });

  it('pauses and resumes one job', async () => {
    expect(vmta('pause', 'job', 'july').stdout).toBe('job july: paused\n');
    expect(await redis.smembers(keys.pausedJobs())).toEqual(['july']);
    const rows = JSON.parse(vmta('show', 'jobs', '--json').stdout) as Array<{ job: string; paused: boolean }>;
    expect(rows.find((j) => j.job === 'july')?.paused).toBe(true);
    expect(vmta('resume', 'job', 'july').stdout).toBe('job july: resumed\n');
    expect(await redis.smembers(keys.pausedJobs())).toEqual([]);
    expect(vmta('pause', 'job').status).toBe(2);
  });

  it('shows the messages of a queue', () => {
    const r = vmta('show', 'messages', '--queue', 'jobs.example/mta1', '--limit', '2', '--json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ sender: 's@example.org', job: 'july', recipients: ['a@jobs.example'], attempts: 0 });
    const lines = vmta('show', 'messages', '--queue', 'jobs.example/mta1').stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+SENDER\s+RECIPIENTS\s+AGE\s+ATTEMPTS\s+LAST REPLY$/);
    expect(lines).toHaveLength(4);
    expect(vmta('show', 'messages').status).toBe(2);
  });

  it('asks for a filtered delete per queue, refusing bad arguments', async () => {
    const r = vmta('delete', '--jobId=june', '--orig', '/@example\\.org$/', '--older-than', '30s');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('jobs.example/mta1: matching mail to delete (no DSN)');
    const jobs = await dispatcher.bull.getJobs(['waiting', 'delayed', 'active', 'completed']);
    const purge = jobs.find((j) => j.data.kind === 'purge');
    expect(purge?.data).toMatchObject({ queue: 'jobs.example/mta1', dsn: false, filter: { job: 'june', orig: '/@example\\.org$/' } });
    expect(purge!.data.before!).toBeLessThanOrEqual(Date.now() - 30_000);
    expect(vmta('delete', '--rcpt', '/(/').status).toBe(2);
    expect(vmta('delete', '--older-than', 'soon').status).toBe(2);
    expect(vmta('delete').status).toBe(2);
  });
});
