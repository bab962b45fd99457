/**
 * A listener for the tests of a describe block (or file), started in `beforeAll` and closed in
 * `afterAll` (vitest's, handed in), on the run's test Redis or on a private Redis the tests may
 * stop and restart. What they return reads the listener (and Redis) inside the tests.
 */
import { getTestRedis, late, startPrivateRedis, type PrivateRedis } from '@vmta/testing';
import { startTestListener, type TestListener } from './smtp-test-kit.js';

type Hook = (fn: () => Promise<void>) => void;
type Options = Parameters<typeof startTestListener>[2];

/** A listener on this config text and a test Redis of its own prefix. */
export function sharedTestListener(beforeAll: Hook, afterAll: Hook, configText: string, options?: Options): TestListener {
  const t = late<TestListener>('the test listener');
  beforeAll(async () => {
    t.set(await startTestListener(await getTestRedis(), configText, options));
  });
  afterAll(async () => {
    await t.get()?.close();
  });
  return t.ref;
}

/** A private Redis (stop, kill, restart) and a listener on it with this config text. Needs redis-server (canStartPrivateRedis). */
export function listenerOnPrivateRedis(beforeAll: Hook, afterAll: Hook, configText: string, options?: Options): { redis: PrivateRedis; t: TestListener } {
  const redis = late<PrivateRedis>('the private Redis');
  const t = late<TestListener>('the test listener');
  beforeAll(async () => {
    redis.set(await startPrivateRedis());
    t.set(await startTestListener({ url: redis.ref.url }, configText, options));
  });
  afterAll(async () => {
    await t.get()?.close();
    await redis.get()?.dispose();
  });
  return { redis: redis.ref, t: t.ref };
}
