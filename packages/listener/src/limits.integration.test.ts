import { getTestRedis } from '@vmta/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RawSmtp, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

const open: Array<RawSmtp | TestListener> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) {
    if (x instanceof RawSmtp) x.close();
    else await x.close();
  }
});

async function listener(text: string, limits = {}): Promise<TestListener> {
  const t = await startTestListener(await getTestRedis(), text, { limits });
  open.push(t);
  return t;
}

async function connect(t: TestListener): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(), t.host());
  open.push(c);
  return c;
}

describe('connection limits', () => {
  it('answers 421 at once to a client beyond total-max-smtp-in', async () => {
    const t = await listener('smtp-listener 127.0.0.9:0\ntotal-max-smtp-in 2\n');
    const a = await connect(t);
    const b = await connect(t);
    expect((await a.read()).code).toBe(220);
    expect((await b.read()).code).toBe(220);
    const c = await connect(t);
    const r = await c.read();
    expect(r.code).toBe(421);
    expect(r.text).toMatch(/Too many/);
    await c.closedByServer();
  });

  it('closes an idle session with 421', async () => {
    const t = await listener('smtp-listener 127.0.0.10:0\n', { idleTimeoutMs: 300 });
    const c = await connect(t);
    expect((await c.read()).code).toBe(220);
    expect((await c.read()).code).toBe(421);
    await c.closedByServer();
  });

  it('closes a session that outlives the whole-session cap even while it keeps talking', async () => {
    const t = await listener('smtp-listener 127.0.0.11:0\n', { sessionMaxMs: 400 });
    const c = await connect(t);
    expect((await c.read()).code).toBe(220);
    let r = await c.command('NOOP');
    while (r.code === 250) r = await c.command('NOOP');
    expect(r.text).toMatch(/^421 4\.4\.2 .*Session time limit exceeded/);
    await c.closedByServer();
  });
});

describe('listener addresses', () => {
  it('listens on every address for 0/0', async () => {
    const t = await listener('smtp-listener 0/0:0\n');
    expect(t.host()).toBe('0.0.0.0');
    for (const host of ['127.0.0.1', '127.0.0.12']) {
      const c = await RawSmtp.connect(t.port(), host);
      open.push(c);
      expect((await c.read()).code).toBe(220);
    }
  });
});
