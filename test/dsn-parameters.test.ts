/**
 * RFC 3461 end to end over real SMTP: a client gives RET/ENVID on MAIL FROM and NOTIFY/ORCPT on
 * RCPT TO; the listener advertises DSN, refuses bad values with 501 5.5.4 and stores the rest with
 * the message; delivery passes them on to a next hop that offers DSN, and where one does not, our
 * own notifications honour them (NOTIFY=NEVER: none; SUCCESS: "relayed"; RET; Original-Envelope-Id;
 * Original-Recipient). The notifications go to the sender's MX, a third test receiver, and are
 * read there with mailparser.
 */
import { startDelivery, type RunningDelivery } from '@vmta/delivery';
import { getTestRedis } from '@vmta/testing';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver, type ReceivedMessage } from '@vmta/delivery/testing';
import { RawSmtp, startTestListener, type TestListener } from '@vmta/listener/testing';

let dsnHop: Receiver;
let plainHop: Receiver;
let senderMx: Receiver;
let t: TestListener;
let delivery: RunningDelivery | undefined;

beforeAll(async () => {
  dsnHop = await startReceiver({ host: '127.0.0.10', startTls: false });
  plainHop = await startReceiver({
    host: '127.0.0.11',
    startTls: false,
    offerDsn: false,
    rcptReply: (a) => (a.startsWith('gone') ? [550, '5.1.1 No such user'] : undefined),
  });
  senderMx = await startReceiver({ host: '127.0.0.12', startTls: false });
  t = await startTestListener(
    await getTestRedis(),
    `
host-name mx.dsn.example
postmaster postmaster@mx.dsn.example
smtp-listener 127.0.0.1:0
<source 0/0>
  always-allow-relaying yes
</source>
<domain dsn-hop.example>
  smtp-hosts [127.0.0.10]:${dsnHop.port}
</domain>
<domain plain-hop.example>
  smtp-hosts [127.0.0.11]:${plainHop.port}
</domain>
<domain sender.example>
  smtp-hosts [127.0.0.12]:${senderMx.port}
</domain>
`,
  );
});

afterAll(async () => {
  await delivery?.close();
  await t?.close();
  await Promise.all([dsnHop, plainHop, senderMx].map((r) => r?.close()));
});

async function session(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(t.port(), t.host());
  expect((await c.read()).code).toBe(220);
  return c;
}

/** One message over SMTP: the MAIL FROM line's parameters and each RCPT TO line; returns the queue id. */
async function send(mailParams: string, rcpts: string[], subject: string): Promise<string> {
  const c = await session();
  await c.command('EHLO client.example');
  expect((await c.command(`MAIL FROM:<alice@sender.example> ${mailParams}`)).code).toBe(250);
  for (const r of rcpts) expect((await c.command(`RCPT TO:${r}`)).code).toBe(250);
  expect((await c.command('DATA')).code).toBe(354);
  const reply = await c.command(`From: alice@sender.example\r\nSubject: ${subject}\r\n\r\nthe secret body\r\n.`);
  expect(reply.code).toBe(250);
  await c.command('QUIT');
  c.close();
  return /queued as (\S+)/.exec(reply.text)![1]!;
}

