import { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, Keys, listProcesses, newProcessId, registerProcess, type ProcessRegistration } from './index.js';

describe('whether a process is alive', () => {
  it.each([
    ['seen just now', 1_000, 5_000, 1_000, true],
    ['two heartbeats missed', 0, 5_000, 10_000, true],
    ['exactly three heartbeats missed', 0, 5_000, 15_000, true],
    ['more than three heartbeats missed', 0, 5_000, 15_001, false],
    ['a slower heartbeat gives more time', 0, 30_000, 60_000, true],
  ])('%s', (_name, lastSeen, heartbeatMs, now, alive) => {
    expect(isAlive(lastSeen, heartbeatMs, now)).toBe(alive);
  });
});

describe('process registry', () => {
  let t: TestRedis;
  let redis: Redis;
  let keys: Keys;
  let prefix: string;
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const registrations: ProcessRegistration[] = [];

  beforeAll(async () => {
    t = await getTestRedis();
    prefix = t.prefix.slice(0, -1);
    redis = new Redis(t.url);
    keys = new Keys(prefix);
  });
  afterAll(async () => {
    for (const r of registrations) r.stop();
    await t.cleanup();
    redis.disconnect();
  });

  async function register(role: 'all' | 'listener' | 'delivery', host: string, extra: { vmtas?: string[]; listeners?: string[] } = {}) {
    const r = await registerProcess(redis, { role, host, pid: 4242, vmtas: extra.vmtas ?? [], listeners: extra.listeners ?? [], version: '0.1.0' }, { prefix, now, heartbeatMs: 5_000 });
    registrations.push(r);
    return r;
  }

  it('makes ids of host, pid and a random part, never twice the same', () => {
    const a = newProcessId('mx1', 12);
    expect(a).toMatch(/^mx1:12:[0-9a-f]{8}$/);
    expect(newProcessId('mx1', 12)).not.toBe(a);
  });

  it('lists a registered process with its role, host, VMTAs and listeners, alive', async () => {
    clock = 1_700_000_000_000;
    const d = await register('delivery', 'host-a', { vmtas: ['mta1', 'mta2'] });
    const l = await register('listener', 'host-b', { listeners: ['127.0.0.1:25'] });
    const rows = await listProcesses(redis, keys, { now: clock });
    expect(rows.map((r) => r.id).sort()).toEqual([d.id, l.id].sort());
    expect(rows.find((r) => r.id === d.id)).toMatchObject({ role: 'delivery', host: 'host-a', pid: 4242, vmtas: ['mta1', 'mta2'], listeners: [], alive: true, startedAt: clock, lastSeen: clock, version: '0.1.0' });
    expect(rows.find((r) => r.id === l.id)).toMatchObject({ role: 'listener', listeners: ['127.0.0.1:25'], vmtas: [], alive: true });
    await d.deregister();
    await l.deregister();
  });

  it('shows a process that stopped heart-beating as not alive, and one that beats again as alive', async () => {
    clock = 1_700_000_100_000;
    const quiet = await register('delivery', 'host-q');
    const beating = await register('delivery', 'host-r');
    clock += 14_000;
    await beating.heartbeat();
    clock += 2_000; // 16 s after the quiet one's last heartbeat: three 5 s heartbeats missed
    let rows = await listProcesses(redis, keys, { now: clock });
    expect(rows.find((r) => r.id === quiet.id)).toMatchObject({ alive: false, lastSeen: clock - 16_000 });
    expect(rows.find((r) => r.id === beating.id)).toMatchObject({ alive: true, lastSeen: clock - 2_000 });
    expect(rows[0]!.id).toBe(beating.id); // alive first
    await quiet.heartbeat();
    rows = await listProcesses(redis, keys, { now: clock });
    expect(rows.find((r) => r.id === quiet.id)?.alive).toBe(true);
    await quiet.deregister();
    await beating.deregister();
  });

  it('forgets a process silent for longer than pruneAfterMs', async () => {
    clock = 1_700_000_200_000;
    const gone = await register('all', 'host-gone');
    const rows = await listProcesses(redis, keys, { now: clock + 60_000, pruneAfterMs: 120_000 });
    expect(rows.find((r) => r.id === gone.id)?.alive).toBe(false);
    expect(await listProcesses(redis, keys, { now: clock + 121_000, pruneAfterMs: 120_000 })).toEqual([]);
    expect(await redis.zscore(keys.processIndex(), gone.id)).toBeNull();
    gone.stop();
  });

  it('removes a process at once when it deregisters, and a heartbeat afterwards does not bring it back', async () => {
    clock = 1_700_000_300_000;
    const r = await register('all', 'host-x');
    await r.deregister();
    await r.heartbeat();
    expect(await listProcesses(redis, keys, { now: clock })).toEqual([]);
    expect(await redis.exists(keys.processRecord(r.id))).toBe(0);
  });

  it('writes its record again when it expired while the process was still beating', async () => {
    clock = 1_700_000_400_000;
    const r = await register('delivery', 'host-y', { vmtas: ['mta9'] });
    await redis.del(keys.processRecord(r.id));
    await r.heartbeat();
    expect((await listProcesses(redis, keys, { now: clock })).find((p) => p.id === r.id)).toMatchObject({ vmtas: ['mta9'], alive: true });
    await r.deregister();
  });

  it('shows what a process serves after a reload changed it', async () => {
    const r = await register('delivery', 'reload-host', { vmtas: ['mta1'], listeners: [] });
    await r.update({ vmtas: ['mta1', 'mta2'] });
    expect((await listProcesses(redis, keys, { now: clock })).find((p) => p.id === r.id)).toMatchObject({ vmtas: ['mta1', 'mta2'], alive: true });
  });

  it('keeps heart-beating on its own timer', async () => {
    const r = await registerProcess(redis, { role: 'all', vmtas: [], listeners: [] }, { prefix, heartbeatMs: 20 });
    registrations.push(r);
    const first = Number(await redis.zscore(keys.processIndex(), r.id));
    await expect.poll(async () => Number(await redis.zscore(keys.processIndex(), r.id)), { timeout: 5_000 }).toBeGreaterThan(first);
    await r.deregister();
  });

  it('beats at once when its connection is back, putting back a record a failover lost', async () => {
    const own = new Redis(t.url);
    const r = await registerProcess(own, { role: 'delivery', vmtas: ['mta1'], listeners: [] }, { prefix, heartbeatMs: 60_000 });
    registrations.push(r);
    try {
      // Lost with the old primary; the next tick is a minute away.
      await redis.del(keys.processRecord(r.id));
      await redis.zrem(keys.processIndex(), r.id);
      await redis.call('CLIENT', 'KILL', 'ID', String(await own.call('CLIENT', 'ID')));
      await expect.poll(() => redis.exists(keys.processRecord(r.id)), { timeout: 3_000, interval: 50 }).toBe(1);
      expect(await redis.zscore(keys.processIndex(), r.id)).not.toBeNull();
      await r.deregister();
    } finally {
      own.disconnect();
    }
  });
});
