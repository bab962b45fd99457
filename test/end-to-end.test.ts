/**
 * The whole product as a user runs it: `vmta start` (listener and delivery in one
 * process) takes mail over SMTP with AUTH and delivers it from the VMTA's source
 * address to the destination's server, byte for byte apart from our trace header.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '@vmta/delivery/testing';
import { b64, RawSmtp, sendRaw } from '@vmta/listener/testing';
import { startVmtaProcess, type VmtaProcess } from './support/vmta-process.js';

describe('vmta start --role all', () => {
  it('accepts authenticated mail and delivers it through the chosen VMTA', { timeout: 60_000 }, async () => {
    await withVmta({ startTls: true }, async (vmta, receiver) => {
      const c = await logIn(vmta.port);
      const body = 'Subject: e2e\r\nX-Virtual-MTA: mta2\r\nMessage-ID: <e2e@client.example>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nhello world\r\n';
      const reply = await sendRaw(c, 'alice@client.example', ['bob@far.example', 'carol@other.example'], `${body}.\r\n`);
      expect(reply.code).toBe(250);
      c.close();
      await expect.poll(() => receiver.messages.length, { timeout: 30_000 }).toBe(2);
      for (const m of receiver.messages) {
        expect(m.from).toBe('alice@client.example');
        expect(m.body).toMatch(/^Received: /);
        expect(m.body).not.toContain('X-Virtual-MTA');
        expect(m.body.endsWith('\r\n\r\nhello world\r\n')).toBe(true);
      }
      expect(receiver.messages.flatMap((m) => m.to).sort()).toEqual(['bob@far.example', 'carol@other.example']);
      expect(receiver.connections.every((x) => x.remoteAddress === '127.0.0.3' && x.heloName === 'mta2.e2e.example' && x.secure)).toBe(true);
    });
  });

  it('delivers bodies of 5 KB, 50 KB and 2 MB byte for byte (dot-stuffed lines included)', { timeout: 120_000 }, async () => {
    await withVmta({ startTls: false }, async (vmta, receiver) => {
      const c = await logIn(vmta.port);
      const sizes = [5 * 1024, 50 * 1024, 2 * 1024 * 1024];
      const bodies = new Map<string, string>();
      for (const size of sizes) {
        const body = `Subject: size ${size}\r\nMessage-ID: <${size}@client.example>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n${textOf(size, size)}`;
        const to = `rcpt${size}@far.example`;
        bodies.set(to, body);
        const stuffed = body.replace(/^\./gm, '..');
        expect((await sendRaw(c, 'alice@client.example', [to], `${stuffed}.\r\n`)).code).toBe(250);
      }
      c.close();
      await expect.poll(() => receiver.messages.length, { timeout: 60_000 }).toBe(sizes.length);
      for (const m of receiver.messages) {
        const sent = bodies.get(m.to[0] ?? '');
        expect(sent).toBeDefined();
        const afterTrace = m.body.indexOf('\r\nSubject: ');
        expect(afterTrace).toBeGreaterThan(0);
        expect(m.body.slice(afterTrace + 2) === sent).toBe(true);
      }
    });
  });
});

/**
 * `vmta start` on a test Redis with writeConf's configuration and a receiver on 127.0.0.10; runs
 * `body`, then the process must stop cleanly on SIGTERM (exit 0). Everything is torn down after.
 */
async function withVmta(o: { startTls: boolean }, body: (vmta: VmtaProcess, receiver: Receiver) => Promise<void>): Promise<void> {
  const t = await getTestRedis();
  const receiver = await startReceiver({ host: '127.0.0.10', startTls: o.startTls });
  let vmta: VmtaProcess | undefined;
  try {
    vmta = await startVmtaProcess(writeConf(receiver.port), { env: { REDIS_URL: t.url, VMTA_PREFIX: t.prefix.slice(0, -1) } });
    await body(vmta, receiver);
    vmta.child.kill('SIGTERM');
    expect(await vmta.exited).toBe(0);
  } finally {
    vmta?.kill();
    await receiver.close();
    await t.cleanup();
  }
}

/** `size` bytes of CRLF lines of varied words (deflates about 3:1), some starting with a dot. */
function textOf(size: number, seed: number): string {
  const words = ['alpha', 'beta', '.dot', 'gamma', 'delta', 'epsilon', 'zeta', '..two', 'eta', 'theta'];
  let x = seed >>> 0 || 1;
  let out = '';
  let line = '';
  while (out.length + line.length + 2 < size) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = words[(x >>> 16) % words.length]!;
    if (line.length + w.length + 1 > 76) {
      out += `${line}\r\n`;
      line = '';
    }
    line += line ? ` ${w}` : w;
  }
  return `${out}${line}\r\n`;
}

/** A configuration that relays authenticated mail to the receiver on `port` through VMTA mta2 when asked. */
function writeConf(port: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmta-e2e-all-'));
  const conf = path.join(dir, 'vmta.conf');
  writeFileSync(
    conf,
    [
      'host-name mx.e2e.example',
      'smtp-listener 127.0.0.1:0',
      '<smtp-user alice>',
      '  password s3cret',
      '</smtp-user>',
      '<source 0/0>',
      '  require-auth yes',
      '  allow-unencrypted-plain-auth yes',
      '  process-x-virtual-mta yes',
      '</source>',
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.2 mta1.e2e.example',
      '</virtual-mta>',
      '<virtual-mta mta2>',
      '  smtp-source-host 127.0.0.3 mta2.e2e.example',
      '</virtual-mta>',
      '<domain *>',
      `  smtp-hosts [127.0.0.10]:${port}`,
      '</domain>',
    ].join('\n'),
  );
  return conf;
}

/** An SMTP session on `port`, past EHLO and AUTH as alice. */
async function logIn(port: number): Promise<RawSmtp> {
  const c = await RawSmtp.connect(port);
  await c.read();
  await c.command('EHLO client.example');
  expect((await c.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`)).code).toBe(235);
  return c;
}
