/**
 * Suppression at RCPT over real SMTP: <address-list> entries of each kind, an address-file and its
 * change on disk, and the per-tenant suppression store (user:NAME, the global store, expiry).
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRedis, SuppressionStore } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, RawSmtp, startTestListener, type TestListener } from './testing/smtp-test-kit.js';

let t: TestListener;
let dir: string;
let file: string;
let store: SuppressionStore;
let redis: ReturnType<typeof createRedis>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vmta-supp-'));
  file = path.join(dir, 'addresses.txt');
  writeFileSync(file, '# one a line\nfromfile@ours.example\nlocalfromfile\n@filedomain.example\n');
  t = await startTestListener(
    await getTestRedis(),
    `
host-name mx.test.example
smtp-listener 127.0.0.1:0
smtp-listener 127.0.0.7:0 source=unlisted
relay-domain ours.example
relay-domain filedomain.example
relay-domain blocked.example
<address-list manual>
  address foo@ours.example
  address bar
  address /^trap-\\d+@/
  domain blocked.example
</address-list>
<address-list fromfile>
  address-file ${file}
</address-list>
<smtp-user alice>
  password a1
</smtp-user>
<smtp-user bob>
  password b2
</smtp-user>
<source 0/0>
  suppression-lists manual,fromfile
  allow-unencrypted-plain-auth yes
</source>
<source unlisted>
  suppression-lists ""
</source>
`,
    { limits: { addressFilePollMs: 50 } },
  );
  redis = createRedis(t.redisUrl, 'cli');
  store = new SuppressionStore(redis, t.prefix);
});
afterAll(async () => {
  await t?.close();
  redis?.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

async function session(n = 0, user?: string): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(n), t.host(n));
  expect((await c.read()).code).toBe(220);
  expect((await c.command('EHLO client.example')).code).toBe(250);
  if (user) expect((await c.command(`AUTH PLAIN ${b64(`\0${user}\0${user === 'alice' ? 'a1' : 'b2'}`)}`)).code).toBe(235);
  expect((await c.command('MAIL FROM:<sender@client.example>')).code).toBe(250);
  return c;
}

async function rcpt(address: string, n = 0, user?: string): Promise<string> {
  const c = await session(n, user);
  const r = await c.command(`RCPT TO:<${address}>`);
  c.close();
  return r.text;
}

/** Polls until `check` holds (the file is re-read in the background); fails after many tries. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition never held');
}

describe('<address-list> at RCPT', () => {
  it.each([
    ['an address', 'foo@ours.example', 'manual'],
    ['an address in another case', 'FOO@Ours.Example', 'manual'],
    ['a local part (any domain)', 'bar@ours.example', 'manual'],
    ['a /regex/', 'trap-42@ours.example', 'manual'],
    ['a domain', 'anyone@blocked.example', 'manual'],
    ['an address of the address-file', 'fromfile@ours.example', 'fromfile'],
    ['a local part of the address-file', 'localfromfile@ours.example', 'fromfile'],
    ['a domain (@domain) of the address-file', 'x@filedomain.example', 'fromfile'],
  ])('refuses %s with 550 5.7.1 naming the list', async (_what, address, list) => {
    const shown = address.replace(/@.*$/, (domain) => domain.toLowerCase());
    expect(await rcpt(address)).toBe(`550 5.7.1 recipient is in suppression list "${list}": <${shown}>`);
  });

  it('accepts an unlisted recipient, and keeps the transaction of the others', async () => {
    const c = await session();
    expect((await c.command('RCPT TO:<foo@ours.example>')).code).toBe(550);
    expect((await c.command('RCPT TO:<someone@ours.example>')).code).toBe(250);
    expect((await c.command('RCPT TO:<trap-x@ours.example>')).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    c.write('Subject: s\r\n\r\nbody\r\n.\r\n');
    const r = await c.read();
    expect(r.code).toBe(250);
    const stored = await t.store.get(/queued as (\S+)/.exec(r.text)![1]!);
    expect(stored?.recipients.map((x) => x.address).sort()).toEqual(['someone@ours.example', 'trap-x@ours.example']);
    c.close();
  });

  it('applies only to sources that name the list', async () => {
    expect(await rcpt('foo@ours.example', 1)).toMatch(/^250 /);
  });

  it('reads the address-file again when it changes, without a restart', async () => {
    expect(await rcpt('later@ours.example')).toMatch(/^250 /);
    const next = path.join(dir, 'next.txt');
    writeFileSync(next, 'later@ours.example\n');
    renameSync(next, file);
    await eventually(async () => (await rcpt('later@ours.example')).startsWith('550 5.7.1 recipient is in suppression list "fromfile"'));
    // The old lines are gone with the old file.
    expect(await rcpt('fromfile@ours.example')).toMatch(/^250 /);
  });
});

describe('suppression store at RCPT', () => {
  it('refuses a stored address for its tenant only', async () => {
    await store.add('user:alice', [{ address: 'gone@ours.example', reason: 'bad-mailbox' }]);
    expect(await rcpt('gone@ours.example', 0, 'alice')).toBe('550 5.7.1 recipient is suppressed (bad-mailbox): <gone@ours.example>');
    expect(await rcpt('gone@ours.example', 0, 'bob')).toMatch(/^250 /);
    expect(await rcpt('gone@ours.example', 0)).toMatch(/^250 /);
  });

  it('refuses an address of the global store (*) for every tenant', async () => {
    await store.add('*', [{ address: 'all@ours.example', reason: 'manual' }]);
    expect(await rcpt('all@ours.example', 0, 'alice')).toMatch(/^550 5\.7\.1 recipient is suppressed \(manual\)/);
    expect(await rcpt('all@ours.example', 0, 'bob')).toMatch(/^550 5\.7\.1 /);
    expect(await rcpt('all@ours.example', 1)).toMatch(/^550 5\.7\.1 /);
  });

  it('forgets an entry once it expired, and a later write sweeps it from the hash', async () => {
    const past = Date.now() - 60_000;
    await store.add('user:bob', [{ address: 'brief@ours.example', reason: 'bad-mailbox', ttlMs: 1000 }], past);
    await store.add('user:bob', [{ address: 'kept@ours.example', reason: 'bad-mailbox', ttlMs: 3_600_000 }]);
    expect(await rcpt('kept@ours.example', 0, 'bob')).toMatch(/^550 /);
    expect(await rcpt('brief@ours.example', 0, 'bob')).toMatch(/^250 /);
    expect(await redis.hexists(`${t.prefix}:{s:user:bob}:supp`, 'brief@ours.example')).toBe(0);
    expect(await redis.hexists(`${t.prefix}:{s:user:bob}:supp`, 'kept@ours.example')).toBe(1);
  });
});
