/**
 * SIGTERM on `vmta start --role listener`: new sessions get 421 (never 220), a message in the middle of
 * DATA is finished and queued, its session gets 421 at its next command, and the process exits 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { createRedis, MessageStore } from '@vmta/queue';
import { queueIdOf, RawSmtp } from '@vmta/listener/testing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/cli/dist/main.js');
const BODY = 'Subject: sigterm\r\nMessage-ID: <sigterm@client.example>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nfinished after SIGTERM\r\n';

describe('vmta start: graceful shutdown', () => {
  it('on SIGTERM answers 421 to new sessions, finishes the message in DATA, then exits 0', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-shutdown-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(conf, ['host-name mx.shutdown.example', 'smtp-listener 127.0.0.41:0', 'relay-domain [*.]dest.example'].join('\n'));
    const child = spawn(process.execPath, [cli, 'start', '--role', 'listener', '--config', conf], {
      cwd: dir,
      env: { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const events: Array<{ event?: string; port?: number; drained?: number; forced?: number }> = [];
    createInterface({ input: child.stdout! }).on('line', (line) => events.push(JSON.parse(line) as (typeof events)[number]));
    const has = (event: string) => events.some((e) => e.event === event);
    const redis = createRedis(t.url, 'cli');
    redis.on('error', () => {});
    const clients: RawSmtp[] = [];
    try {
      await expect.poll(() => has('started'), { timeout: 20_000 }).toBe(true);
      const port = events.find((e) => e.event === 'listening')!.port!;
      const open = async () => {
        const c = await RawSmtp.connect(port, '127.0.0.41');
        clients.push(c);
        return c;
      };

      const busy = await open();
      expect((await busy.read()).code).toBe(220);
      expect((await busy.command('EHLO client.example')).code).toBe(250);
      expect((await busy.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
      expect((await busy.command('RCPT TO:<rcpt@dest.example>')).code).toBe(250);
      expect((await busy.command('DATA')).code).toBe(354);
      busy.write(BODY.slice(0, 30));

      child.kill('SIGTERM');
      await expect.poll(() => has('shutdown-started'), { timeout: 10_000 }).toBe(true);

      const late = await open();
      const lateReply = await late.read();
      expect(lateReply.text).toBe('421 4.3.2 mx.shutdown.example Service shutting down, try again later');
      await late.closedByServer();

      busy.write(`${BODY.slice(30)}.\r\n`);
      const reply = await busy.read();
      expect(reply.text).toMatch(/^250 2\.0\.0 OK queued as /);
      expect((await busy.command('MAIL FROM:<again@client.example>')).text).toMatch(/^421 4\.3\.2 /);
      await busy.closedByServer();

      expect(await exited).toBe(0);
      expect(events.find((e) => e.event === 'shutdown-complete')).toMatchObject({ drained: 1, forced: 0 });
      const stored = await new MessageStore(redis, { prefix }).get(queueIdOf(reply)!);
      expect(stored?.body.toString()).toContain('finished after SIGTERM');
    } finally {
      clients.forEach((c) => c.close());
      child.kill('SIGKILL');
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
      await t.cleanup();
    }
  });
});
