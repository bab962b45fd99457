import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One Redis per run for every test (REDIS_URL, else redis-server, else
    // testcontainers); see packages/testing/src/redis.ts.
    globalSetup: ['packages/testing/src/global-setup.ts'],
  },
});