/** The delivery-status part as field groups: per-message fields first, then one per recipient. */
function statusGroups(mail: ParsedMail): Array<Record<string, string>> {
  const part = mail.attachments.find((a) => a.contentType === 'message/delivery-status');
  return part!.content
    .toString('ascii')
    .replace(/\r\n[ \t]+/g, ' ')
    .split(/\r\n\r\n/)
    .filter((g) => g.trim() !== '')
    .map((g) => Object.fromEntries(g.split('\r\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()])));
}

const notices = (): ReceivedMessage[] => senderMx.messages.filter((m) => m.from === '');
const parse = (m: ReceivedMessage) => simpleParser(Buffer.from(m.body, 'utf8'), { keepDeliveryStatus: true });

describe('DSN parameters (RFC 3461) from client to next hop', () => {
  let ids: { hdrs: string; full: string; passed: string };

  it('advertises DSN in the EHLO reply', async () => {
    const c = await session();
    const ehlo = await c.command('EHLO client.example');
    expect(ehlo.lines.map((l) => l.slice(4))).toContain('DSN');
    c.close();
  });

  it.each([
    ['MAIL FROM:<alice@sender.example> RET=BODY', '501 5.5.4 Invalid RET parameter value: must be FULL or HDRS'],
    ['MAIL FROM:<alice@sender.example> ENVID=a+0D+0Ab', '501 5.5.4 Invalid ENVID parameter: only printable US-ASCII allowed'],
    ['MAIL FROM:<alice@sender.example> ENVID=a+zz', '501 5.5.4 Invalid ENVID parameter: not xtext (RFC 3461)'],
  ])('answers %s with %s', async (line, reply) => {
    const c = await session();
    await c.command('EHLO client.example');
    expect((await c.command(line)).text).toBe(reply);
    // The session goes on: a good MAIL FROM is taken after the refusal.
    expect((await c.command('MAIL FROM:<alice@sender.example> RET=HDRS')).code).toBe(250);
    c.close();
  });

  it.each([
    ['RCPT TO:<bob@dsn-hop.example> NOTIFY=NEVER,SUCCESS', '501 5.5.4 Invalid NOTIFY parameter value: NEVER cannot be combined with other values'],
    ['RCPT TO:<bob@dsn-hop.example> ORCPT=bob@dsn-hop.example', '501 5.5.4 Invalid ORCPT parameter: must be addr-type;xtext'],
  ])('answers %s with %s', async (line, reply) => {
    const c = await session();
    await c.command('EHLO client.example');
    await c.command('MAIL FROM:<alice@sender.example>');
    expect((await c.command(line)).text).toBe(reply);
    c.close();
  });

  it('stores ENVID, RET, NOTIFY and ORCPT with the message, decoded from xtext', async () => {
    ids = {
      hdrs: await send(
        'RET=HDRS ENVID=QQ+2B1',
        [
          '<ok@plain-hop.example> NOTIFY=SUCCESS ORCPT=rfc822;Ok.Original+2Bx@example.org',
          '<gone-never@plain-hop.example> NOTIFY=NEVER',
          '<gone-fail@plain-hop.example> NOTIFY=FAILURE ORCPT=rfc822;fail@example.org',
          '<quiet@plain-hop.example>',
        ],
        'hdrs',
      ),
      full: await send('RET=FULL ENVID=E2', ['<gone-full@plain-hop.example>'], 'full'),
      passed: await send(
        'RET=FULL ENVID=P+3D3',
        ['<one@dsn-hop.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;One+2BTag@example.org', '<two@dsn-hop.example> NOTIFY=DELAY ORCPT=rfc822;two@example.org', '<three@dsn-hop.example>'],
        'passed',
      ),
    };
    const m = await t.store.get(ids.hdrs);
    expect(m).toMatchObject({ envId: 'QQ+1', ret: 'HDRS' });
    expect(m!.recipients.map((r) => [r.address, r.notify, r.orcpt])).toEqual([
      ['ok@plain-hop.example', ['SUCCESS'], 'rfc822;Ok.Original+x@example.org'],
      ['gone-never@plain-hop.example', ['NEVER'], undefined],
      ['gone-fail@plain-hop.example', ['FAILURE'], 'rfc822;fail@example.org'],
      ['quiet@plain-hop.example', undefined, undefined],
    ]);
    expect(await t.store.get(ids.passed)).toMatchObject({ envId: 'P=3', ret: 'FULL' });
  });

  it('passes the parameters on, per recipient, to a next hop that offers DSN, and sends no notice itself', { timeout: 30_000 }, async () => {
    delivery = await startDelivery({ config: t.config, redisUrl: t.redisUrl, prefix: t.prefix, concurrency: 2 });
    await expect.poll(() => dsnHop.messages.length, { timeout: 20_000 }).toBe(1);
    const lines = dsnHop.commands.filter((l) => /^(MAIL|RCPT)/.test(l));
    expect(lines[0]).toMatch(/^MAIL FROM:<alice@sender\.example>( \w+=\S+)* RET=FULL ENVID=P\+3D3$/);
    expect(lines.slice(1)).toEqual([
      'RCPT TO:<one@dsn-hop.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;One+2BTag@example.org',
      'RCPT TO:<two@dsn-hop.example> NOTIFY=DELAY ORCPT=rfc822;two@example.org',
      'RCPT TO:<three@dsn-hop.example>',
    ]);
  });

  it('sends "relayed" for NOTIFY=SUCCESS, "failed" by NOTIFY and RET, and nothing for NOTIFY=NEVER where the next hop has no DSN', { timeout: 30_000 }, async () => {
    // hdrs: one relayed notice (ok@) and one failed notice (gone-fail@); full: one failed notice with the whole message.
    await expect.poll(() => notices().length, { timeout: 20_000 }).toBe(3);
    await new Promise((r) => setTimeout(r, 500));
    expect(notices()).toHaveLength(3);
    // The next hop without DSN got no DSN parameters.
    expect(plainHop.commands.filter((l) => /NOTIFY=|ORCPT=|RET=|ENVID=/.test(l))).toEqual([]);

    const parsed = await Promise.all(notices().map(parse));
    const bySubject = (s: string) => parsed.filter((p) => p.subject === s);

    const [relayed] = bySubject('Delivery Status Notification (Relayed)');
    const [perMessage, ok, ...none] = statusGroups(relayed!);
    expect(perMessage?.['Original-Envelope-Id']).toBe('QQ+1');
    expect(ok).toMatchObject({ 'Original-Recipient': 'rfc822;Ok.Original+x@example.org', 'Final-Recipient': 'rfc822; ok@plain-hop.example', Action: 'relayed', Status: '2.0.0' });
    expect(none).toEqual([]);
    expect(relayed!.attachments[1]?.contentType).toBe('text/rfc822-headers');

    const failed = bySubject('Undelivered Mail Returned to Sender');
    expect(failed).toHaveLength(2);
    const hdrs = failed.find((f) => statusGroups(f)[0]?.['Original-Envelope-Id'] === 'QQ+1')!;
    // gone-never@ (NOTIFY=NEVER) is not reported; quiet@ was delivered and asked for nothing.
    expect(statusGroups(hdrs).slice(1)).toEqual([
      expect.objectContaining({ 'Original-Recipient': 'rfc822;fail@example.org', 'Final-Recipient': 'rfc822; gone-fail@plain-hop.example', Action: 'failed', Status: '5.1.1' }),
    ]);
    expect(hdrs.attachments[1]?.contentType).toBe('text/rfc822-headers');
    expect(hdrs.attachments[1]?.content.toString()).not.toContain('the secret body');

    const full = failed.find((f) => statusGroups(f)[0]?.['Original-Envelope-Id'] === 'E2')!;
    expect(full.attachments[1]?.contentType).toBe('message/rfc822');
    expect((await simpleParser(full.attachments[1]!.content)).text).toContain('the secret body');
  });
});
