/** A `vmta start --role delivery` child process for root tests that kill one; its stdout and stderr together. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function startDeliveryProcess(conf: string, redisUrl: string, prefix: string, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), 'start', '--role', 'delivery', '--config', conf], {
    env: { ...process.env, ...env, REDIS_URL: redisUrl, VMTA_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}
