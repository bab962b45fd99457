import { getTestRedis } from '@vmta/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RawSmtp, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

const realSetTimeout = globalThis.setTimeout;
const open: Array<RawSmtp | TestListener> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const x of open.splice(0).reverse()) {
    if (x instanceof RawSmtp) x.close();
    else await x.close();
  }
});

describe('greeting', () => {
  // smtp-server holds every 220 behind a 100 ms timer (its early-talker check); a sender that opens one
  // connection per message waits that long for each. With timers frozen, a greeting that needs a timer never
  // comes: this one must arrive all the same.
  it('greets a new connection without waiting on a timer', async () => {
    const t = await startTestListener(await getTestRedis(), 'smtp-listener 127.0.0.12:0\n');
    open.push(t);
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const c = await RawSmtp.connect(t.port(), t.host());
    open.push(c);
    const greeting = await Promise.race([c.read(), new Promise<undefined>((r) => realSetTimeout(() => r(undefined), 3000))]);
    expect(greeting?.code).toBe(220);
    vi.useRealTimers();
    expect((await c.command('EHLO client.example')).code).toBe(250);
  });

});
