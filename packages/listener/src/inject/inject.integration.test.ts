/**
 * The HTTP injection API over real HTTP and real Redis, in process: JSON and raw injection queued with
 * the SMTP path's routing (pattern-list, vmta field, job), substitutions, auth (key, Basic, wrong),
 * 400 naming the field, suppression, size, and the vmta/job fields refused when the source does not
 * process them. Delivery, DKIM and kill -9: test/inject-delivery.test.ts, test/inject-crash.test.ts.
 */
import { connect } from 'node:net';
import { createRedis, SuppressionStore } from '@vmta/queue';
import { getTestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestListener, type TestListener } from '../testing/smtp-test-kit.js';

const CONFIG = `
host-name mx.inject.example
smtp-listener 127.0.0.1:0
relay-domain dest.example
<virtual-mta acme>
  smtp-source-host 127.0.0.4 acme.inject.example
</virtual-mta>
<virtual-mta other>
  smtp-source-host 127.0.0.5 other.inject.example
</virtual-mta>
<pattern-list tenants>
  header X-Tenant /^\\s*acme\\s*$/ virtual-mta=acme
</pattern-list>
<address-list blocked>
  address blocked@dest.example
</address-list>
<smtp-user alice>
  password a1
  http-inject-api-key key-alice-123
  source alice
</smtp-user>
<smtp-user bob>
  password b2
  http-inject-api-key key-bob-456
</smtp-user>
<source alice>
  process-x-virtual-mta yes
  process-x-job yes
  pattern-list tenants
  suppression-lists blocked
  max-message-size 20000
</source>
`;

let t: TestListener;
let base: string;
let supp: SuppressionStore;
let redis: ReturnType<typeof createRedis>;

