/** Which Redis a CLI command talks to: $REDIS_URL, else the embedded server `vmta start` recorded. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const EMBEDDED_URL_FILE = 'redis.url';

export function redisTarget(dataDir = 'data'): { url: string; prefix: string } | undefined {
  const prefix = process.env.VMTA_PREFIX ?? 'vmta';
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, prefix };
  try {
    const url = readFileSync(path.resolve(dataDir, EMBEDDED_URL_FILE), 'utf8').trim();
    return url ? { url, prefix } : undefined;
  } catch {
    return undefined;
  }
}
