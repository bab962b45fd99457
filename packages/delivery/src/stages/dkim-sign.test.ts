import crypto from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { domainPolicy, loadConfigText, type VmtaConfig } from '@vmta/config';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestDnsServer, type TestDnsServer } from '../testing/test-dns-server.js';
import { DkimSigner, dkimHeaderList, type DkimMessage } from './dkim-sign.js';
import { verifyWithMailauth, verifyWithPython, writeTestKey, type TestKey } from '../testing/dkim-test-kit.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vmta-dkim-'));
let dns: TestDnsServer;
let keys: Record<'rsa' | 'ed' | 'star' | 'pool' | 'rsa1024', TestKey>;
let config: VmtaConfig;

const conf = (k: typeof keys): string =>
  [
    `domain-key star,*,${k.star.file}`, // 1: global, any domain
    '<virtual-mta mta1>',
    '  smtp-source-host 127.0.0.2 mta1.example.net',
    `  domain-key rsa1,example.com,${k.rsa.file}`, // parent domain of news.example.com
    `  domain-key ed1,example.com,${k.ed.file}`,
    '</virtual-mta>',
    '<virtual-mta mta2>',
    '  smtp-source-host 127.0.0.3 mta2.example.net',
    '</virtual-mta>',
    '<virtual-mta-pool pool1>',
    '  virtual-mta mta2',
    `  domain-key pool,example.com,${k.pool.file}`,
    '</virtual-mta-pool>',
    '<domain *>',
    '  dkim-sign yes',
    '</domain>',
    '<domain simple.test>',
    '  dkim-headers-canon simple',
    '  dkim-body-canon simple',
    '</domain>',
    '<domain nosign.test>',
    '  dkim-sign no',
    '</domain>',
    '<domain ifx.test>',
    '  dkim-sign if-x-dkim-options-present',
    '</domain>',
    '<domain esp.test>',
    '  dkim-identity bounce@mail.example.com',
    '</domain>',
    '<domain strict.test>',
    '  dkim-identity strict-from',
    '</domain>',
    '<domain extra.test>',
    '  dkim-headers X-Campaign, /^x-list-/',
    '</domain>',
  ].join('\n');

const FOLDED_8BIT = Buffer.from(
  [
    'Received: from client.example by mx.example.net; Mon, 1 Jan 2024 00:00:00 +0000',
    'From: "Nouvelles" <news@news.example.com>',
    'To: bob@far.example,',
    '\tcarol@far.example',
    'Subject: a folded',
    '  subject line   with  spaces',
    'Date: Mon, 1 Jan 2024 00:00:00 +0000',
    'Message-ID: <m1@news.example.com>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    'X-Campaign: spring',
    'X-List-Id: 42',
    '',
    'Déjà vu — ünïcödé 8-bit body  ',
    'with trailing spaces\t ',
    '',
    '',
  ].join('\r\n'),
);

const msg = (body: Buffer | string, extra: Partial<DkimMessage> = {}): DkimMessage => ({
  id: 'q1',
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  receivedAt: Date.UTC(2024, 0, 1),
  ...extra,
});

const simpleMessage = (from: string, headers = ''): Buffer =>
  Buffer.from(`From: ${from}\r\n${headers}To: bob@far.example\r\nSubject: hi\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nhello\r\n`);

async function sign(m: DkimMessage, rcptDomain: string, vmta: string, signer = new DkimSigner(), c = config): Promise<Buffer> {
  return signer.sign(m, vmta, domainPolicy(c, rcptDomain, vmta).settings, c);
}

async function verify(signed: Buffer) {
  const [python, mailauth] = await Promise.all([verifyWithPython(signed, dns.server, dir), verifyWithMailauth(signed, dns.server)]);
  return { python, mailauth };
}

beforeAll(async () => {
  keys = {
    rsa: writeTestKey(dir, 'rsa', 'rsa'),
    ed: writeTestKey(dir, 'ed', 'ed25519'),
    star: writeTestKey(dir, 'star', 'rsa'),
    pool: writeTestKey(dir, 'pool', 'rsa'),
    rsa1024: writeTestKey(dir, 'rsa1024', 'rsa', 1024),
  };
  config = loadConfigText(conf(keys));
  dns = await startTestDnsServer({
    address: '127.0.0.1',
    zone: {
      'rsa1._domainkey.example.com': { TXT: [keys.rsa.txt] },
      'ed1._domainkey.example.com': { TXT: [keys.ed.txt] },
      'pool._domainkey.example.com': { TXT: [keys.pool.txt] },
      'star._domainkey.other.org': { TXT: [keys.star.txt] },
      'star._domainkey.news.example.com': { TXT: [keys.star.txt] },
    },
  });
});

