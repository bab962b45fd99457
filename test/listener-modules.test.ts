/**
 * A `vmta start --role listener` process loads only the code it runs: no operator command but `start`, no
 * delivery, management HTTP, control, dev-certs, mailparser (reports) or injection API. Code loaded and never
 * run stays in the heap, where every full GC marks it (issue 13: 30.7 -> 16.6 MB of idle heap). A module
 * hook records every module the real process resolves; an eager import added back anywhere on the listener's
 * path fails this test. A `--role delivery` process, the other way round, loads no listener or SMTP server.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRedis, MessageStore } from '@vmta/queue';
import { queueIdOf, RawSmtp, sendRaw } from '@vmta/listener/testing';
import { canStartPrivateRedis, startPrivateRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startDeliveryProcess } from './support/delivery-process.js';
import { startVmtaProcess } from './support/vmta-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const register = pathToFileURL(path.join(here, 'support/module-log/register.mjs')).href;

/** Code a listener-only process must not load, by resolved URL. */
const NOT_ON_THE_LISTENER_PATH: Array<[string, RegExp]> = [
  ['delivery', /\/packages\/delivery\//],
  ['management HTTP', /\/packages\/http\//],
  ['control (operator commands)', /\/packages\/control\//],
  ['operator commands other than start', /\/packages\/cli\/dist\/commands\/(?!start\.js$)/],
  ['dev-certs', /\/packages\/cli\/dist\/dev-certs\.js$|\/selfsigned@/],
  ['mailparser', /\/mailparser@/],
  ['injection API', /\/packages\/listener\/dist\/inject\//],
  ['embedded redis-server (REDIS_URL is set)', /\/packages\/redis-server\//],
];

/** What a process given the hook resolved, each module once. */
const loadedModules = (log: string): string[] => [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
const hookEnv = (log: string) => ({ NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${register}`, VMTA_TEST_MODULE_LOG: log });

describe.skipIf(!canStartPrivateRedis())('modules a vmta start process loads', () => {
  it('a listener-only process loads no delivery, management HTTP, control, dev-certs, mailparser or injection code, and still queues a message', async () => {
    const redis = await startPrivateRedis();
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-modules-'));
    const conn = createRedis(redis.url, 'cli');
    try {
      const config = path.join(dir, 'vmta.conf');
      writeFileSync(config, 'host-name mx.modules.example\nsmtp-listener 127.0.0.1:0\nrelay-domain dest.example\n<source 0/0>\n</source>\n');
      const log = path.join(dir, 'modules.txt');
      const vmta = await startVmtaProcess(config, {
        args: ['--role', 'listener'],
        env: { REDIS_URL: redis.url, ...hookEnv(log) },
      });
      try {
        const c = await RawSmtp.connect(vmta.port);
        expect((await c.read()).code).toBe(220);
        expect((await c.command('EHLO client.example')).code).toBe(250);
        const reply = await sendRaw(c, 'sender@client.example', ['rcpt@dest.example'], 'Subject: modules\r\n\r\nbody\r\n.\r\n');
        expect(reply.code).toBe(250);
        c.close();
        const id = queueIdOf(reply);
        expect(id).toBeDefined();
        const stored = await new MessageStore(conn, { prefix: 'vmta' }).get(id!);
        expect(stored?.recipients.map((r) => r.address)).toEqual(['rcpt@dest.example']);
        vmta.child.kill('SIGTERM');
        expect(await vmta.exited).toBe(0);
      } finally {
        vmta.kill();
      }
      const loaded = loadedModules(log);
      // The hook saw the listener's own code: an empty or broken record cannot pass the checks below.
      expect(loaded.some((u) => u.endsWith('/packages/listener/dist/listener.js'))).toBe(true);
      expect(loaded.some((u) => u.endsWith('/packages/cli/dist/commands/start.js'))).toBe(true);
      const unwanted = NOT_ON_THE_LISTENER_PATH.flatMap(([what, re]) => loaded.filter((u) => re.test(u)).map((u) => `${what}: ${u}`));
      expect(unwanted).toEqual([]);
    } finally {
      conn.disconnect();
      await redis.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a delivery-only process loads no listener or SMTP server code', async () => {
    const redis = await startPrivateRedis();
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-modules-'));
    try {
      const config = path.join(dir, 'vmta.conf');
      writeFileSync(config, 'host-name mx.modules.example\n');
      const log = path.join(dir, 'modules.txt');
      const delivery = startDeliveryProcess(config, redis.url, 'vmta', hookEnv(log));
      const exited = new Promise<number | null>((resolve) => delivery.child.once('exit', (code) => resolve(code)));
      try {
        while (!/"event":"started"/.test(delivery.output())) {
          if (delivery.child.exitCode !== null) throw new Error(`delivery exited: ${delivery.output()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        delivery.child.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        if (delivery.child.exitCode === null && delivery.child.signalCode === null) delivery.child.kill('SIGKILL');
      }
      const loaded = loadedModules(log);
      expect(loaded.some((u) => /\/packages\/delivery\/dist\//.test(u))).toBe(true);
      expect(loaded.filter((u) => /\/packages\/listener\/|\/smtp-server@/.test(u))).toEqual([]);
    } finally {
      await redis.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
