/**
 * The shutdown bound: with Redis gone, a delivery process cannot hand its tokens back, and
 * SIGTERM must still end it within --shutdown-timeout (exit 70, logged), not hang.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { Redis } from 'ioredis';
import { startPrivateRedis } from '@vmta/testing';
import { MessageStore } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/cli/dist/main.js');

/** An SMTP server that takes the whole message and then never answers the final dot. */
async function stallingReceiver(): Promise<{ port: number; gotDot: () => boolean; close: () => void }> {
  let dot = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let inData = false;
    socket.write('220 stall.example ESMTP\r\n');
    createInterface({ input: socket, crlfDelay: Infinity }).on('line', (line) => {
      if (inData) {
        if (line === '.') dot = true;
        return;
      }
      if (/^DATA/i.test(line)) {
        inData = true;
        socket.write('354 go ahead\r\n');
      } else socket.write('250 ok\r\n');
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.10', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    gotDot: () => dot,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('vmta start: shutdown bound', () => {
  it('exits within --shutdown-timeout when a delivery hangs and Redis is gone, and says why', { timeout: 60_000 }, async () => {
    const redis = await startPrivateRedis();
    const receiver = await stallingReceiver();
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-bound-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(
      conf,
      ['host-name mx.bound.example', '<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.bound.example', '</virtual-mta>', '<domain *>', `  smtp-hosts [127.0.0.10]:${receiver.port}`, '  use-starttls no', '</domain>'].join('\n'),
    );
    const client = new Redis(redis.url);
    const store = new MessageStore(client, { prefix: 'bound' });
    await store.enqueue(testMessage('r@stall.example', { mailFrom: 's@bound.example' }));
    await store.dispatcher.close();
    client.disconnect();
    const child = spawn(process.execPath, [cli, 'start', '--role', 'delivery', '--config', conf, '--shutdown-timeout', '3'], {
      cwd: dir,
      env: { ...process.env, REDIS_URL: redis.url, VMTA_PREFIX: 'bound' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const events: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => events.push((JSON.parse(line) as { event?: string }).event ?? ''));
    try {
      await expect.poll(() => events.includes('started'), { timeout: 20_000 }).toBe(true);
      await expect.poll(() => receiver.gotDot(), { timeout: 20_000 }).toBe(true);
      await redis.kill();
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      expect(code).toBe(70);
      expect(events).toContain('shutdown-bound');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      receiver.close();
      await redis.dispose();
    }
  });
});
