/**
 * kill -9 of a listener process while clients send mail that a processor forwards
 * (`forward-unmatched-to`): every message whose 250 named a queue id is in the store, whole, queued
 * for the forward address, and kept in the unparsed stream too. The listener is `vmta start --role
 * listener` on a private Redis (AOF, fsync always).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRedis, Keys, MessageStore } from '@vmta/queue';
import { canStartPrivateRedis, startPrivateRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { queueIdOf } from '@vmta/listener/testing';
import { greetedClient } from './support/greeted-client.js';
import { startVmtaProcess } from './support/vmta-process.js';

const CONFIG = `
host-name mx.fwdcrash.example
smtp-listener 127.0.0.1:0
<feedback-loop-processor>
  address abuse@fbl.example
  forward-unmatched-to ops@ours.example
</feedback-loop-processor>
`;

describe.skipIf(!canStartPrivateRedis())('a listener killed with SIGKILL while forwarding processor mail', () => {
  it('keeps every forward that got its 250, whole, queued for the forward address', { timeout: 120_000 }, async () => {
    const redis = await startPrivateRedis();
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-fwdcrash-'));
    const file = path.join(dir, 'vmta.conf');
    writeFileSync(file, CONFIG);
    const vmta = await startVmtaProcess(file, { args: ['--role', 'listener'], env: { REDIS_URL: redis.url } });
    const conn = createRedis(redis.url, 'cli');
    try {
      const acked = new Map<string, string>();
      let killed = false;
      const client = async (n: number) => {
        const c = await greetedClient(vmta.port, n);
        if (!c) return;
        for (let i = 0; !killed; i++) {
          const body = `Subject: not a report ${n}/${i}\r\nFrom: person@isp.example\r\n\r\n${`text ${n}/${i} `.repeat(100)}\r\n`;
          try {
            await c.command('MAIL FROM:<person@isp.example>');
            await c.command('RCPT TO:<abuse@fbl.example>');
            if ((await c.command('DATA')).code !== 354) return;
            c.write(Buffer.from(`${body}.\r\n`));
            const r = await c.read();
            const id = queueIdOf(r);
            if (r.code === 250 && id) acked.set(id, body);
          } catch {
            return; // the connection died with the process
          }
        }
      };
      const clients = Array.from({ length: 10 }, (_, n) => client(n));
      await expect.poll(() => acked.size, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(40);
      vmta.child.kill('SIGKILL');
      killed = true;
      await vmta.exited;
      await Promise.all(clients);

      const store = new MessageStore(conn, { prefix: 'vmta' });
      for (const [id, body] of acked) {
        const m = await store.get(id);
        expect(m, `message ${id}`).toBeDefined();
        expect(m!.body.toString('latin1').endsWith(body)).toBe(true);
        expect(m!.mailFrom).toBe('person@isp.example');
        expect(m!.recipients.map((r) => [r.address, r.queue])).toEqual([['ops@ours.example', 'ours.example/{default}']]);
      }
      // Each acknowledged message was also kept as unparsed (the forward is queued first, then the report written).
      expect(await conn.xlen(new Keys('vmta').unparsedReports())).toBeGreaterThanOrEqual(acked.size);
      console.info(`processor forward crash test: ${acked.size} forwards acknowledged before kill -9, all found`);
    } finally {
      vmta.kill();
      conn.disconnect();
      await redis.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
