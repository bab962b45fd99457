/**
 * Routing by <pattern-list> and jobs (X-Job), end to end: `vmta start` (listener and delivery in one
 * process) takes mail over SMTP from a feeder and delivers it to test receivers on loopback. Each
 * scenario has its own destination domain and receiver, so what a receiver saw (source address and
 * EHLO name) belongs to that scenario only. The accounting files show jobId and the deciding rule.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getTestRedis } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '@vmta/delivery/testing';
import { RawSmtp, sendRaw } from '@vmta/listener/testing';
import { checkConfigText, formatDiagnostic } from '@vmta/config';
import { Cluster, pauseQueue, resumeQueue } from '@vmta/control';
import { Redis } from 'ioredis';
import { startVmtaProcess, type VmtaProcess } from './support/vmta-process.js';

const SCENARIOS = ['billing', 'tenant', 'fallback', 'header', 'job'] as const;
type Scenario = (typeof SCENARIOS)[number];

function config(receivers: Record<Scenario, Receiver>): string {
  return [
    'host-name mx.rt.example',
    'smtp-listener 127.0.0.1:0',
    '<virtual-mta mta1>',
    '  smtp-source-host 127.0.0.2 mta1.rt.example',
    '</virtual-mta>',
    '<virtual-mta billing>',
    '  smtp-source-host 127.0.0.3 billing.rt.example',
    '</virtual-mta>',
    '<virtual-mta acme>',
    '  smtp-source-host 127.0.0.4 acme.rt.example',
    '</virtual-mta>',
    '<pattern-list routes>',
    '  header X-Tenant /^\\s*acme\\s*$/ virtual-mta=acme', // line 13
    '  mail-from /^billing@/ virtual-mta=billing', // line 14
    '</pattern-list>',
    '<source 127.0.0.1>',
    '  always-allow-relaying yes',
    '  default-virtual-mta mta1',
    '  pattern-list routes',
    '  process-x-virtual-mta yes',
    '  process-x-job yes',
    '</source>',
    ...SCENARIOS.flatMap((s) => [`<domain ${s}.test>`, `  smtp-hosts [${receivers[s].host}]:${receivers[s].port}`, '</domain>']),
    '<acct-file r.csv>',
    '  records r',
    '  record-fields r type,orig,rcpt,vmta,jobId,routePattern,msgId',
    '</acct-file>',
    '<acct-file db.csv>',
    '  records d,b',
    '  record-fields d type,rcpt,vmta,jobId,dlvSourceIp,msgId',
    '  record-fields b type,rcpt,vmta,jobId,dlvSourceIp,msgId',
    '</acct-file>',
  ].join('\n');
}

/** Rows of a CSV file whose fields hold no commas or quotes (the fields chosen above), as objects. */
function rows(file: string): Array<Record<string, string>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\r\n').filter((l) => l !== '');
  const out: Array<Record<string, string>> = [];
  let header: string[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    if (cells[0] === 'type') header = cells;
    else out.push(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
  }
  return out;
}

