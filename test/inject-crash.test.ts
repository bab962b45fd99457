/**
 * HTTP injection and kill -9: `vmta start --role listener` serving http-inject-port on a private
 * Redis (AOF, fsync always) is killed while 10 clients inject; then `vmta start` (all roles) on the
 * same Redis delivers to a loopback receiver. Every request that got 202 is delivered, each once per
 * recipient, complete.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canStartPrivateRedis, startPrivateRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startReceiver } from '@vmta/delivery/testing';
import { freePort } from './support/free-port.js';
import { startVmtaProcess } from './support/vmta-process.js';


describe.skipIf(!canStartPrivateRedis())('HTTP injection across kill -9', () => {
  it('delivers every injection that got 202 before the process was killed', { timeout: 120_000 }, async () => {
    const redis = await startPrivateRedis();
    const receiver = await startReceiver({ host: '127.0.0.11', startTls: false });
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-e2e-inject-crash-'));
    const injectPort = await freePort();
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(
      conf,
      [
        'host-name mx.crash.example',
        'smtp-listener 127.0.0.1:0',
        `http-inject-port ${injectPort}`,
        '<smtp-user api>',
        '  password pw',
        '  http-inject-api-key crash-key',
        '</smtp-user>',
        '<domain *>',
        `  smtp-hosts [127.0.0.11]:${receiver.port}`,
        '</domain>',
      ].join('\n'),
    );
    const env = { REDIS_URL: redis.url };
    const listener = await startVmtaProcess(conf, { args: ['--role', 'listener'], env });
    const second: Array<{ kill: () => void }> = [];
    try {
      const acked = new Map<string, string>(); // marker → queue id
      let killed = false;
      const client = async (n: number) => {
        for (let i = 0; !killed; i++) {
          const marker = `m-${n}-${i}`;
          const body = JSON.stringify({
            from: 'sender@client.example',
            recipients: [{ email: `a${n}@dest.example` }, { email: `b${n}@dest.example` }],
            subject: marker,
            text: `${Array.from({ length: 100 }, (_, k) => `line ${k} of ${marker}`).join('\n')}\nend of ${marker}\n`,
          });
          try {
            const res = await fetch(`http://127.0.0.1:${injectPort}/api/inject`, { method: 'POST', body, headers: { authorization: 'Bearer crash-key', 'content-type': 'application/json' } });
            const answer = (await res.json()) as { messages?: Array<{ id: string }> };
            if (res.status === 202) acked.set(marker, answer.messages![0]!.id);
          } catch {
            if (killed) return;
            await new Promise((r) => setTimeout(r, 50)); // not listening yet, or the process died
          }
        }
      };
      const clients = Array.from({ length: 10 }, (_, n) => client(n));
      while (acked.size < 40) await new Promise((r) => setTimeout(r, 20));
      listener.child.kill('SIGKILL');
      await listener.exited;
      killed = true;
      await Promise.all(clients);
      expect(acked.size).toBeGreaterThanOrEqual(40);

      const all = await startVmtaProcess(conf, { env });
      second.push(all);
      const subjects = () => receiver.messages.map((m) => /\r\nSubject: (m-\d+-\d+)\r\n/.exec(m.body)?.[1]);
      await expect.poll(() => [...acked.keys()].filter((k) => !subjects().includes(k)).length, { timeout: 90_000, interval: 500 }).toBe(0);
      for (const marker of acked.keys()) {
        const copies = receiver.messages.filter((m) => m.body.includes(`\r\nSubject: ${marker}\r\n`));
        // One delivery for both recipients (same domain, same queue), the text complete.
        expect(copies.flatMap((m) => m.to).sort(), marker).toEqual([`a${marker.split('-')[1]}@dest.example`, `b${marker.split('-')[1]}@dest.example`]);
        expect(copies[0]!.body).toContain(`line 99 of ${marker}\r\nend of ${marker}\r\n`);
      }
      all.child.kill('SIGTERM');
      expect(await all.exited).toBe(0);
    } finally {
      listener.kill();
      second.forEach((p) => p.kill());
      await receiver.close();
      await redis.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
