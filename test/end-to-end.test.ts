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
import { startReceiver } from '@vmta/delivery/testing';
import { b64, RawSmtp, sendRaw } from '@vmta/listener/testing';
import { startVmtaProcess, type VmtaProcess } from './support/vmta-process.js';

describe('vmta start --role all', () => {
  it('accepts authenticated mail and delivers it through the chosen VMTA', { timeout: 60_000 }, async () => {
    const t = await getTestRedis();
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: true });
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
        `  smtp-hosts [127.0.0.10]:${receiver.port}`,
        '</domain>',
      ].join('\n'),
    );
    let vmta: VmtaProcess | undefined;
    try {
      vmta = await startVmtaProcess(conf, { env: { REDIS_URL: t.url, VMTA_PREFIX: t.prefix.slice(0, -1) } });
      const c = await RawSmtp.connect(vmta.port);
      await c.read();
      await c.command('EHLO client.example');
      expect((await c.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`)).code).toBe(235);
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
      vmta.child.kill('SIGTERM');
      expect(await vmta.exited).toBe(0);
    } finally {
      vmta?.kill();
      await receiver.close();
      await t.cleanup();
    }
  });
});