describe('routing by <pattern-list> and X-Job, through vmta start', () => {
  it('routes by mail-from and header rules, falls back to the default, lets X-Virtual-MTA win, and writes the job in r, d and b', { timeout: 90_000 }, async () => {
    const t = await getTestRedis();
    const receivers = {} as Record<Scenario, Receiver>;
    for (const [i, s] of SCENARIOS.entries()) {
      receivers[s] = await startReceiver({ host: `127.0.0.${11 + i}`, startTls: false, rcptReply: (a) => (a.startsWith('gone@') ? [550, '5.1.1 no such user'] : undefined) });
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-e2e-routing-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(conf, config(receivers));
    let vmta: VmtaProcess | undefined;
    try {
      vmta = await startVmtaProcess(conf, { env: { REDIS_URL: t.url, VMTA_PREFIX: t.prefix.slice(0, -1) } });
      const c = await RawSmtp.connect(vmta.port);
      await c.read();
      await c.command('EHLO feeder.example');
      const send = async (from: string, to: string[], headers: string) => {
        const reply = await sendRaw(c, from, to, `${headers}Subject: routing\r\n\r\nhello\r\n.\r\n`);
        expect(reply.code).toBe(250);
      };
      await send('billing@client.example', ['a@billing.test'], 'X-Job: job-billing\r\n');
      await send('news@client.example', ['a@tenant.test'], 'X-Tenant: acme\r\nX-Job: job-tenant\r\n');
      await send('news@client.example', ['a@fallback.test'], '');
      await send('billing@client.example', ['a@header.test'], 'X-Virtual-MTA: acme\r\n');
      await send('billing@client.example', ['ok@job.test', 'gone@job.test'], 'X-Job: job-7\r\n');
      c.close();

      await expect.poll(() => SCENARIOS.map((s) => receivers[s].messages.length), { timeout: 30_000 }).toEqual([1, 1, 1, 1, 1]);
      const seen = (s: Scenario) => receivers[s].connections.map((x) => `${x.remoteAddress} ${x.heloName}`);
      // mail-from rule: billing mail leaves from the billing VMTA's address and EHLO name
      expect(seen('billing')).toEqual(['127.0.0.3 billing.rt.example']);
      // header rule: routed by tenant
      expect(seen('tenant')).toEqual(['127.0.0.4 acme.rt.example']);
      // no rule matched: the source's default VMTA
      expect(seen('fallback')).toEqual(['127.0.0.2 mta1.rt.example']);
      // X-Virtual-MTA wins over the mail-from rule where the source processes it
      expect(seen('header')).toEqual(['127.0.0.4 acme.rt.example']);
      expect(seen('job')).toEqual(['127.0.0.3 billing.rt.example']);
      for (const s of SCENARIOS) {
        const body = receivers[s].messages[0]!.body;
        expect(body, s).not.toMatch(/^X-Job:/im);
        expect(body, s).not.toMatch(/^X-Virtual-MTA:/im);
      }
      expect(receivers.tenant.messages[0]!.body).toMatch(/^X-Tenant: acme\r$/m);

      const acct = (name: string) => rows(path.join(dir, name));
      // (the DSN for gone@ to billing@client.example writes its own records too: not counted here)
      const ours = () => acct('db.csv').filter((x) => x.rcpt?.endsWith('.test')).map((x) => `${x.type} ${x.rcpt}`).sort();
      await expect.poll(ours, { timeout: 30_000 }).toEqual(['b gone@job.test', 'd a@billing.test', 'd a@fallback.test', 'd a@header.test', 'd a@tenant.test', 'd ok@job.test']);
      const r = acct('r.csv');
      const byRcpt = (list: Array<Record<string, string>>, type: string) => Object.fromEntries(list.filter((x) => x.type === type).map((x) => [x.rcpt, x]));
      const received = byRcpt(r.filter((x) => x.rcpt?.endsWith('.test')), 'r');
      expect(Object.keys(received).sort()).toEqual(['a@billing.test', 'a@fallback.test', 'a@header.test', 'a@tenant.test', 'gone@job.test', 'ok@job.test']);
      const pick = (x: Record<string, string> | undefined) => [x?.vmta, x?.jobId, x?.routePattern?.replace(/^.*:(\d+)$/, 'line $1') ?? ''];
      expect(pick(received['a@billing.test'])).toEqual(['billing', 'job-billing', 'line 14']);
      expect(pick(received['a@tenant.test'])).toEqual(['acme', 'job-tenant', 'line 13']);
      expect(pick(received['a@fallback.test'])).toEqual(['mta1', '', '']);
      expect(pick(received['a@header.test'])).toEqual(['acme', '', '']);
      expect(pick(received['ok@job.test'])).toEqual(['billing', 'job-7', 'line 14']);
      expect(received['ok@job.test']!.msgId).toMatch(/\S/);

      const db = acct('db.csv');
      const delivered = byRcpt(db, 'd');
      const bounced = byRcpt(db, 'b');
      expect([delivered['ok@job.test']?.jobId, delivered['ok@job.test']?.dlvSourceIp]).toEqual(['job-7', '127.0.0.3']);
      expect([bounced['gone@job.test']?.jobId, bounced['gone@job.test']?.vmta]).toEqual(['job-7', 'billing']);
      expect(delivered['a@billing.test']?.jobId).toBe('job-billing');
      expect(delivered['a@fallback.test']?.jobId).toBe('');
      // the internal id ties r to d/b records of the same message
      expect(bounced['gone@job.test']?.msgId).toBe(received['gone@job.test']?.msgId);

      vmta.child.kill('SIGTERM');
      expect(await vmta.exited).toBe(0);
    } finally {
      vmta?.kill();
      for (const s of SCENARIOS) await receivers[s]?.close();
      await t.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('recipient-priority=90 delivers a message before the older mail waiting in its queue, also when X-Virtual-MTA chose the VMTA', { timeout: 90_000 }, async () => {
    const t = await getTestRedis();
    const receiver = await startReceiver({ host: '127.0.0.21', startTls: false });
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-e2e-priority-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(
      conf,
      [
        'host-name mx.rt.example',
        'smtp-listener 127.0.0.1:0',
        '<virtual-mta mta1>',
        '  smtp-source-host 127.0.0.2 mta1.rt.example',
        '</virtual-mta>',
        '<pattern-list prio>',
        '  rcpt-to /^urgent/ recipient-priority=90',
        '  rcpt-to /^low@/ recipient-priority=10',
        '</pattern-list>',
        '<source 127.0.0.1>',
        '  always-allow-relaying yes',
        '  default-virtual-mta mta1',
        '  pattern-list prio',
        '  process-x-virtual-mta yes',
        '</source>',
        // One connection, one message at a time: the order of the claims is the order the receiver sees.
        '<domain prio.test>',
        `  smtp-hosts [${receiver.host}]:${receiver.port}`,
        '  max-smtp-out 1',
        '  max-msg-per-connection 1',
        '</domain>',
      ].join('\n'),
    );
    const redis = new Redis(t.url);
    const cluster = new Cluster(redis, t.prefix.slice(0, -1));
    let vmta: VmtaProcess | undefined;
    try {
      await pauseQueue(cluster, 'prio.test/mta1');
      vmta = await startVmtaProcess(conf, { env: { REDIS_URL: t.url, VMTA_PREFIX: t.prefix.slice(0, -1) } });
      const c = await RawSmtp.connect(vmta.port);
      await c.read();
      await c.command('EHLO feeder.example');
      const send = async (to: string, headers = '') => expect((await sendRaw(c, 'news@client.example', [to], `${headers}Subject: prio\r\n\r\nhello\r\n.\r\n`)).code).toBe(250);
      // Default and low priority first, the urgent ones last: they still go first.
      for (const i of [1, 2, 3]) await send(`plain${i}@prio.test`);
      await send('low@prio.test');
      await send('urgent1@prio.test');
      await send('urgent2@prio.test', 'X-Virtual-MTA: mta1\r\n');
      c.close();
      await resumeQueue(cluster, 'prio.test/mta1');
      await expect.poll(() => receiver.messages.length, { timeout: 30_000 }).toBe(6);
      const order = receiver.messages.map((m) => m.to.join(','));
      // The two urgent ones first (their order among themselves is their receipt order); low priority is not held back.
      expect(order.slice(0, 2)).toEqual(['urgent1@prio.test', 'urgent2@prio.test']);
      expect(order.slice(2)).toEqual(['plain1@prio.test', 'plain2@prio.test', 'plain3@prio.test', 'low@prio.test']);
      vmta.child.kill('SIGTERM');
      expect(await vmta.exited).toBe(0);
    } finally {
      vmta?.kill();
      redis.disconnect();
      await receiver.close();
      await t.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('vmta check names file:line and the directive for bad rules', () => {
    const text = [
      '<virtual-mta mta1>',
      '</virtual-mta>',
      '<pattern-list routes>',
      '  mail-from /^billing@/ virtual-mta=nope',
      '  header X-Tenant /(acme/ virtual-mta=mta1',
      '  rcpt-to /x/ deliver-somewhere',
      '</pattern-list>',
    ].join('\n');
    expect(checkConfigText(text, 'routing.conf').errors.map(formatDiagnostic)).toEqual([
      'routing.conf:4: mail-from in <pattern-list routes>: virtual-mta=nope names no <virtual-mta> or <virtual-mta-pool>',
      expect.stringMatching(/^routing\.conf:5: header: "\/\(acme\/" is not a REGEX: Unterminated group/),
      expect.stringMatching(/^routing\.conf:6: rcpt-to: .*unknown result "deliver-somewhere"/),
    ]);
  });
});
