/**
 * Connections for enqueue + WAIT. WAIT blocks the connection it is sent on and counts that
 * connection's writes, so the enqueue and its WAIT share one connection, and each message needs
 * its own while it waits: on one shared connection the WAITs ran one after another (each up to
 * its timeout when a replica is away), so a held message could reach the end of its hold (and be
 * delivered) before its discard came. Duplicates of the store's connection, made on demand up to
 * `max`; past that, callers wait for one.
 */
import type { Redis } from 'ioredis';
import { redisReady } from './redis.js';

export class WaitPool {
  private readonly idle: Redis[] = [];
  private readonly all: Redis[] = [];
  private readonly waiting: Array<(r: Redis) => void> = [];

  constructor(
    private readonly base: Redis,
    private readonly max: number,
  ) {}

  async use<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = await this.acquire();
    try {
      return await fn(redis);
    } finally {
      const next = this.waiting.shift();
      if (next) next(redis);
      else this.idle.push(redis);
    }
  }

  private async acquire(): Promise<Redis> {
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.all.length >= this.max) return new Promise((resolve) => this.waiting.push(resolve));
    const redis = this.base.duplicate();
    redis.on('error', () => undefined);
    this.all.push(redis);
    // A listener connection has no offline queue: a new one must be ready before its first command.
    await redisReady(redis, 2000).catch(() => undefined);
    return redis;
  }

  disconnect(): void {
    for (const r of this.all.splice(0)) r.disconnect();
    this.idle.length = 0;
  }
}
