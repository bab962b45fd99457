/**
 * smtp-data-timeout: a client that trickles its DATA (slowloris) is cut with 421 4.4.2 once the whole DATA
 * phase passed the source's limit; nothing of its message is queued, and a normal client of the same
 * listener is unaffected. The limit is small (1s); the tests check outcomes, never elapsed time.
 */
import { getTestRedis } from '@vmta/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueIdOf, RawSmtp, sendRaw, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

let t: TestListener;
const lines: Array<Record<string, unknown>> = [];
const open: RawSmtp[] = [];

beforeAll(async () => {
  t = await startTestListener(
    await getTestRedis(),
    `
host-name mx.test.example
smtp-listener 127.0.0.51:0
relay-domain [*.]example
<source 0/0>
  smtp-data-timeout 1s
</source>
`,
    { logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }) },
  );
});
afterAll(async () => {
  for (const c of open) c.close();
  await t?.close();
});

async function session(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(), t.host());
  open.push(c);
  expect((await c.read()).code).toBe(220);
  expect((await c.command('EHLO client.example')).code).toBe(250);
  return c;
}

describe('smtp-data-timeout', () => {
  it('cuts a client that trickles DATA with 421 4.4.2 and queues nothing; a normal client is unaffected', async () => {
    const slow = await session();
    expect((await slow.command('MAIL FROM:<slow@client.example>')).code).toBe(250);
    expect((await slow.command('RCPT TO:<rcpt@dest.example>')).code).toBe(250);
    expect((await slow.command('DATA')).code).toBe(354);
    slow.write('Subject: slow\r\n\r\n');
    // One byte every 200 ms, never the final dot, until the server closes the session.
    const trickle = setInterval(() => {
      if (!slow.isClosed) slow.write('x');
    }, 200);
    const normal = await session();
    const ok = await sendRaw(normal, 'fast@client.example', ['rcpt@dest.example'], 'Subject: fast\r\n\r\nhello\r\n.\r\n');
    expect(ok.text).toMatch(/^250 2\.0\.0 OK queued as /);
    const reply = await slow.read();
    clearInterval(trickle);
    expect(reply.text).toMatch(/^421 4\.4\.2 mx\.test\.example DATA not completed in time/);
    await slow.closedByServer();
    expect(slow.pending).not.toMatch(/^250/m);

    // Only the normal client's message is in the queue.
    const names = await t.store.queueNames();
    const ids = (await Promise.all(names.map((q) => t.store.queued(q)))).flat();
    expect(ids).toEqual([queueIdOf(ok)]);
    expect((await normal.command('NOOP')).code).toBe(250);
    // One structured line for the cut, and no other complaint about the message.
    expect(lines.filter((l) => l.event === 'data-timeout')).toEqual([expect.objectContaining({ limitMs: 1000, client: '127.0.0.1' })]);
    expect(lines.some((l) => l.event === 'data-error' || l.event === 'handler-error')).toBe(false);
  });
});
