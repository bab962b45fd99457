import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { Keys, webhookGroup } from '@vmta/queue';
import { getTestRedis, pollUntil, type TestRedis } from '@vmta/testing';
import { trimAccounted } from '../accounting/stream-trim.js';
import { startWebhooks, type RunningWebhooks } from './webhook-service.js';
import { startWebhookReceiver } from '../testing/test-webhook-receiver.js';

const SECRET = 's3cret';

/** pollUntil, with 20 s to wait by default. */
const until = <T>(what: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> => pollUntil(what, ok, timeoutMs);

const receiver = (answer: (id: string, attempt: number) => number | 'hang') => startWebhookReceiver({ secret: SECRET, answer });

const conf = (url: string, extra: string[] = []) =>
  ['<webhook platform>', `  url ${url}`, `  secret ${SECRET}`, '  events d,b,s', ...extra, '</webhook>'].join('\n');
// A loaded machine may answer late: a 2xx after the timeout counts as failed and is sent again (same id).
const TIMING = { timeoutMs: 1000, retryInitialMs: 50, retryMaxMs: 200 };
const distinct = (ids: readonly string[]) => [...new Set(ids)].sort();

describe('webhook forwarder', () => {
  let t: TestRedis;
  let redis: Redis;
  let key: string;
  let prefix: string;
  const running: RunningWebhooks[] = [];
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    prefix = t.prefix.slice(0, -1);
    key = new Keys(prefix).accounting();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((w) => w.close()));
    await Promise.all(closers.splice(0).map((c) => c()));
    redis.disconnect();
    await t.cleanup();
  });

  const start = async (url: string, extra: string[] = [], consumer = 'A', claimIdleMs = 60_000) => {
    const w = await startWebhooks({ config: loadConfigText(conf(url, extra)), redisUrl: t.url, prefix, consumer, blockMs: 100, batchSize: 10, claimIdleMs, timing: TIMING });
    running.push(w);
    // The group starts at `$`: events are written once it exists.
    await until(() => redis.exists(key), (n) => n === 1);
    return w;
  };
  const addEvents = async (n: number, type = 'd'): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(String(await redis.xadd(key, '*', 'type', type, 'timeLogged', new Date().toISOString(), 'rcpt', `u${i}@x.example`, 'msgId', `m${i}`)));
    return ids;
  };

  it('delivers each event once, signed, even when the endpoint fails twice first (500, then a timeout)', async () => {
    const r = await receiver((_id, attempt) => (attempt === 1 ? 500 : attempt === 2 ? 'hang' : 200));
    closers.push(r.close);
    await start(r.url);
    const ids = await addEvents(12);
    await addEvents(3, 'r'); // not a wanted type: acked without a POST
    await until(() => distinct(r.accepted.map((a) => a.id)).length, (n) => n >= 12);
    await new Promise((res) => setTimeout(res, 300)); // room for a wrong extra delivery to show
    // Each event once by its idempotency key; a repeat (a late 2xx) carries the same key and body.
    expect(distinct(r.accepted.map((a) => a.id))).toEqual([...ids].sort());
    expect(r.accepted.every((a) => a.body.id === a.id && a.body.type === 'd' && a.signatureOk)).toBe(true);
    // Every one failed twice (500, then no answer) before it was taken.
    expect(ids.every((id) => (r.attempts.get(id) ?? 0) >= 3)).toBe(true);
    expect(r.attempts.size).toBe(12);
    // Everything acked, and the stream trimmed behind the group.
    expect((await until(() => redis.xpending(key, webhookGroup('platform')) as Promise<unknown[]>, (p) => p[0] === 0))[0]).toBe(0);
    expect(await until(() => redis.xlen(key), (n) => n === 0)).toBe(0);
  });

  it('with batch-size, posts up to that many events as one JSON array, each event once, even when every batch fails twice first', async () => {
    const r = await receiver((_id, attempt) => (attempt === 1 ? 500 : attempt === 2 ? 'hang' : 200));
    closers.push(r.close);
    await start(r.url, ['  batch-size 5', '  batch-wait 1s']);
    const ids = await addEvents(12);
    await addEvents(2, 'r'); // not wanted: acked without being sent
    await until(() => distinct(r.accepted.map((a) => a.id)).length, (n) => n >= 12);
    await new Promise((res) => setTimeout(res, 300));
    expect(distinct(r.accepted.map((a) => a.id))).toEqual([...ids].sort());
    expect(r.accepted.every((a) => a.body.type === 'd' && a.signatureOk && a.batch >= 1 && a.batch <= 5 && a.batchHeader === String(a.batch))).toBe(true);
    // Fewer POSTs than events: the batch-wait let events gather (12 events in at most 5 + a few batches).
    expect(r.attempts.size).toBeLessThan(12);
    // Every batch failed twice (500, then no answer) before it was taken, and was retried as the same batch.
    expect([...r.attempts.values()].every((n) => n >= 3)).toBe(true);
    expect((await until(() => redis.xpending(key, webhookGroup('platform')) as Promise<unknown[]>, (p) => p[0] === 0))[0]).toBe(0);
  });

  it('never trims events the webhook has not acknowledged', async () => {
    let up = false;
    const r = await receiver(() => (up ? 200 : 503));
    closers.push(r.close);
    await start(r.url);
    const ids = await addEvents(20);
    await until(() => r.attempts.size, (n) => n > 0);
    await new Promise((res) => setTimeout(res, 300));
    // Another reader trimming (an <acct-file> writer does this after each batch) keeps them all.
    expect(await trimAccounted(redis, key)).toBe(0);
    expect(await redis.xlen(key)).toBe(20);
    up = true;
    await until(() => distinct(r.accepted.map((a) => a.id)).length, (n) => n >= 20);
    expect(distinct(r.accepted.map((a) => a.id))).toEqual([...ids].sort());
    expect(await until(() => redis.xlen(key), (n) => n === 0)).toBe(0);
  });

  it('two processes share the group: each event is sent by one of them, once', async () => {
    const r = await receiver(() => 200);
    closers.push(r.close);
    await start(r.url, [], 'A');
    await start(r.url, [], 'B');
    const ids = await addEvents(60);
    await until(() => r.accepted.length, (n) => n >= 60);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.accepted.map((a) => a.id).sort()).toEqual([...ids].sort());
    const consumers = (await redis.xinfo('CONSUMERS', key, webhookGroup('platform'))) as unknown[][];
    expect(consumers.map((c) => c[1]).sort()).toEqual(['A', 'B']);
  });

  it('a process retrying for longer than the claim idle time keeps its events: no other process sends them too', async () => {
    let up = false;
    const r = await receiver(() => (up ? 200 : 503));
    closers.push(r.close);
    await start(r.url, [], 'A', 300);
    await start(r.url, [], 'B', 300);
    const ids = await addEvents(30);
    await until(() => r.attempts.size, (n) => n >= 4);
    await new Promise((res) => setTimeout(res, 1500)); // five claim idle times of failures
    up = true;
    await until(() => r.accepted.length, (n) => n >= 30);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.accepted.map((a) => a.id).sort()).toEqual([...ids].sort());
  });

  it('a reload starts a new webhook and stops a removed one (its group stays)', async () => {
    const r = await receiver(() => 200);
    closers.push(r.close);
    const w = await startWebhooks({ config: loadConfigText('host-name a.example'), redisUrl: t.url, prefix, consumer: 'A', blockMs: 100, timing: TIMING });
    running.push(w);
    expect(await redis.exists(key)).toBe(0);
    w.reload(loadConfigText(conf(r.url)));
    await until(() => redis.exists(key), (n) => n === 1);
    const [first] = await addEvents(1);
    await until(() => r.accepted.length, (n) => n >= 1);
    expect(r.accepted.map((a) => a.id)).toEqual([first]);
    w.reload(loadConfigText('host-name a.example'));
    // A clean close leaves the group when it holds nothing: the forwarder has stopped.
    expect(await until(async () => ((await redis.xinfo('CONSUMERS', key, webhookGroup('platform'))) as unknown[]).length, (n) => n === 0)).toBe(0);
    await addEvents(1);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.accepted.length).toBe(1);
    expect(await redis.xlen(key)).toBe(1); // kept for the group of the removed webhook
  });

  it('after kill -9 of the forwarding process, a new process delivers every event (duplicates only with the same id)', async () => {
    const r = await receiver(() => 200);
    closers.push(r.close);
    const slow = await receiver(() => 200);
    closers.push(slow.close);
    const child = (): ChildProcess => {
      const script = [
        "import { loadConfigText } from '@vmta/config';",
        `import { startWebhooks } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};`,
        `await startWebhooks({ config: loadConfigText(${JSON.stringify(conf(r.url, ['  concurrency 2']))}), redisUrl: ${JSON.stringify(t.url)}, prefix: ${JSON.stringify(prefix)}, blockMs: 100, batchSize: 5, claimIdleMs: 400, timing: ${JSON.stringify(TIMING)} });`,
        "process.stdout.write('ready\\n');",
      ].join('\n');
      const cwd = fileURLToPath(new URL('../..', import.meta.url));
      const p = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
      closers.push(async () => void p.kill('SIGKILL'));
      return p;
    };
    const first = child();
    await new Promise<void>((res) => first.stdout!.once('data', () => res()));
    await until(() => redis.exists(key), (n) => n === 1);
    const ids = await addEvents(200);
    await until(() => r.accepted.length, (n) => n >= 20);
    first.kill('SIGKILL');
    const before = r.accepted.length;
    expect(before).toBeLessThan(200);
    const second = child();
    await new Promise<void>((res) => second.stdout!.once('data', () => res()));
    await until(() => new Set(r.accepted.map((a) => a.id)).size, (n) => n >= 200, 30_000);
    expect(new Set(r.accepted.map((a) => a.id))).toEqual(new Set(ids));
    expect(r.accepted.every((a) => a.body.id === a.id && a.signatureOk)).toBe(true);
    expect((await until(() => redis.xpending(key, webhookGroup('platform')) as Promise<unknown[]>, (p) => p[0] === 0))[0]).toBe(0);
  }, 60_000);
});