afterAll(async () => {
  await dns?.close();
});

describe('DkimSigner: signatures checked by python3-dkim and by mailauth against keys served by the test DNS server', () => {
  it('signs a message with folded headers and an 8-bit body twice (rsa-sha256 and ed25519-sha256) with the parent domain keys, relaxed/relaxed by default', async () => {
    const signed = await sign(msg(FOLDED_8BIT), 'far.example', 'mta1');
    const { python, mailauth } = await verify(signed);
    expect(python).toEqual([
      expect.objectContaining({ d: 'example.com', s: 'rsa1', a: 'rsa-sha256', c: 'relaxed/relaxed', pass: true }),
      expect.objectContaining({ d: 'example.com', s: 'ed1', a: 'ed25519-sha256', c: 'relaxed/relaxed', pass: true }),
    ]);
    expect(mailauth.map((r) => [r.s, r.a, r.pass])).toEqual([
      ['rsa1', 'rsa-sha256', true],
      ['ed1', 'ed25519-sha256', true],
    ]);
    expect(signed.subarray(signed.length - FOLDED_8BIT.length).equals(FOLDED_8BIT)).toBe(true);
    // The verifiers do fail a changed message: one body byte altered.
    const tampered = Buffer.from(signed);
    tampered[tampered.length - 30]! ^= 1;
    const bad = await verify(tampered);
    expect([...bad.python, ...bad.mailauth].map((r) => r.pass)).toEqual([false, false, false, false]);
  });

  it('signs with simple/simple canonicalization where the domain asks for it', async () => {
    const { python, mailauth } = await verify(await sign(msg(FOLDED_8BIT), 'simple.test', 'mta1'));
    expect(python.map((r) => [r.c, r.pass])).toEqual([
      ['simple/simple', true],
      ['simple/simple', true],
    ]);
    expect(mailauth.every((r) => r.pass && r.c === 'simple/simple')).toBe(true);
  });

  it('signs with the * key as the sending domain itself when no other key matches', async () => {
    const { python, mailauth } = await verify(await sign(msg(simpleMessage('a@other.org')), 'far.example', 'mta1'));
    expect(python).toEqual([expect.objectContaining({ d: 'other.org', s: 'star', a: 'rsa-sha256', pass: true })]);
    expect(mailauth.map((r) => [r.d, r.pass])).toEqual([['other.org', true]]);
  });

  it("takes the Sender header's domain before the From header's", async () => {
    const { python } = await verify(await sign(msg(simpleMessage('a@other.org', 'Sender: list@lists.example.com\r\n')), 'far.example', 'mta1'));
    expect(python.map((r) => [r.d, r.s, r.pass])).toEqual([
      ['example.com', 'rsa1', true],
      ['example.com', 'ed1', true],
    ]);
  });

  it("uses the pool's key before the global one for a member VMTA of that pool", async () => {
    const { python } = await verify(await sign(msg(simpleMessage('a@example.com'), { vmtaPool: 'pool1' }), 'far.example', 'mta2'));
    expect(python.map((r) => [r.s, r.pass])).toEqual([['pool', true]]);
  });

  it('puts dkim-identity in i= and picks the key by its domain', async () => {
    const { python, mailauth } = await verify(await sign(msg(simpleMessage('a@customer.test')), 'esp.test', 'mta1'));
    expect(python.map((r) => [r.d, r.i, r.pass])).toEqual([
      ['example.com', 'bounce@mail.example.com', true],
      ['example.com', 'bounce@mail.example.com', true],
    ]);
    expect(mailauth.every((r) => r.pass)).toBe(true);
  });

  it('signs the dkim-headers names and the fields matching its /regex/ besides the defaults', async () => {
    const signed = await sign(msg(FOLDED_8BIT), 'extra.test', 'mta1');
    const h = /\bh=([^;]+);/.exec(signed.toString('latin1').replace(/\r\n[ \t]+/g, ' '))?.[1]?.replace(/\s/g, '').toLowerCase();
    expect(h?.split(':')).toEqual(expect.arrayContaining(['x-campaign', 'x-list-id', 'from', 'subject']));
    expect((await verify(signed)).python.every((r) => r.pass)).toBe(true);
    expect(dkimHeaderList([{ kind: 'name', name: 'received' }], ['received'])).not.toContain('received');
  });

  it.each([
    ['dkim-sign no', 'nosign.test'],
    ['dkim-sign if-x-dkim-options-present and no X-DKIM-Options header', 'ifx.test'],
  ])('leaves the message unsigned with %s', async (_what, domain) => {
    const m = msg(simpleMessage('a@example.com'));
    expect(await sign(m, domain, 'mta1')).toBe(m.body);
  });

  it('signs strict-from mail only with a key for exactly the From domain (not the parent example.com): here the * key', async () => {
    const { python } = await verify(await sign(msg(simpleMessage('a@news.example.com', 'Sender: x@other.org\r\n')), 'strict.test', 'mta1'));
    expect(python.map((r) => [r.d, r.s, r.pass])).toEqual([['news.example.com', 'star', true]]);
  });

  it('signs when dkim-sign is if-x-dkim-options-present and the header is there', async () => {
    const { python } = await verify(await sign(msg(simpleMessage('a@example.com', 'X-DKIM-Options: yes\r\n')), 'ifx.test', 'mta1'));
    expect(python.map((r) => r.pass)).toEqual([true, true]);
  });

  it('signs once per message and VMTA: a retry takes the cached header, and a fresh process makes the same bytes', async () => {
    const signer = new DkimSigner();
    const first = await sign(msg(FOLDED_8BIT), 'far.example', 'mta1', signer);
    const again = await sign(msg(FOLDED_8BIT), 'other.example', 'mta1', signer);
    expect(signer.signed).toBe(1);
    expect(again.equals(first)).toBe(true);
    const elsewhere = await sign(msg(FOLDED_8BIT), 'far.example', 'mta1', new DkimSigner());
    expect(elsewhere.equals(first)).toBe(true);
    expect(first.toString('latin1')).toContain(`t=${Date.UTC(2024, 0, 1) / 1000}`);
  });

  it('signs with the new key after a reload that rotates it (a new configuration object)', async () => {
    const signer = new DkimSigner();
    const before = await sign(msg(simpleMessage('a@other.org')), 'far.example', 'mta1', signer);
    const rotated = writeTestKey(dir, 'star2', 'rsa');
    const reloaded = loadConfigText(conf({ ...keys, star: rotated }));
    dns.setZone({ 'star._domainkey.other.org': { TXT: [rotated.txt] } });
    try {
      const after = await sign(msg(simpleMessage('a@other.org')), 'far.example', 'mta1', signer, reloaded);
      expect(signer.signed).toBe(2);
      expect(after.equals(before)).toBe(false);
      expect((await verifyWithPython(after, dns.server, dir)).map((r) => r.pass)).toEqual([true]);
    } finally {
      dns.setZone({
        'rsa1._domainkey.example.com': { TXT: [keys.rsa.txt] },
        'ed1._domainkey.example.com': { TXT: [keys.ed.txt] },
        'pool._domainkey.example.com': { TXT: [keys.pool.txt] },
        'star._domainkey.other.org': { TXT: [keys.star.txt] },
      });
    }
  });
});

