/**
 * Reload: SIGHUP and `vmta reload` make a running process re-read its file; a file with
 * errors is refused and the process keeps running on the previous configuration.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { b64, RawSmtp } from '@vmta/listener/testing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/cli/dist/main.js');

function configWith(users: string[], port: number): string {
  return [
    `smtp-listener 127.0.0.1:${port}`,
    ...users.flatMap((u) => [`<smtp-user ${u}>`, `  password pw-${u}`, '</smtp-user>']),
    '<source 0/0>',
    '  allow-unencrypted-plain-auth yes',
    '</source>',
  ].join('\n');
}

async function authCode(port: number, user: string): Promise<number> {
  const c = await RawSmtp.connect(port);
  await c.read();
  await c.command('EHLO client.example');
  const r = await c.command(`AUTH PLAIN ${b64(`\0${user}\0pw-${user}`)}`);
  c.close();
  return r.code;
}

describe('reloading the configuration of running processes', () => {
  it('applies a good file on SIGHUP and on vmta reload, and refuses a broken one', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-reload-'));
    const conf = path.join(dir, 'vmta.conf');
    // find a free port by letting the listener pick one, then pin it for the reloads
    writeFileSync(conf, configWith(['alice'], 0));
    const env = { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: prefix };
    const child = spawn(process.execPath, [cli, 'start', '--role', 'listener', '--config', conf], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let port = 0;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const ev = JSON.parse(line) as { event?: string; port?: number };
      if (ev.event === 'listening' && ev.port) port = ev.port;
    });
    const has = (event: string) => lines.filter((l) => l.includes(`"event":"${event}"`)).length;
    try {
      await expect.poll(() => has('started'), { timeout: 20_000 }).toBe(1);
      expect(await authCode(port, 'alice')).toBe(235);
      expect(await authCode(port, 'bob')).toBe(535);

      writeFileSync(conf, configWith(['alice', 'bob'], port));
      child.kill('SIGHUP');
      await expect.poll(() => has('config-reloaded'), { timeout: 10_000 }).toBe(1);
      expect(await authCode(port, 'bob')).toBe(235);

      writeFileSync(conf, `${configWith(['alice', 'bob'], port)}\n<domain *>\n  max-smpt-out 3\n</domain>\n`);
      const sent = spawnSync(process.execPath, [cli, 'reload'], { env, encoding: 'utf8' });
      // The operator sees the refusal too, not only the process's log: the errors and exit 1.
      expect(sent.status).toBe(1);
      expect(sent.stdout).toContain('reload sent to 1 process');
      expect(sent.stderr).toContain('vmta.conf:12: unknown directive "max-smpt-out"');
      expect(sent.stderr).toContain(`vmta reload: ${conf} has errors: the processes of this host that run it keep their previous configuration`);
      await expect.poll(() => has('reload-refused'), { timeout: 10_000 }).toBe(1);
      expect(lines.some((l) => l.includes(`vmta.conf:12: unknown directive \\"max-smpt-out\\"`))).toBe(true);
      expect(await authCode(port, 'bob')).toBe(235);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
      await t.cleanup();
    }
  });

  it('refuses a file whose redis-wait-replicas meets the REDIS_URL wait-timeout=0 (wait forever) and keeps answering 250', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-reload-'));
    const conf = path.join(dir, 'vmta.conf');
    const base = 'smtp-listener 127.0.0.1:0\nrelay-domain dest.example\n<source 0/0>\n  always-allow-relaying yes\n</source>\n';
    writeFileSync(conf, base);
    // One server and no wait-replicas: WAIT is off, so wait-timeout=0 is allowed at the start.
    const env = { ...process.env, REDIS_URL: `${t.url}?wait-timeout=0`, VMTA_PREFIX: prefix };
    const child = spawn(process.execPath, [cli, 'start', '--role', 'listener', '--config', conf, '--http', 'off'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const events: Array<Record<string, unknown>> = [];
    let port = 0;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ev = JSON.parse(line) as Record<string, unknown>;
      events.push(ev);
      if (ev.event === 'listening' && typeof ev.port === 'number') port = ev.port;
    });
    const finalReply = async (n: number) => {
      const c = await RawSmtp.connect(port);
      await c.read();
      await c.command('EHLO client.example');
      await c.command('MAIL FROM:<s@client.example>');
      await c.command('RCPT TO:<r@dest.example>');
      await c.command('DATA');
      const r = await c.command(`Subject: m${n}\r\n\r\nbody\r\n.`);
      c.close();
      return r.code;
    };
    try {
      await expect.poll(() => events.some((e) => e.event === 'started'), { timeout: 20_000 }).toBe(true);
      expect(await finalReply(1)).toBe(250);
      writeFileSync(conf, `${base}redis-wait-replicas 1\n`);
      const sent = spawnSync(process.execPath, [cli, 'reload'], { env, encoding: 'utf8' });
      expect(sent.status).toBe(0);
      await expect.poll(() => events.find((e) => e.event === 'reload-refused'), { timeout: 10_000 }).toMatchObject({
        err: 'redis-wait-replicas 1 with REDIS_URL wait-timeout=0 would wait forever before 250; give a timeout, or redis-wait-replicas 0',
      });
      expect(events.some((e) => e.event === 'config-reloaded')).toBe(false);
      // Still on the previous file: no WAIT, 250 (with the file's WAIT it would be 451, or a hang).
      expect(await finalReply(2)).toBe(250);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
      await t.cleanup();
    }
  });
});
