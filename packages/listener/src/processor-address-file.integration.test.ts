/**
 * address-file in a <feedback-loop-processor>/<bounce-processor>'s <address-list>, over real SMTP: the
 * file's addresses are the processor's (RCPT accepted from anyone, no relay right), an address it does
 * not list is ordinary mail (relay denied), and a change of the file on disk applies without a reload.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getTestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawSmtp, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

let t: TestListener;
let dir: string;
let fbl: string;
let bounces: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vmta-proc-file-'));
  fbl = path.join(dir, 'fbl.txt');
  bounces = path.join(dir, 'bounces.txt');
  writeFileSync(fbl, '# FBL addresses\nabuse@fbl.example\n');
  writeFileSync(bounces, '@bounces.example\n');
  t = await startTestListener(
    await getTestRedis(),
    `
host-name mx.test.example
smtp-listener 127.0.0.1:0
<feedback-loop-processor>
  <address-list>
    address-file ${fbl}
  </address-list>
</feedback-loop-processor>
<bounce-processor>
  <address-list>
    address-file ${bounces}
  </address-list>
</bounce-processor>
`,
    { limits: { addressFilePollMs: 50 } },
  );
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The reply to RCPT TO:<address> of a fresh transaction without AUTH. */
async function rcpt(address: string): Promise<string> {
  const c = await RawSmtp.connect(t.port(), t.host());
  try {
    await c.read();
    await c.command('EHLO client.example');
    expect((await c.command('MAIL FROM:<reporter@isp.example>')).code).toBe(250);
    return (await c.command(`RCPT TO:<${address}>`)).text;
  } finally {
    c.close();
  }
}

describe('address-file in a processor <address-list>', () => {
  it("takes mail for the file's addresses and domains from anyone, and treats others as ordinary mail", async () => {
    expect(await rcpt('abuse@fbl.example')).toMatch(/^250 /);
    expect(await rcpt('anything@bounces.example')).toMatch(/^250 /);
    expect(await rcpt('other@fbl.example')).toMatch(/^550 /);
  });

  it('reads the file again when it changes, without a reload', async () => {
    expect(await rcpt('complaints@fbl.example')).toMatch(/^550 /);
    const next = path.join(dir, 'fbl.next');
    writeFileSync(next, 'complaints@fbl.example\n');
    renameSync(next, fbl);
    await expect.poll(() => rcpt('complaints@fbl.example'), { timeout: 10_000, interval: 100 }).toMatch(/^250 /);
    expect(await rcpt('abuse@fbl.example')).toMatch(/^550 /);
  });
});