describe('the parsed key handed to mailauth (patches/mailauth@7.1.0.patch)', () => {
  const options = (privateKey: string | crypto.KeyObject) => {
    const key = { signingDomain: 'example.com', selector: 'rsa1', privateKey };
    return { ...key, signTime: new Date(Date.UTC(2024, 0, 1)), signatureData: [key] };
  };

  it('signs with a KeyObject the same bytes as with the PEM, and refuses a public KeyObject', async () => {
    const pem = readFileSync(keys.rsa.file, 'utf8');
    const fromPem = await dkimSign(FOLDED_8BIT, options(pem));
    const fromKey = await dkimSign(FOLDED_8BIT, options(crypto.createPrivateKey(pem)));
    expect(fromPem.errors).toEqual([]);
    expect(fromKey.signatures).not.toBe('');
    expect(fromKey.signatures).toBe(fromPem.signatures);
    const publicOnly = await dkimSign(FOLDED_8BIT, options(crypto.createPublicKey(pem)));
    expect(publicOnly.signatures).toBe('');
    expect(publicOnly.errors.map((e) => e.err.message)).toEqual(['Expected a private key']);
  });

  it('parses no key per message: 20 messages signed with RSA and Ed25519 create no private key object, and verify', async () => {
    const signer = new DkimSigner();
    await sign(msg(FOLDED_8BIT, { id: 'warm' }), 'far.example', 'mta1', signer); // reads the key files once
    const parse = vi.spyOn(crypto, 'createPrivateKey');
    try {
      const signed: Buffer[] = [];
      for (let i = 0; i < 20; i++) signed.push(await sign(msg(FOLDED_8BIT, { id: `m${i}` }), 'far.example', 'mta1', signer));
      expect(signer.signed).toBe(21);
      expect(parse).not.toHaveBeenCalled();
      const { python, mailauth } = await verify(signed[19]!);
      expect(python.map((r) => [r.s, r.pass])).toEqual([['rsa1', true], ['ed1', true]]);
      expect(mailauth.map((r) => [r.s, r.pass])).toEqual([['rsa1', true], ['ed1', true]]);
    } finally {
      parse.mockRestore();
    }
  });
});
