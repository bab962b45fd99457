/**
 * Queue-to and MX rollup at enqueue, over a real SMTP session: a queue-to domain's mail is queued
 * in TARGET/vmta (static); a domain whose rollup delivery recorded goes straight to
 * NAME.rollup/vmta, and so does a queue-to domain whose target is rolled up; a disable-mx-rollup domain and an unknown one go to their own queue. The
 * recipient keeps its address and domain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueIdOf, RawSmtp, sendRaw } from './testing/smtp-test-kit.js';
import { sharedTestListener } from './testing/shared-listener.js';

const t = sharedTestListener(beforeAll, afterAll, `
smtp-listener 127.0.0.1:0
relay-domain [*.]example
<source 0/0>
  default-virtual-mta mta1
</source>
<virtual-mta mta1>
  smtp-source-host 127.0.0.1 mta1.test.example
</virtual-mta>
<mx-rollup-list>
  mx mx1.provider.test provider.rollup
</mx-rollup-list>
<domain alias.example>
  queue-to target.example
</domain>
<domain via.example>
  queue-to rolled.example
</domain>
<domain apart.example>
  disable-mx-rollup yes
</domain>
`);

describe('queue domains at enqueue', () => {
  it('queues by queue-to, by the recorded rollup, or by the domain itself', async () => {
    const until = Date.now() + 60_000;
    await t.store.rollups.record('rolled.example', 'provider.rollup', until);
    await t.store.rollups.record('apart.example', 'provider.rollup', until);
    await t.store.rollups.record('stale.example', 'provider.rollup', Date.now() - 1);
    const c = await RawSmtp.connect(t.port(), t.host());
    await c.read();
    await c.command('EHLO client.example');
    const rcpts = ['x@alias.example', 'u@via.example', 'y@rolled.example', 'z@apart.example', 'w@stale.example', 'v@plain.example'];
    const r = await sendRaw(c, 's@client.example', rcpts, 'Subject: q\r\n\r\nbody\r\n.\r\n');
    c.close();
    expect(r.code).toBe(250);
    const message = await t.store.get(queueIdOf(r)!);
    expect(message!.recipients.map((x) => [x.address, x.domain, x.queue])).toEqual([
      ['x@alias.example', 'alias.example', 'target.example/mta1'],
      // queue-to a domain that is rolled up: the target's rollup applies.
      ['u@via.example', 'via.example', 'provider.rollup/mta1'],
      ['y@rolled.example', 'rolled.example', 'provider.rollup/mta1'],
      ['z@apart.example', 'apart.example', 'apart.example/mta1'],
      ['w@stale.example', 'stale.example', 'stale.example/mta1'],
      ['v@plain.example', 'plain.example', 'plain.example/mta1'],
    ]);
    expect(await t.store.queued('provider.rollup/mta1')).toEqual([message!.id]);
    expect(await t.store.queued('target.example/mta1')).toEqual([message!.id]);
  });
});
