/**
 * HTTP injection end to end: `vmta start` with http-inject-port, mail injected as JSON and as a raw
 * message, delivered to a loopback receiver with the routing (pattern-list, the vmta field: the
 * VMTA's source IP) and DKIM signatures SMTP mail gets (verified by mailauth against the test DNS
 * server); the raw message delivered byte for byte as the same message sent over SMTP, but for the
 * trace and signature fields.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startReceiver, startTestDnsServer, verifyWithMailauth, writeTestKey } from '@vmta/delivery/testing';
import { RawSmtp, sendRaw } from '@vmta/listener/testing';
import { freePort } from './support/free-port.js';
import { startVmtaProcess } from './support/vmta-process.js';


/** The header block without DKIM-Signature and Received fields (with their continuation lines), and the body. */
function withoutTrace(message: string): string {
  const end = message.indexOf('\r\n\r\n');
  const fields = message.slice(0, end + 2).split(/\r\n(?![ \t])/).filter((f) => f !== '' && !/^(dkim-signature|received):/i.test(f));
  return `${fields.join('\r\n')}\r\n${message.slice(end + 2)}`;
}

describe('HTTP injection end to end', () => {
  it('delivers JSON and raw injections with the routing and DKIM of SMTP mail', { timeout: 90_000 }, async () => {
    const t = await getTestRedis();
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-e2e-inject-'));
    const rsa = writeTestKey(dir, 'rsa', 'rsa');
    const dns = await startTestDnsServer({ address: '127.0.0.1', zone: { 'rsa1._domainkey.news.example': { TXT: [rsa.txt] } } });
    const receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const injectPort = await freePort();
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(
      conf,
      [
        'host-name mx.e2e.example',
        'smtp-listener 127.0.0.1:0',
        `http-inject-port ${injectPort}`,
        'domain-key rsa1,news.example,rsa.pem',
        '<smtp-user api>',
        '  password pw',
        '  http-inject-api-key secret-key-1',
        '  source tenant',
        '</smtp-user>',
        '<source 0/0>',
        '  always-allow-relaying yes',
        '  process-x-virtual-mta yes',
        '  pattern-list tenants',
        '</source>',
        '<source tenant>',
        '  process-x-virtual-mta yes',
        '  pattern-list tenants',
        '</source>',
        '<pattern-list tenants>',
        '  header X-Tenant /^\\s*acme\\s*$/ virtual-mta=acme',
        '</pattern-list>',
        '<virtual-mta acme>',
        '  smtp-source-host 127.0.0.4 acme.e2e.example',
        '</virtual-mta>',
        '<virtual-mta bulk>',
        '  smtp-source-host 127.0.0.5 bulk.e2e.example',
        '</virtual-mta>',
        '<domain *>',
        `  smtp-hosts [127.0.0.10]:${receiver.port}`,
        '  dkim-sign yes',
        '</domain>',
      ].join('\n'),
    );
    const vmta = await startVmtaProcess(conf, { env: { REDIS_URL: t.url, VMTA_PREFIX: t.prefix.slice(0, -1) } });
    try {
      const base = `http://127.0.0.1:${injectPort}`;
      const auth = { authorization: 'Bearer secret-key-1' };
      // Ready once the injection server logged; retry the connection until then.
      const post = async (p: string, body: string, type: string): Promise<Response> => {
        for (let i = 0; ; i++) {
          try {
            return await fetch(`${base}${p}`, { method: 'POST', body, headers: { ...auth, 'content-type': type } });
          } catch (err) {
            if (i > 100) throw err;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      };
      const json = await post(
        '/api/inject',
        JSON.stringify({ from: 'news@news.example', recipients: [{ email: 'ann@dest.test' }], subject: 'json one', text: 'hello json', headers: { 'X-Tenant': 'acme' } }),
        'application/json',
      );
      expect(json.status).toBe(202);
      expect(((await json.json()) as { messages: Array<{ queues: string[] }> }).messages[0]!.queues).toEqual(['dest.test/acme']);
      const byField = await post('/api/inject', JSON.stringify({ from: 'news@news.example', recipients: [{ email: 'bob@dest.test' }], subject: 'json two', text: 'hi', vmta: 'bulk' }), 'application/json');
      expect(byField.status).toBe(202);

      const raw = [
        'From: "News" <news@news.example>',
        'To: carol@dest.test',
        'Subject: the same message',
        'X-Tenant: acme',
        'Date: Mon, 1 Jan 2024 00:00:00 +0000',
        'Message-ID: <same@news.example>',
        '',
        'one body  ',
        '',
      ].join('\r\n');
      const rawAnswer = await post('/api/inject/raw?mail_from=news@news.example&rcpt_to=carol@dest.test', raw, 'message/rfc822');
      expect(rawAnswer.status).toBe(202);
      const c = await RawSmtp.connect(vmta.port);
      await c.read();
      await c.command('EHLO client.example');
      expect((await sendRaw(c, 'news@news.example', ['dave@dest.test'], `${raw.replace('To: carol', 'To: dave')}.\r\n`)).code).toBe(250);
      c.close();

      await expect.poll(() => receiver.messages.length, { timeout: 60_000 }).toBe(4);
      const byRcpt = (rcpt: string) => receiver.messages.find((m) => m.to.includes(rcpt))!;
      expect(byRcpt('ann@dest.test').clientIp).toBe('127.0.0.4');
      expect(byRcpt('bob@dest.test').clientIp).toBe('127.0.0.5');
      expect(byRcpt('carol@dest.test').clientIp).toBe('127.0.0.4');
      expect(byRcpt('dave@dest.test').clientIp).toBe('127.0.0.4');
      for (const rcpt of ['ann@dest.test', 'bob@dest.test', 'carol@dest.test', 'dave@dest.test']) {
        const verified = await verifyWithMailauth(Buffer.from(byRcpt(rcpt).body, 'utf8'), dns.server);
        expect([rcpt, verified.map((r) => [r.d, r.s, r.pass])]).toEqual([rcpt, [['news.example', 'rsa1', true]]]);
      }
      const annBody = byRcpt('ann@dest.test').body;
      expect(annBody).toMatch(/^DKIM-Signature: [^]*\r\nReceived: from http-inject /);
      expect(annBody).toContain('Subject: json one');
      expect(annBody).not.toMatch(/X-Virtual-MTA/i);
      expect(byRcpt('bob@dest.test').body).not.toMatch(/X-Virtual-MTA/i);
      expect(withoutTrace(byRcpt('carol@dest.test').body)).toBe(withoutTrace(byRcpt('dave@dest.test').body).replace('To: dave', 'To: carol'));

      vmta.child.kill('SIGTERM');
      expect(await vmta.exited).toBe(0);
    } finally {
      vmta.kill();
      await receiver.close();
      await dns.close();
      await t.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
