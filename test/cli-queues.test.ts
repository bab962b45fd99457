import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageStore, QueueOps } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Each step spawns the CLI (1-3 s on a loaded machine): a test of a dozen steps needs more than the default 30 s.
describe('vmta show queues, pause, resume, retry', { timeout: 180_000 }, () => {
  let t: TestRedis;
  let redis: Redis;
  let store: MessageStore;
  let env: NodeJS.ProcessEnv;
  const vmta = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), ...args], { cwd: root, encoding: 'utf8', env });

  beforeAll(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    store = new MessageStore(redis, { prefix: t.prefix.slice(0, -1) });
    env = { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: t.prefix.slice(0, -1) };
    await store.enqueue(testMessage(['a@big.example', 'b@big.example', 'c@big.example'], { receivedAt: Date.now() - 60_000 }));
    await store.enqueue(testMessage('a@small.example', { vmta: 'mta2' }));
  });
  afterAll(async () => {
    await store.dispatcher.close();
    await t.cleanup();
    redis.disconnect();
  });

  it('lists every queue as JSON with the documented fields, biggest first', () => {
    const r = vmta('show', 'queues', '--json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((q) => q.queue)).toEqual(['big.example/mta1', 'small.example/mta2']);
    expect(rows[0]).toMatchObject({ domain: 'big.example', vmta: 'mta1', queued: 3, inflight: 0, deferred: 0, mode: 'normal', paused: false, delivered: 0, bounced: 0 });
    expect(rows[0]!.oldestAgeSeconds).toBeGreaterThanOrEqual(59);
    const mta2 = JSON.parse(vmta('show', 'queues', '--json', '--vmta', 'mta2').stdout) as Array<{ queue: string }>;
    expect(mta2.map((q) => q.queue)).toEqual(['small.example/mta2']);
  });

  it('prints an aligned table for people', () => {
    const lines = vmta('show', 'queues').stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^QUEUE\s+QUEUED\s+INFLIGHT\s+DEFERRED\s+MODE\s+OLDEST\s+DELIVERED\s+BOUNCED$/);
    expect(lines[1]).toMatch(/^big\.example\/mta1\s+3\s+0\s+0\s+normal/);
    expect(lines[1]!.indexOf('normal')).toBe(lines[0]!.indexOf('MODE'));
    expect(lines[2]!.indexOf('normal')).toBe(lines[0]!.indexOf('MODE'));
  });

  it('pauses and resumes queues by pattern and leaves retry mode on request', async () => {
    const ops = new QueueOps(redis, t.prefix.slice(0, -1));
    const p = vmta('pause', 'queue', '*/mta1');
    expect(p.status).toBe(0);
    expect(p.stdout).toBe('big.example/mta1: paused\n');
    expect((await ops.state('big.example/mta1')).mode).toBe('paused');
    expect((await ops.state('small.example/mta2')).mode).toBe('normal');
    expect(vmta('resume', 'queue', 'big.example/mta1').stdout).toBe('big.example/mta1: normal\n');
    await ops.enterRetry('small.example/mta2', Date.now() + 3_600_000);
    expect(vmta('retry', 'queue', 'small.example/mta2').stdout).toBe('small.example/mta2: normal\n');
    expect(vmta('pause', 'queue', 'nothing/*').status).toBe(1);
    expect(vmta('pause', 'big.example/mta1').status).toBe(2);
  });

  it('pauses a queue ahead of its mail, but refuses a malformed name or a VMTA the configuration does not have', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-cli-pause-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(conf, '<virtual-mta mta1>\n</virtual-mta>\n<virtual-mta-pool pool1>\n  virtual-mta mta1\n</virtual-mta-pool>\n');
    const ops = new QueueOps(redis, t.prefix.slice(0, -1));
    expect(vmta('pause', 'queue', 'later.example/mta1', '--config', conf).stdout).toBe('later.example/mta1: paused\n');
    expect((await ops.state('later.example/mta1')).mode).toBe('paused');
    expect(vmta('resume', 'queue', 'later.example/mta1', '--config', conf).status).toBe(0);
    expect(vmta('pause', 'queue', 'later.example/{default}', '--config', conf).status).toBe(0);
    expect(vmta('resume', 'queue', 'later.example/{default}', '--config', conf).status).toBe(0);
    for (const [queue, why] of [
      ['later.example/mtal', `mtal is not a virtual MTA of ${conf}: no queue later.example/mtal can hold mail`],
      ['later.example/pool1', 'pool1 is a pool, not a virtual MTA: no queue later.example/pool1 can hold mail'],
      // A malformed name is a usage error (exit 2), a VMTA the configuration lacks a configuration one (exit 1).
      ['a/b/c', 'a/b/c is not a queue name: give DOMAIN/VMTA or a DOMAIN, e.g. example.com/mta1'],
      ['later.example/', 'later.example/ is not a queue name: give DOMAIN/VMTA or a DOMAIN, e.g. example.com/mta1'],
    ]) {
      const r = vmta('pause', 'queue', queue!, '--config', conf);
      expect(r.status, queue).toBe(queue!.endsWith('/') || queue!.split('/').length > 2 ? 2 : 1);
      expect(r.stderr).toBe(`vmta pause: ${why}\n`);
      expect((await ops.state(queue!)).mode).toBe('normal');
    }
    const backoff = vmta('set', 'queue', '--mode=backoff', 'later.example/mtal', '--config', conf);
    expect(backoff.status).toBe(1);
    expect(backoff.stderr).toContain(`vmta set: mtal is not a virtual MTA of ${conf}: no queue later.example/mtal can hold mail\n`);
    // A queue that held mail is found whatever the configuration says now.
    expect(vmta('pause', 'queue', 'small.example/mta2', '--config', conf).status).toBe(0);
    expect(vmta('resume', 'queue', 'small.example/mta2', '--config', conf).status).toBe(0);
  });

  it('puts a queue into backoff and back with vmta set queue --mode, and shows why', async () => {
    const ops = new QueueOps(redis, t.prefix.slice(0, -1));
    const b = vmta('set', 'queue', '--mode=backoff', 'big.example/mta1');
    expect(b.status).toBe(0);
    expect(b.stdout).toBe('big.example/mta1: backoff\n');
    expect(vmta('set', 'queue', '--mode=backoff', 'big.example/mta1').stdout).toBe('big.example/mta1: backoff (unchanged)\n');
    const rows = JSON.parse(vmta('show', 'queues', '--json').stdout) as Array<Record<string, unknown>>;
    expect(rows[0]).toMatchObject({ queue: 'big.example/mta1', mode: 'backoff', backoff: { reason: 'set by the operator', rule: '' } });
    expect(Date.parse((rows[0]!.backoff as { since: string }).since)).toBeGreaterThan(Date.now() - 60_000);
    const lines = vmta('show', 'queues').stdout.trim().split('\n');
    expect(lines[0]).toMatch(/BOUNCED\s+BACKOFF$/);
    expect(lines[1]).toMatch(/backoff .*operator since .*: set by the operator$/);
    // a failure while in backoff: retry mode; leaving retry returns to backoff, not to normal
    await ops.enterRetry('big.example/mta1', Date.now() + 3_600_000);
    expect((await ops.state('big.example/mta1')).mode).toBe('retry');
    expect(vmta('retry', 'queue', 'big.example/mta1').stdout).toBe('big.example/mta1: backoff\n');
    expect(vmta('set', 'queue', '--mode=normal', 'big.example/mta1').stdout).toBe('big.example/mta1: normal\n');
    expect((await ops.state('big.example/mta1')).backoff).toBeUndefined();
    expect(vmta('set', 'queue', '--mode=paused', 'big.example/mta1').status).toBe(2);
  });

  it("takes PowerMTA's forms: show queues DOMAIN[/VMTA], topqueues, topdomains, --maxitems, schedule, a domain alone for every VMTA", async () => {
    const ops = new QueueOps(redis, t.prefix.slice(0, -1));
    await store.enqueue(testMessage('b@big.example', { vmta: 'mta2' }));
    const names = (...args: string[]) => (JSON.parse(vmta('show', ...args, '--json').stdout) as Array<{ queue: string }>).map((q) => q.queue);
    expect(names('queues', 'big.example')).toEqual(['big.example/mta1', 'big.example/mta2']);
    expect(names('queues', '*/mta2')).toEqual(['big.example/mta2', 'small.example/mta2']);
    expect(names('queues', 'small.example/mta2')).toEqual(['small.example/mta2']);
    expect(names('topqueues', '--maxitems=1')).toEqual(['big.example/mta1']);
    const domains = JSON.parse(vmta('show', 'topdomains', '--json').stdout) as Array<Record<string, unknown>>;
    expect(domains).toEqual([
      expect.objectContaining({ domain: 'big.example', queues: 2, queued: 4 }),
      expect.objectContaining({ domain: 'small.example', queues: 1, queued: 1 }),
    ]);
    const table = vmta('show', 'topdomains', '--vmta', 'mta2').stdout.trim().split('\n');
    expect(table[0]).toMatch(/^DOMAIN\s+QUEUED\s+INFLIGHT\s+DEFERRED\s+OLDEST\s+DELIVERED\s+BOUNCED\s+QUEUES$/);
    expect(table.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['big.example 1', 'small.example 1']);
    expect(vmta('pause', 'queue', 'big.example').stdout).toBe('big.example/mta1: paused\nbig.example/mta2: paused\n');
    // schedule (retry now) leaves a paused queue paused and clears its retry time
    await ops.enterRetry('big.example/mta2', Date.now() + 3_600_000);
    expect(vmta('schedule', 'big.example/mta2').stdout).toBe('big.example/mta2: paused\n');
    expect((await ops.state('big.example/mta2')).retryAt).toBeUndefined();
    expect(vmta('resume', 'queue', 'big.example').stdout).toBe('big.example/mta1: normal\nbig.example/mta2: normal\n');
    await ops.enterRetry('big.example/mta2', Date.now() + 3_600_000);
    expect(vmta('schedule', '*/mta2').stdout).toBe('big.example/mta2: normal\nsmall.example/mta2: normal\n');
    expect(vmta('schedule', 'nothing.example').status).toBe(1);
    expect(vmta('show', 'queues', '--maxitems=0').status).toBe(2);
  });

  it('answers a bad option or a stray argument with a usage line and exit 2, never exit 70', () => {
    for (const args of [
      ['show', 'queues', '--paused=yes'],
      ['show', 'queues', '--domain'],
      ['show', 'queues', 'a.example', 'b.example'],
      ['show', 'jobs', '--bogus'],
      ['pause', 'queue', 'big.example/mta1', '--bogus'],
      ['set', 'queue', '--bogus', 'big.example/mta1'],
      ['schedule'],
    ]) {
      const r = vmta(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/usage: vmta /);
      expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
  });

  it('says so and exits 69 when Redis cannot be reached', () => {
    env = { ...env, REDIS_URL: 'redis://127.0.0.1:1' };
    const r = vmta('show', 'queues');
    expect(r.status).toBe(69);
    expect(r.stderr).toContain('Redis at redis://127.0.0.1:1 is unreachable');
  });
});
