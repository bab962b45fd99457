/**
 * vitest globalSetup (wired in the root vitest.config.ts): chooses the run's
 * Redis once (REDIS_URL, else our own redis-server on a free port, else
 * testcontainers) and hands it to the workers via `project.provide('vmtaTestRedis', ctx)`
 * and the VMTA_TEST_REDIS_CONTEXT env var (JSON, also seen by child processes).
 *
 * No Redis at all does not abort the run: tests that need it fail through
 * getTestRedis() with instructions, the others still run.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import {
  acquireSharedRedis,
  cleanupPrefix,
  makeRunTmpDir,
  redactUrl,
  runPrefix,
  TEST_REDIS_CONTEXT_ENV,
  type SharedRedis,
  type TestRedisContext,
} from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    vmtaTestRedis: TestRedisContext;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = randomBytes(4).toString('hex');
  const tmpDir = makeRunTmpDir(runId);
  let shared: SharedRedis | undefined;
  const ctx: TestRedisContext = { runId, tmpDir };
  try {
    shared = await acquireSharedRedis({ tmpDir });
    ctx.url = shared.url;
    ctx.source = shared.source;
  } catch (err) {
    ctx.error = (err as Error).message;
    console.warn(`[vmta test redis] ${ctx.error}`);
  }
  if (shared && process.env['VMTA_TEST_REDIS_QUIET'] !== '1') {
    console.log(`[vmta test redis] ${shared.source}: ${redactUrl(shared.url)} (run ${runId})`);
  }
  project.provide('vmtaTestRedis', ctx);
  const previousEnv = process.env[TEST_REDIS_CONTEXT_ENV];
  process.env[TEST_REDIS_CONTEXT_ENV] = JSON.stringify(ctx);

  return async () => {
    try {
      if (shared?.source === 'REDIS_URL') {
        // Someone else's Redis: delete what this run created, nothing else.
        await cleanupPrefix(shared.url, runPrefix(runId));
      }
    } finally {
      try {
        await shared?.dispose();
      } finally {
        rmSync(tmpDir, { recursive: true, force: true });
        if (previousEnv === undefined) delete process.env[TEST_REDIS_CONTEXT_ENV];
        else process.env[TEST_REDIS_CONTEXT_ENV] = previousEnv;
      }
    }
  };
}
