/**
 * Routing and jobs at DATA, on a real listener and Redis: what is queued (VMTA, job, body without
 * X-Job) and what is refused (a job id with spaces: 550 5.6.0, nothing queued).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueIdOf, RawSmtp, sendRaw } from './testing/smtp-test-kit.js';
import { sharedTestListener } from './testing/shared-listener.js';

const t = sharedTestListener(beforeAll, afterAll, `
smtp-listener 127.0.0.1:0
relay-domain dest.example
<virtual-mta mta1>
</virtual-mta>
<virtual-mta billing>
</virtual-mta>
<pattern-list routes>
  rcpt-to /^vip@/ virtual-mta=billing
</pattern-list>
<source 0/0>
  default-virtual-mta mta1
  pattern-list routes
  process-x-job yes
  jobid-header X-Campaign
</source>
`);

async function send(to: string[], headers: string) {
  const c = await RawSmtp.connect(t.port(), t.host());
  await c.read();
  await c.command('EHLO client.example');
  const reply = await sendRaw(c, 'sender@client.example', to, `${headers}Subject: x\r\n\r\nbody\r\n.\r\n`);
  c.close();
  return reply;
}

describe('routing and jobs at DATA', () => {
  it('queues the whole message on the VMTA of the first matching rcpt-to rule, with its job and without X-Job', async () => {
    const reply = await send(['a@dest.example', 'vip@dest.example'], 'X-Job: spring-sale\r\n');
    expect(reply.code).toBe(250);
    const m = await t.store.get(queueIdOf(reply)!);
    expect([m?.vmta, m?.job, m?.recipients.map((r) => r.queue)]).toEqual(['billing', 'spring-sale', ['dest.example/billing', 'dest.example/billing']]);
    expect(m?.body.toString()).not.toMatch(/^X-Job:/im);
  });

  it('takes the job from jobid-header without X-Job and leaves that header in the message', async () => {
    const reply = await send(['a@dest.example'], 'X-Campaign: c-42\r\n');
    const m = await t.store.get(queueIdOf(reply)!);
    expect([m?.vmta, m?.job]).toEqual(['mta1', 'c-42']);
    expect(m?.body.toString()).toMatch(/^X-Campaign: c-42\r$/m);
  });

  it('refuses a job id with spaces (550 5.6.0) and queues nothing', async () => {
    const before = await t.store.queued('dest.example/mta1');
    const reply = await send(['a@dest.example'], 'X-Job: spring sale\r\n');
    expect(reply.text).toMatch(/^550 5\.6\.0 Invalid job id in X-Job/);
    expect(await t.store.queued('dest.example/mta1')).toEqual(before);
  });
});
