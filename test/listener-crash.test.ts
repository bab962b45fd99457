/**
 * End to end: `vmta start --role listener` as a real process on a private Redis (AOF, fsync always).
 * A kill -9 while 20 clients send must not lose or truncate any message that got its 250, nor the
 * routing decided at DATA (<pattern-list>) or the job id taken from X-Job, nor queue a Received field the
 * message came with (remove-received-headers); nor, with zstd bodies, any
 * body compressed on libuv's thread pool (32 KB and more) while the process died.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRedis, MessageStore, READABLE_BODY_ENCODINGS, registerProcess } from '@vmta/queue';
import { canStartPrivateRedis, startPrivateRedis, type PrivateRedis } from '@vmta/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { queueIdOf, RawSmtp } from '@vmta/listener/testing';
import { greetedClient } from './support/greeted-client.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = `
host-name mx.crash.example
smtp-listener 127.0.0.1:0
relay-domain [*.]dest.example
total-max-smtp-in 100
<virtual-mta acme>
  smtp-source-host 127.0.0.4 acme.crash.example
</virtual-mta>
<pattern-list tenants>
  header X-Tenant /^\\s*acme\\s*$/ virtual-mta=acme
</pattern-list>
<source 0/0>
  pattern-list tenants
  process-x-job yes
  remove-received-headers yes
</source>
`;

interface Started {
  child: ChildProcess;
  port: number;
  exit: Promise<number | null>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function startVmta(redisUrl: string): Promise<Started> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmta-e2e-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'vmta.conf');
  writeFileSync(file, CONFIG);
  const child = spawn(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), 'start', '--role', 'listener', '--config', file], {
    cwd: dir,
    env: { ...process.env, REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const ev = JSON.parse(line) as { event?: string; port?: number };
      if (ev.event === 'listening' && ev.port) resolve(ev.port);
    });
    child.once('exit', (code) => reject(new Error(`vmta exited with ${code} before listening`)));
  });
  return { child, port, exit };
}

async function privateRedis(): Promise<PrivateRedis> {
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.dispose());
  return redis;
}

describe.skipIf(!canStartPrivateRedis())('vmta start --role listener', () => {
  it('closes its listeners and exits 0 on SIGTERM', async () => {
    const redis = await privateRedis();
    const vmta = await startVmta(redis.url);
    const c = await RawSmtp.connect(vmta.port);
    expect((await c.read()).code).toBe(220);
    c.close();
    vmta.child.kill('SIGTERM');
    expect(await vmta.exit).toBe(0);
  });

  /** Bodies of message i of client n: small ones (deflate), or, with zstd, sizes on both sides of the thread-pool cut with dot-stuffed lines. */
  const small = (n: number, i: number) => `${`payload ${n}/${i} `.repeat(200)}\r\nend\r\n`;
  const sized = (n: number, i: number) => {
    const bytes = [5 * 1024, 32 * 1024 - 7, 40 * 1024, 300 * 1024][(n + i) % 4]!;
    const line = `.line ${n}/${i} of a body that starts some lines with a dot\r\n`;
    return `${line.repeat(Math.ceil(bytes / line.length))}end\r\n`;
  };

  it.each([
    ['deflate bodies', false, small],
    ['zstd bodies, some compressed off the event loop', true, sized],
  ] as const)('keeps every message that got 250, complete, when the process is killed with SIGKILL while 20 clients send (%s)', async (_name, zstd, bodyOf) => {
    const redis = await privateRedis();
    const conn = createRedis(redis.url, 'cli');
    cleanups.push(() => conn.disconnect());
    // A delivery process that reads zstd, listed before the listener starts: the listener then stores zstd.
    if (zstd) {
      const standIn = await registerProcess(conn, { role: 'delivery', vmtas: [], listeners: [], bodyEncodings: [...READABLE_BODY_ENCODINGS] }, { prefix: 'vmta' });
      cleanups.push(() => standIn.stop());
    }
    const vmta = await startVmta(redis.url);
    const acked = new Map<string, { original: Buffer; recipients: string[]; job: string; vmta: string }>();
    let killed = false;

    const client = async (n: number) => {
      const c = await greetedClient(vmta.port, n);
      if (!c) return;
      for (let i = 0; ; i++) {
        const recipients = [`a${n}@dest.example`, `b${n}@dest.example`, `c${n}@sub.dest.example`];
        // Even clients are tenant acme (routed by the pattern list); every message has a job, stripped at DATA.
        const tenant = n % 2 === 0 ? 'X-Tenant: acme\r\n' : '';
        const original = Buffer.from(
          `Subject: client ${n} message ${i}\r\n${tenant}Message-ID: <c${n}.${i}@client.example>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n` +
            bodyOf(n, i),
        );
        // Dot-stuffed on the wire (RFC 5321 4.5.2); stored with one dot.
        // X-Job and the Received field it came with are removed (process-x-job, remove-received-headers): what is queued is our Received and the original.
        const sent = Buffer.from(`X-Job: job-${n}\r\nReceived: from c${n}.client.example\r\n\tby relay.client.example; Mon, 1 Jan 2024 00:00:00 +0000\r\n${original.toString('latin1').replaceAll('\r\n.', '\r\n..')}`, 'latin1');
        try {
          let r = await c.command('MAIL FROM:<sender@client.example>');
          for (const to of recipients) r = await c.command(`RCPT TO:<${to}>`);
          r = await c.command('DATA');
          if (r.code !== 354) return;
          c.write(Buffer.concat([sent, Buffer.from('.\r\n')]));
          r = await c.read();
          const id = queueIdOf(r);
          if (r.code === 250 && id) acked.set(id, { original, recipients, job: `job-${n}`, vmta: n % 2 === 0 ? 'acme' : '{default}' });
        } catch {
          return; // the connection died with the process
        }
        if (killed) return;
      }
    };

    const clients = Array.from({ length: 20 }, (_, n) => client(n));
    while (acked.size < 60) await new Promise((r) => setTimeout(r, 20));
    vmta.child.kill('SIGKILL');
    killed = true;
    await vmta.exit;
    await Promise.all(clients);

    const store = new MessageStore(conn, { prefix: 'vmta' });
    expect(acked.size).toBeGreaterThanOrEqual(60);
    const encodings = new Set<string | null>();
    for (const [id, sent] of acked) {
      const m = await store.get(id);
      expect(m, `message ${id}`).toBeDefined();
      const body = m!.body;
      expect(body.subarray(body.length - sent.original.length).equals(sent.original)).toBe(true);
      expect(body.subarray(0, body.length - sent.original.length).toString()).toMatch(/^Received: [^\n]*\r\n(?:\t[^\n]*\r\n)*$/);
      expect(m!.recipients.map((r) => r.address)).toEqual(sent.recipients);
      expect(m!.recipients.map((r) => r.queue)).toEqual([`dest.example/${sent.vmta}`, `dest.example/${sent.vmta}`, `sub.dest.example/${sent.vmta}`]);
      expect([m!.vmta, m!.job]).toEqual([sent.vmta, sent.job]);
      expect(body.toString('latin1')).not.toMatch(/^X-Job:/im);
      encodings.add(await conn.hget(store.keys.messageMeta(id), 'enc'));
    }
    expect([...encodings].sort()).toEqual([zstd ? 'zstd' : 'deflate']);
  });
});
