/**
 * Cluster-wide counting against a RATE ("5/10m"), held in Redis so every
 * process on every host sees the same count. Fixed windows: cheap (one INCR
 * and one PEXPIRE per hit) and good enough for lockouts.
 */
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';

export interface RateLimit {
  count: number;
  perMs: number;
}

export class RateCounter {
  private readonly keys: Keys;
  constructor(
    private readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = new Keys(prefix);
  }

  private key(name: string, subject: string, rate: RateLimit, now: number): string {
    return this.keys.rateWindow(name, subject, Math.floor(now / rate.perMs) * rate.perMs);
  }

  /** Counts one event; returns the count in the current window. */
  async hit(name: string, subject: string, rate: RateLimit, now = Date.now()): Promise<number> {
    const key = this.key(name, subject, rate, now);
    const [[, count]] = (await this.redis.multi().incr(key).pexpire(key, rate.perMs * 2).exec()) as [[null, number], unknown];
    return count;
  }

  /**
   * Takes one of the window's `rate.count` events before the event happens, atomically (INCR), so that
   * parallel callers can never take more than the limit between them. `allowed` false: the window is
   * full (nothing is kept). `giveBack` returns the event, e.g. an AUTH attempt that succeeded.
   */
  async take(name: string, subject: string, rate: RateLimit, now = Date.now()): Promise<{ allowed: boolean; giveBack(): Promise<void> }> {
    const key = this.key(name, subject, rate, now);
    const count = await this.hit(name, subject, rate, now);
    const giveBack = async () => {
      await this.redis.decr(key);
    };
    if (count > rate.count) {
      await giveBack();
      return { allowed: false, giveBack: async () => undefined };
    }
    return { allowed: true, giveBack };
  }

  /** True once the window has seen `rate.count` events or more. */
  async exceeded(name: string, subject: string, rate: RateLimit, now = Date.now()): Promise<boolean> {
    const v = await this.redis.get(this.key(name, subject, rate, now));
    return Number(v ?? 0) >= rate.count;
  }
}
