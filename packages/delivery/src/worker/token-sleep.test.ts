import { DelayedError, type Job } from 'bullmq';
import { SlotLostError, type QueueOps, type TokenData } from '@vmta/queue';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { HandBack, LimitWait, QueueFailure, sleepOrRethrow } from './token-sleep.js';

describe('a token run that lost its slot', () => {
  const q = 'lost.example/mta1';
  function context(requeue: () => Promise<number>) {
    const job = { moveToDelayed: vi.fn(async () => undefined) } as unknown as Job<TokenData>;
    const ops = { requeueInflight: vi.fn(requeue), enterRetry: vi.fn(async () => 1) } as unknown as QueueOps;
    return { job, ops, ctx: { job, token: 't', ops, queue: q, vmta: 'mta1', slot: 0, run: 'r', now: Date.now, log: pino({ level: 'silent' }), retryAfterMs: [60_000], failures: 0 } };
  }

  it.each([
    ['a hand-back at shutdown', new HandBack()],
    ['a limit wait', new LimitWait(Date.now() + 1000, 'max-msg-rate')],
    ['a queue failure', new QueueFailure('every host failed')],
  ])('leaves the token job alone when %s is refused because the slot was taken', async (_name, err) => {
    const { job, ctx } = context(() => Promise.reject(new SlotLostError(q, 0)));
    await expect(sleepOrRethrow(err, ctx)).rejects.toBeInstanceOf(DelayedError);
    expect(job.moveToDelayed).not.toHaveBeenCalled();
  });

  it('stops without giving anything back when a claim or an outcome was refused', async () => {
    const { job, ops, ctx } = context(async () => 0);
    await expect(sleepOrRethrow(new SlotLostError(q, 0), ctx)).rejects.toBeInstanceOf(DelayedError);
    expect(ops.requeueInflight).not.toHaveBeenCalled();
    expect(job.moveToDelayed).not.toHaveBeenCalled();
  });

  it('gives the mail back as the holding run and sleeps when the slot is still its own', async () => {
    const { job, ops, ctx } = context(async () => 2);
    await expect(sleepOrRethrow(new HandBack(), ctx)).rejects.toBeInstanceOf(DelayedError);
    expect(ops.requeueInflight).toHaveBeenCalledWith(q, 0, expect.any(Number), 'r');
    expect(job.moveToDelayed).toHaveBeenCalledOnce();
  });
});
