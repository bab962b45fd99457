/**
 * Per-user injection rate: `http-inject-max-request-rate` of the <smtp-user> (e.g. 600/1m), counted in
 * Redis fixed windows (RateCounter) so every listener process of the cluster shares one count. A
 * request over it gets 429 with Retry-After: the seconds until the window ends. Taken after the
 * request authenticated, before its body is read.
 */
import type { RateLimit, VmtaConfig } from '@vmta/config';
import type { RateCounter } from '@vmta/queue';
import type { Logger } from 'pino';
import { InjectError } from './inject-error.js';

/** Counter name in Redis (the key also holds the user and the window start). */
export const INJECT_REQUEST_COUNTER = 'inject-requests';

/** The user's request rate, or undefined when unlimited. */
export function injectRateOf(config: VmtaConfig, user: string): RateLimit | undefined {
  const rate = config.users[user]?.settings['http-inject-max-request-rate'];
  return rate == null || rate === 'unlimited' ? undefined : rate;
}

/** Whole seconds until the fixed window holding `now` ends (at least 1): the Retry-After of a refusal. */
export function retryAfterSeconds(rate: RateLimit, now: number): number {
  const end = (Math.floor(now / rate.perMs) + 1) * rate.perMs;
  return Math.max(1, Math.ceil((end - now) / 1000));
}

/** Takes one request of the user's window, or throws 429 (over the rate) or 503 (Redis cannot count). */
export async function takeInjectRequest(counter: RateCounter, config: VmtaConfig, user: string, log: Logger, now = Date.now()): Promise<void> {
  const rate = injectRateOf(config, user);
  if (rate === undefined) return;
  let allowed: boolean;
  try {
    allowed = (await counter.take(INJECT_REQUEST_COUNTER, `user:${user}`, rate, now)).allowed;
  } catch (err) {
    log.warn({ event: 'inject-rate-unavailable', err: (err as Error).message }, 'cannot count the injection rate');
    throw new InjectError(503, 'queue-unavailable', 'the request rate cannot be counted now, try again later', undefined, { 'retry-after': '60' });
  }
  if (allowed) return;
  const retryAfter = retryAfterSeconds(rate, now);
  log.info({ event: 'inject-rate-limited', retryAfter }, 'injection request over the user rate');
  throw new InjectError(429, 'rate-limited', `http-inject-max-request-rate of ${user} reached (${rate.count} per ${rate.perMs / 1000}s)`, undefined, { 'retry-after': String(retryAfter) });
}
