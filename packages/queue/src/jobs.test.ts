import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedQueueTestbed, testMessage } from './testing/index.js';
import { CLAIM_SCAN_MAX, JOB_PAUSE_PARK_MS, listJobs, pauseJob, readEnvelopes, resumeJob } from './index.js';

describe('jobs in the queue', () => {
  const bed = sharedQueueTestbed(beforeAll, afterAll);

  it('stores the job in the meta hash and counts its recipients, absent when there is no job', async () => {
    const { store, redis } = bed;
    const withJob = await store.enqueue(testMessage(['a@count.example', 'b@count.example'], { job: 'count-1' }));
    const without = await store.enqueue(testMessage(['c@count.example']));
    expect(await redis.hget(store.keys.messageMeta(withJob.id), 'job')).toBe('count-1');
    expect(await redis.hexists(store.keys.messageMeta(without.id), 'job')).toBe(0);
    expect((await store.get(withJob.id))?.job).toBe('count-1');
    expect((await readEnvelopes(redis, store.keys, [withJob.id, without.id])).map((e) => e?.job)).toEqual(['count-1', undefined]);
    expect((await listJobs(redis, store.keys)).find((j) => j.job === 'count-1')).toMatchObject({ received: 2, queued: 2, delivered: 0, bounced: 0, paused: false });
    expect(await redis.ttl(store.keys.jobStats('count-1'))).toBeGreaterThan(0);
  });

  it('claims around a paused job: its mail is put back ahead, the rest is claimed, resume makes it due', async () => {
    const { store, ops, redis } = bed;
    const q = 'park.example/mta1';
    const now = Date.now();
    const paused = [];
    for (let i = 0; i < 3; i++) paused.push((await store.enqueue(testMessage(`p${i}@park.example`, { job: 'p', receivedAt: now - 10_000 + i }))).id);
    const other = (await store.enqueue(testMessage('o@park.example', { job: 'o', receivedAt: now - 5_000 }))).id;
    const none = (await store.enqueue(testMessage('n@park.example', { receivedAt: now - 4_000 }))).id;
    await pauseJob(redis, store.keys, 'p');
    const share = await ops.claimShare(q, 0, now, 10, 1);
    expect(share).toEqual({ ids: [other, none], remaining: 0 });
    for (const id of paused) expect(Number(await redis.zscore(store.keys.queueReady(q), id))).toBe(now + JOB_PAUSE_PARK_MS);
    expect(await ops.claimShare(q, 1, now, 10, 1)).toMatchObject({ ids: [], remaining: 0 });
    expect((await listJobs(redis, store.keys)).find((j) => j.job === 'p')?.paused).toBe(true);

    // A message of the job waiting for a retry an hour ahead keeps its retry time through the resume.
    const retrying = (await store.enqueue(testMessage('r@park.example', { job: 'p', receivedAt: now - 3_000 }))).id;
    await redis.zadd(store.keys.queueReady(q), now + 3_600_000, retrying);
    expect(await resumeJob(redis, store.keys, 'p', now + 1)).toEqual({ queues: [q], messages: 4 });
    expect((await ops.claimShare(q, 1, now + 1, 10, 1)).ids.sort()).toEqual([...paused].sort());
    expect(Number(await redis.zscore(store.keys.queueReady(q), retrying))).toBe(now + 3_600_000);
  });

  it('looks at no more than CLAIM_SCAN_MAX due messages in one claim when a paused job fills the queue', async () => {
    const { store, ops, redis } = bed;
    const q = 'flood.example/mta1';
    const now = Date.now();
    await pauseJob(redis, store.keys, 'flood');
    for (let i = 0; i < CLAIM_SCAN_MAX + 10; i++) await store.enqueue(testMessage(`f${i}@flood.example`, { job: 'flood', receivedAt: now - 20_000 + i }));
    const last = (await store.enqueue(testMessage('last@flood.example', { receivedAt: now - 1_000 }))).id;
    const first = await ops.claimShare(q, 0, now, 5, 1);
    expect(first.ids).toEqual([]);
    expect(first.remaining).toBe(11);
    expect(await redis.zcount(store.keys.queueReady(q), '-inf', now)).toBe(11);
    // The next claim gets past the rest of the paused mail to the message that may go.
    expect(await ops.claimShare(q, 0, now, 5, 1)).toEqual({ ids: [last], remaining: 0 });
  });
});
