import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedQueueTestbed, testMessage } from './testing/index.js';

describe('claimShare with a least count (a fast connection)', () => {
  const bed = sharedQueueTestbed(beforeAll, afterAll);

  async function queueOf(name: string, messages: number): Promise<{ q: string; now: number }> {
    const now = Date.now();
    for (let i = 0; i < messages; i++) await bed.store.enqueue(testMessage(`r${i}@${name}`, { receivedAt: now - 1_000 + i }));
    return { q: `${name}/mta1`, now };
  }

  it('takes its share only without one: one of six due over twenty connections', async () => {
    const { q, now } = await queueOf('share.example', 6);
    expect(await bed.ops.claimShare(q, 0, now, 50, 20)).toMatchObject({ remaining: 5 });
  });

  it('takes the least count when the share is smaller, never more than is due', async () => {
    const { q, now } = await queueOf('least.example', 6);
    const first = await bed.ops.claimShare(q, 0, now, 50, 20, undefined, undefined, 4);
    expect(first.ids).toHaveLength(4);
    expect(first.remaining).toBe(2);
    const second = await bed.ops.claimShare(q, 1, now, 50, 20, undefined, undefined, 4);
    expect(second.ids).toHaveLength(2);
    expect(second.remaining).toBe(0);
  });

  it('takes the share when it is larger than the least count, and never more than the limit', async () => {
    const { q, now } = await queueOf('larger.example', 12);
    expect((await bed.ops.claimShare(q, 0, now, 50, 2, undefined, undefined, 3)).ids).toHaveLength(6);
    expect((await bed.ops.claimShare(q, 1, now, 4, 1, undefined, undefined, 10)).ids).toHaveLength(4);
  });
});