beforeAll(async () => {
  t = await startTestListener(await getTestRedis(), CONFIG, { inject: { port: 0, host: '127.0.0.1' } });
  base = `http://127.0.0.1:${t.listener.injectPort}`;
  redis = createRedis(t.redisUrl, 'cli');
  supp = new SuppressionStore(redis, t.prefix);
  // The listener serves before its Redis connection is ready (503 until then): wait for it.
  for (let i = 0; i < 50; i++) {
    if ((await inject({ from: 'w@sender.example', recipients: [{ email: 'warm-up@dest.example' }], text: 'w' })).status === 202) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  await t?.close();
  redis?.disconnect();
});

interface Answer {
  status: number;
  body: { messages?: Array<{ id: string; queues: string[]; recipients: string[]; refused: Array<{ email: string; code: string; field: string }> }>; error?: { code: string; field?: string; message: string } };
}

async function post(path: string, body: string | Buffer, auth: string | undefined = 'Bearer key-alice-123', type = 'application/json'): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': type, ...(auth ? { authorization: auth } : {}) } });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}
const inject = (json: unknown, auth?: string) => post('/api/inject', JSON.stringify(json), auth);

describe('POST /api/inject', () => {
  it('queues a JSON message durably with the routing the SMTP path gives it (pattern-list) and answers 202 with its id and queues', async () => {
    const r = await inject({ from: 'news@sender.example', recipients: [{ email: 'a@dest.example' }, { email: 'b@dest.example', name: 'Bee' }], subject: 'Hello', text: 'plain body', html: '<p>html body</p>', headers: { 'X-Tenant': 'acme' } });
    expect(r.status).toBe(202);
    expect(r.body.messages).toHaveLength(1);
    const m = r.body.messages![0]!;
    expect(m.queues).toEqual(['dest.example/acme']);
    const stored = (await t.store.get(m.id))!;
    expect(stored.vmta).toBe('acme');
    expect(stored.mailFrom).toBe('news@sender.example');
    expect(stored.recipients.map((x) => x.address)).toEqual(['a@dest.example', 'b@dest.example']);
    expect(stored.source).toMatchObject({ authUser: 'alice', listener: 'http-inject', ip: '127.0.0.1' });
    const text = stored.body.toString('latin1');
    expect(text).toMatch(/^Received: from http-inject \(/);
    expect(text).toMatch(/with HTTP\s/);
    expect(text).toMatch(/\r\nSubject: Hello\r\n/);
    expect(text).toMatch(/\r\nTo: a@dest\.example, Bee <b@dest\.example>\r\n/);
    expect(text).toMatch(/multipart\/alternative/);
    expect(text).toContain('plain body');
    expect(text).toContain('X-Tenant: acme');
  });

  it('routes by the vmta field (X-Virtual-MTA, removed) and takes the job id (X-Job, removed)', async () => {
    const r = await inject({ from: 's@sender.example', recipients: [{ email: 'a@dest.example' }], subject: 's', text: 't', vmta: 'other', job: 'spring-2026' });
    expect(r.status).toBe(202);
    const stored = (await t.store.get(r.body.messages![0]!.id))!;
    expect(stored.vmta).toBe('other');
    expect(stored.job).toBe('spring-2026');
    expect(stored.body.toString('latin1')).not.toMatch(/X-Virtual-MTA|X-Job/i);
  });

  it('gives each recipient with substitutions a message of its own, {{placeholders}} replaced', async () => {
    const r = await inject({
      from: 's@sender.example',
      recipients: [{ email: 'a@dest.example', substitutions: { name: 'Ann' } }, { email: 'p@dest.example' }, { email: 'b@dest.example', substitutions: { name: 'Bob' } }],
      subject: 'Hi {{name}}',
      text: 'Dear {{ name }}, {{unknown}} stays\nsecond line\r\nthird\n',
    });
    expect(r.status).toBe(202);
    const ids = r.body.messages!.map((m) => m.id);
    expect(ids).toHaveLength(3);
    const stored = await Promise.all(ids.map(async (id) => (await t.store.get(id))!));
    expect(stored.map((s) => s.recipients.map((x) => x.address))).toEqual([['p@dest.example'], ['a@dest.example'], ['b@dest.example']]);
    expect(stored[1]!.body.toString('latin1')).toMatch(/Subject: Hi Ann\r\n[\s\S]*Dear Ann, \{\{unknown\}\} stays\r\nsecond line\r\nthird\r\n/);
    expect(stored[2]!.body.toString('latin1')).toMatch(/Subject: Hi Bob\r\n/);
    expect(stored[0]!.body.toString('latin1')).toMatch(/Subject: Hi \{\{name\}\}\r\n/);
  });

  it('carries attachments', async () => {
    const r = await inject({ from: 's@sender.example', recipients: [{ email: 'a@dest.example' }], text: 't', attachments: [{ filename: 'a.txt', content: Buffer.from('attached text').toString('base64'), contentType: 'text/plain' }] });
    expect(r.status).toBe(202);
    const body = (await t.store.get(r.body.messages![0]!.id))!.body.toString('latin1');
    expect(body).toMatch(/filename=a\.txt/);
    expect(body).toContain(Buffer.from('attached text').toString('base64'));
  });

  it.each([
    ['not JSON', '{"from": ', 'invalid-json', undefined],
    ['a missing field', JSON.stringify({ recipients: [{ email: 'a@dest.example' }], text: 't' }), 'invalid-field', 'from'],
    ['a wrong type deep inside', JSON.stringify({ from: 's@x.example', recipients: [{ email: 'a@dest.example' }, { email: 42 }], text: 't' }), 'invalid-field', 'recipients[1].email'],
    ['an unknown field', JSON.stringify({ from: 's@x.example', recipients: [{ email: 'a@dest.example' }], text: 't', bcc: 'x' }), 'invalid-field', 'bcc'],
    ['a line break in the subject', JSON.stringify({ from: 's@x.example', recipients: [{ email: 'a@dest.example' }], text: 't', subject: 'a\r\nBcc: x' }), 'invalid-field', 'subject'],
    ['no body', JSON.stringify({ from: 's@x.example', recipients: [{ email: 'a@dest.example' }] }), 'invalid-field', 'text'],
    ['no recipients', JSON.stringify({ from: 's@x.example', recipients: [], text: 't' }), 'invalid-field', 'recipients'],
    ['a bad recipient address', JSON.stringify({ from: 's@x.example', recipients: [{ email: 'a@dest.example' }, { email: 'not an address' }], text: 't' }), undefined, 'recipients[1].email'],
    ['a bad sender address', JSON.stringify({ from: 'no at sign', recipients: [{ email: 'a@dest.example' }], text: 't' }), undefined, 'from'],
  ])('answers 400 naming the field for %s, and queues nothing', async (_what, body, code, field) => {
    const before = await t.store.queued('dest.example/{default}', 100_000);
    expect(before.length).toBeGreaterThan(0); // earlier tests queued here: the comparison below can fail
    const r = await post('/api/inject', body);
    expect(r.status).toBe(400);
    if (code) expect(r.body.error!.code).toBe(code);
    expect(r.body.error!.field).toBe(field);
    expect(await t.store.queued('dest.example/{default}', 100_000)).toEqual(before);
  });

  it('401 without credentials or with a wrong key or password; Basic with the smtp-user password works', async () => {
    const json = { from: 's@sender.example', recipients: [{ email: 'a@dest.example' }], text: 't' };
    expect((await inject(json, '')).status).toBe(401);
    const wrong = await inject(json, 'Bearer nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error!.code).toBe('auth-failed');
    expect((await inject(json, `Basic ${Buffer.from('alice:wrong').toString('base64')}`)).status).toBe(401);
    const basic = await inject(json, `Basic ${Buffer.from('bob:b2').toString('base64')}`);
    expect(basic.status).toBe(202);
    expect((await t.store.get(basic.body.messages![0]!.id))!.source.authUser).toBe('bob');
  });

  it('403 naming vmta or job when the user\'s source does not process X-Virtual-MTA or X-Job', async () => {
    const r = await inject({ from: 's@sender.example', recipients: [{ email: 'a@dest.example' }], text: 't', vmta: 'acme' }, 'Bearer key-bob-456');
    expect(r.status).toBe(403);
    expect(r.body.error!.field).toBe('vmta');
    const j = await inject({ from: 's@sender.example', recipients: [{ email: 'a@dest.example' }], text: 't', job: 'j1' }, 'Bearer key-bob-456');
    expect(j.status).toBe(403);
    expect(j.body.error!.field).toBe('job');
  });

  it('400 naming vmta for an unknown VMTA', async () => {
    const r = await inject({ from: 's@sender.example', recipients: [{ email: 'a@dest.example' }], text: 't', vmta: 'nosuch' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'vmta-invalid', field: 'vmta' });
  });

  it('leaves suppressed recipients out (reported per recipient) and refuses with 422 when all are suppressed', async () => {
    await supp.add('user:alice', [{ address: 'stored@dest.example', reason: 'manual' }]);
    const r = await inject({ from: 's@sender.example', recipients: [{ email: 'blocked@dest.example' }, { email: 'ok@dest.example' }, { email: 'stored@dest.example' }], text: 't' });
    expect(r.status).toBe(202);
    const m = r.body.messages![0]!;
    expect(m.recipients).toEqual(['ok@dest.example']);
    expect(m.refused.map((x) => [x.email, x.code, x.field])).toEqual([
      ['blocked@dest.example', 'recipient-suppressed', 'recipients[0].email'],
      ['stored@dest.example', 'recipient-suppressed', 'recipients[2].email'],
    ]);
    expect((await t.store.get(m.id))!.recipients.map((x) => x.address)).toEqual(['ok@dest.example']);
    const all = await inject({ from: 's@sender.example', recipients: [{ email: 'blocked@dest.example' }], text: 't' });
    expect(all.status).toBe(422);
    expect(all.body.error).toMatchObject({ code: 'recipient-suppressed', field: 'recipients[0].email' });
  });

  it('413 naming the field when substitutions make a message pass max-message-size, listing the messages queued before it', async () => {
    const r = await inject({
      from: 's@sender.example',
      recipients: [{ email: 'a@dest.example', substitutions: { a: 'small' } }, { email: 'b@dest.example', substitutions: { a: 'x'.repeat(400) } }],
      text: '{{a}}'.repeat(100),
    });
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'message-too-big', field: 'text' });
    expect(r.body.messages?.map((m) => m.recipients)).toEqual([['a@dest.example']]);
    expect((await t.store.get(r.body.messages![0]!.id))?.recipients.map((x) => x.address)).toEqual(['a@dest.example']);
  });

  it('413 over the source\'s max-message-size, as for SMTP', async () => {
    const r = await inject({ from: 's@sender.example', recipients: [{ email: 'a@dest.example' }], text: 'x'.repeat(30_000) });
    expect(r.status).toBe(413);
    const raw = await post('/api/inject/raw?mail_from=s@sender.example&rcpt_to=a@dest.example', `Subject: big\r\n\r\n${'y'.repeat(30_000)}\r\n`, undefined, 'message/rfc822');
    expect(raw.status).toBe(413);
  });
});

describe('POST /api/inject/raw', () => {
  it('queues the message as sent (Unix line ends made CRLF), envelope from the query, routed by its headers', async () => {
    const message = 'From: s@sender.example\nTo: a@dest.example\nSubject: raw one\nX-Tenant: acme\nX-Job: raw-job\n\nraw body\n';
    const r = await post('/api/inject/raw?mail_from=bounce@sender.example&rcpt_to=a@dest.example&rcpt_to=c@dest.example', message, undefined, 'message/rfc822');
    expect(r.status).toBe(202);
    const m = r.body.messages![0]!;
    expect(m.queues).toEqual(['dest.example/acme']);
    const stored = (await t.store.get(m.id))!;
    expect(stored.mailFrom).toBe('bounce@sender.example');
    expect(stored.job).toBe('raw-job');
    expect(stored.recipients.map((x) => x.address)).toEqual(['a@dest.example', 'c@dest.example']);
    const text = stored.body.toString('latin1');
    expect(text).toMatch(/^Received: /);
    expect(text).toContain('From: s@sender.example\r\nTo: a@dest.example\r\nSubject: raw one\r\nX-Tenant: acme\r\n\r\nraw body\r\n');
  });

  it('answers 202 to a client that shuts its side after the request (HTTP/1.0 through nc): the message it queued is not left unanswered', async () => {
    const message = 'From: s@sender.example\r\nTo: h@dest.example\r\nSubject: half-closed\r\n\r\nbody\r\n';
    const socket = connect(t.listener.injectPort!, '127.0.0.1');
    socket.end(
      `POST /api/inject/raw?mail_from=s@sender.example&rcpt_to=h@dest.example HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer key-alice-123\r\n` +
        `Content-Type: message/rfc822\r\nContent-Length: ${message.length}\r\n\r\n${message}`,
    );
    let text = '';
    for await (const chunk of socket) text += String(chunk);
    expect(text.split('\r\n')[0]).toBe('HTTP/1.1 202 Accepted');
    const [{ id }] = (JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { messages: Array<{ id: string }> }).messages as [{ id: string }];
    expect((await t.store.get(id))!.body.toString('latin1')).toContain('Subject: half-closed');
  });

  it('400 naming the query when a percent-encoded envelope value is not UTF-8 (it was read with U+FFFD and queued)', async () => {
    const r = await post('/api/inject/raw?mail_from=s@sender.example&rcpt_to=a%FF@dest.example', 'Subject: x\r\n\r\nb\r\n', undefined, 'message/rfc822');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid-field', field: 'query' });
    const ok = await post('/api/inject/raw?mail_from=s@sender.example&rcpt_to=j%C3%BCrgen@dest.example', 'Subject: x\r\n\r\nb\r\n', undefined, 'message/rfc822');
    expect(ok.status).toBe(202);
    expect(ok.body.messages![0]!.recipients).toEqual(['jürgen@dest.example']);
  });

  it('400 naming mail_from or rcpt_to when the envelope is missing', async () => {
    const a = await post('/api/inject/raw?rcpt_to=a@dest.example', 'Subject: x\r\n\r\nb\r\n', undefined, 'message/rfc822');
    expect([a.status, a.body.error!.field]).toEqual([400, 'mail_from']);
    const b = await post('/api/inject/raw?mail_from=s@sender.example', 'Subject: x\r\n\r\nb\r\n', undefined, 'message/rfc822');
    expect([b.status, b.body.error!.field]).toEqual([400, 'rcpt_to']);
  });
});
