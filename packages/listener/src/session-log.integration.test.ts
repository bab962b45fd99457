import { loadConfigText } from '@vmta/config';
import { getTestRedis } from '@vmta/testing';
import pino, { type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { authPlainOnce, b64, RawSmtp, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

const config = (logConnections: boolean, password = 's3cret') => `
smtp-listener 127.0.0.1:0
<smtp-user alice>
  password ${password}
</smtp-user>
<source 0/0>
  allow-unencrypted-plain-auth yes
  log-connections ${logConnections ? 'yes' : 'no'}
</source>
`;

/** A pino logger at `level` whose lines are kept, and a count of the child loggers made from it or any descendant. */
function countingLogger(level: string): { log: Logger; lines: Record<string, unknown>[]; children: () => number } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
  let children = 0;
  const child = log.child;
  // pino's children inherit from their parent (Object.create), so this own property counts every descendant's children too.
  log.child = function (this: Logger, ...args: Parameters<Logger['child']>) {
    children++;
    return child.apply(this, args);
  } as Logger['child'];
  return { log, lines, children: () => children };
}

let t: TestListener | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function ehloQuit(l: TestListener): Promise<void> {
  const c = await RawSmtp.connect(l.port(), l.host());
  await c.read();
  await c.command('EHLO client.example');
  await c.command('QUIT');
  await c.closedByServer();
}

describe('the session logger', () => {
  it('writes session, client and (after AUTH) authUser on a session line', async () => {
    const { log, lines } = countingLogger('info');
    t = await startTestListener(await getTestRedis(), config(true), { logger: log });
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    expect((await c.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`)).code).toBe(235);
    await c.command('QUIT');
    await c.closedByServer();
    await expect.poll(() => lines.some((l) => l.event === 'close')).toBe(true);
    const connect = lines.find((l) => l.event === 'connect')!;
    const auth = lines.find((l) => l.event === 'auth')!;
    const close = lines.find((l) => l.event === 'close')!;
    expect(connect).toMatchObject({ session: expect.any(String), client: '127.0.0.1', listener: expect.any(String) });
    expect(connect.authUser).toBeUndefined();
    expect(auth).toMatchObject({ session: connect.session, client: '127.0.0.1', authUser: 'alice' });
    expect(close).toMatchObject({ session: connect.session, authUser: 'alice' });
  });

  it('carries authUser on the first line of a session that wrote nothing before its AUTH', async () => {
    const { log, lines } = countingLogger('info');
    t = await startTestListener(await getTestRedis(), config(false), { logger: log });
    expect(await authPlainOnce(t, 'alice', 's3cret')).toMatch(/^235/);
    await expect.poll(() => lines.find((l) => l.event === 'auth')).toMatchObject({ session: expect.any(String), client: '127.0.0.1', authUser: 'alice' });
  });

  it('makes no child logger for a session that writes no line of its own', async () => {
    const { log, lines, children } = countingLogger('info');
    t = await startTestListener(await getTestRedis(), config(false), { logger: log });
    await ehloQuit(t);
    const before = children();
    for (let i = 0; i < 3; i++) await ehloQuit(t);
    expect(children()).toBe(before);
    expect(lines.filter((l) => typeof l.session === 'string')).toEqual([]);
  });

  it('refuses the old password and takes the new one after a reload changes it', async () => {
    t = await startTestListener(await getTestRedis(), config(false, 'old-pass'));
    expect(await authPlainOnce(t, 'alice', 'old-pass')).toMatch(/^235/);
    expect(await authPlainOnce(t, 'alice', 'new-pass')).toMatch(/^535/);
    await t.listener.reload(loadConfigText(config(false, 'new-pass')));
    expect(await authPlainOnce(t, 'alice', 'old-pass')).toMatch(/^535/);
    expect(await authPlainOnce(t, 'alice', 'new-pass')).toMatch(/^235/);
  });
});
