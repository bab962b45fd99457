/** `vmta show queues`, `pause|resume|retry queue DOMAIN/VMTA`: queues of the whole cluster, through Redis. */
import { parseArgs } from 'node:util';
import { createRedis, Dispatcher, Keys, QueueOps, queueRows, splitQueueName } from '@vmta/queue';
import type { Redis } from 'ioredis';
import { EXIT } from '../exit-codes.js';
import { redisTarget } from '../redis-target.js';

export interface Cluster {
  redis: Redis;
  ops: QueueOps;
  keys: Keys;
}

export async function withCluster(run: (c: Cluster) => Promise<number>): Promise<number> {
  const target = redisTarget();
  if (!target) {
    process.stderr.write('vmta: no Redis to talk to: set REDIS_URL (or run from the directory where `vmta start` keeps data/)\n');
    return EXIT.unavailable;
  }
  const redis = createRedis(target.url, 'cli');
  redis.on('error', () => undefined);
  try {
    await redis.ping();
  } catch (err) {
    process.stderr.write(`vmta: Redis at ${target.url} is unreachable: ${(err as Error).message}\n`);
    redis.disconnect();
    return EXIT.unavailable;
  }
  try {
    return await run({ redis, ops: new QueueOps(redis, target.prefix), keys: new Keys(target.prefix) });
  } finally {
    redis.disconnect();
  }
}

/** `*` in a queue pattern matches any run of characters. */
export function matcher(pattern: string): (name: string) => boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 'i');
  return (name) => re.test(name);
}

export async function showQueues(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, domain: { type: 'string' }, vmta: { type: 'string' }, config: { type: 'string' } } });
  return withCluster(async ({ redis, ops, keys }) => {
    const rows = (await queueRows(redis, keys, ops)).filter(
      (r) => (!values.domain || r.domain.toLowerCase() === values.domain.toLowerCase()) && (!values.vmta || r.vmta.toLowerCase() === values.vmta.toLowerCase()),
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows.map(({ retryAt, ...r }) => ({ ...r, ...(retryAt ? { retryAt: new Date(retryAt).toISOString() } : {}) })), null, 2)}\n`);
      return EXIT.ok;
    }
    const table = [['QUEUE', 'QUEUED', 'INFLIGHT', 'DEFERRED', 'MODE', 'OLDEST', 'DELIVERED', 'BOUNCED']].concat(
      rows.map((r) => [r.queue, r.queued, r.inflight, r.deferred, r.mode, `${r.oldestAgeSeconds}s`, r.delivered, r.bounced].map(String)),
    );
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) process.stdout.write(`${row.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
    return EXIT.ok;
  });
}

export async function queueAction(action: 'pause' | 'resume' | 'retry', args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
  const [what, pattern] = positionals;
  if (what !== 'queue' || !pattern || !pattern.includes('/')) {
    process.stderr.write(`usage: vmta ${action} queue DOMAIN/VMTA   (patterns like */mta1 allowed)\n`);
    return EXIT.usage;
  }
  return withCluster(async ({ redis, ops, keys }) => {
    const match = matcher(pattern);
    const names = (await redis.smembers(keys.queueIndex())).filter(match);
    if (names.length === 0 && !pattern.includes('*')) names.push(pattern);
    const dispatcher = new Dispatcher(redis, keys.prefix);
    try {
      for (const name of names) {
        const ref = { queue: name, ...splitQueueName(name) };
        if (action === 'pause') await ops.pause(name);
        if (action === 'resume') await ops.resume(name);
        if (action === 'retry') await ops.leaveRetry(name);
        if (action !== 'pause') await dispatcher.wake(ref);
        process.stdout.write(`${name}: ${(await ops.state(name)).mode}\n`);
      }
    } finally {
      await dispatcher.close();
    }
    if (names.length === 0) process.stderr.write(`vmta ${action}: no queue matches ${pattern}\n`);
    return names.length === 0 ? EXIT.configInvalid : EXIT.ok;
  });
}
