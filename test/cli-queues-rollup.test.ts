/** `vmta show queues` names the member domains of a rolled-up queue (MX rollup), in the table and as JSON (the rows GET /queues serves). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { MessageStore } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('vmta show queues with MX rollup', () => {
  it('lists the rolled-up queue with the domains rolled up into it', { timeout: 30_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const redis = new Redis(t.url);
    const store = new MessageStore(redis, { prefix });
    const env = { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: prefix };
    const vmta = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), ...args], { cwd: root, encoding: 'utf8', env });
    try {
      const now = Date.now();
      await store.rollups.record('b.example', 'provider.rollup', now + 60_000);
      await store.rollups.record('a.example', 'provider.rollup', now + 60_000);
      await store.rollups.record('gone.example', 'provider.rollup', now - 1);
      await store.rollups.record('own.example', '', now + 60_000);
      const queueDomains = new Map([
        ['a.example', 'provider.rollup'],
        ['b.example', 'provider.rollup'],
      ]);
      await store.enqueue(testMessage(['x@a.example', 'x@b.example', 'x@own.example'], { receivedAt: now }), undefined, { queueDomains });
      const r = vmta('show', 'queues', '--json');
      expect(r.status).toBe(0);
      const rows = JSON.parse(r.stdout) as Array<{ queue: string; queued: number; members?: string[] }>;
      expect(rows.map((q) => [q.queue, q.queued, q.members])).toEqual([
        ['provider.rollup/mta1', 2, ['a.example', 'b.example']],
        ['own.example/mta1', 1, undefined],
      ]);
      expect(vmta('show', 'queues').stdout).toContain('provider.rollup/mta1 rolls up: a.example, b.example\n');
    } finally {
      await store.dispatcher.close();
      redis.disconnect();
      await t.cleanup();
    }
  });
});
