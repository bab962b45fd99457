/**
 * Operator tools by job, sender, recipient and age, over real Redis, two delivery services and a
 * real SMTP receiver: pause/resume of one job inside shared queues, bounce-after of paused job
 * mail, deletes that remove exactly what they name (DSN only when asked), the job counters and the
 * messages view. Every outcome is polled for; no timing is asserted.
 */
import type { Redis } from 'ioredis';
import { Cluster, deleteMessages, jobsView, messagesView, pauseJob, resumeJob } from '@vmta/control';
import { openDeliveryTestbed, type DeliveryTestbed, type Receiver } from '@vmta/delivery/testing';
import type { MessageStore, NewMessage, QueueOps } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const POLL = { timeout: 20_000 };
const SENDER = 'news@sender.test';

/** From SENDER unless `extra` says otherwise. */
const message = (recipients: string[], extra: Partial<NewMessage> = {}): NewMessage => testMessage(recipients, { mailFrom: SENDER, ...extra });

describe('operator tools by job, sender, recipient and age', () => {
  let bed: DeliveryTestbed;
  let redis: Redis;
  let receiver: Receiver;
  let store: MessageStore;
  let ops: QueueOps;
  let cluster: Cluster;
  const receivedBy = (domain: string) => receiver.messages.flatMap((m) => m.to).filter((to) => to.endsWith(`@${domain}`)).sort();
  const dsns = () => receiver.messages.filter((m) => m.from === '');

  beforeAll(async () => {
    bed = await openDeliveryTestbed();
    ({ redis, store, ops } = bed);
    receiver = await bed.receiver({ host: '127.0.0.10', startTls: false });
    cluster = bed.closeWith(new Cluster(redis, bed.prefix));
    const config = [
      'host-name mta.example.test',
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.2 mta1.test',
      '</virtual-mta>',
      '<domain expire.test>',
      `  smtp-hosts [127.0.0.10]:${receiver.port}`,
      '  bounce-after 1h',
      '</domain>',
      '<domain *>',
      `  smtp-hosts [127.0.0.10]:${receiver.port}`,
      '</domain>',
    ].join('\n');
    // Two delivery services, each with its own Redis connections and workers, share the queues.
    await bed.deliver(config, { concurrency: 2 });
    await bed.deliver(config, { concurrency: 2 });
  });
  afterAll(() => bed.close());

  it('holds exactly the paused job in a shared queue while another job flows, and resume releases it', async () => {
    await pauseJob(cluster, 'spring');
    const held = [];
    for (let i = 0; i < 5; i++) held.push(await store.enqueue(message([`s${i}@shared.test`], { job: 'spring' })));
    for (let i = 0; i < 5; i++) await store.enqueue(message([`w${i}@shared.test`], { job: 'winter' }));
    await store.enqueue(message(['nojob@shared.test']));
    await expect.poll(() => receivedBy('shared.test').length, POLL).toBe(6);
    expect(receivedBy('shared.test')).toEqual(['nojob@shared.test', 'w0@shared.test', 'w1@shared.test', 'w2@shared.test', 'w3@shared.test', 'w4@shared.test']);
    for (const m of held) expect((await store.get(m.id))?.recipients.map((r) => r.state)).toEqual(['queued']);
    const jobs = await jobsView(cluster);
    expect(jobs.find((j) => j.job === 'spring')).toMatchObject({ received: 5, delivered: 0, queued: 5, paused: true });
    expect(jobs.find((j) => j.job === 'winter')).toMatchObject({ received: 5, delivered: 5, bounced: 0, queued: 0, paused: false });

    const resumed = await resumeJob(cluster, 'spring');
    expect(resumed.queues).toEqual(['shared.test/mta1']);
    await expect.poll(() => receivedBy('shared.test').length, POLL).toBe(11);
    expect(receivedBy('shared.test').filter((a) => a.startsWith('s'))).toEqual(['s0@shared.test', 's1@shared.test', 's2@shared.test', 's3@shared.test', 's4@shared.test']);
    await expect.poll(async () => (await jobsView(cluster)).find((j) => j.job === 'spring'), POLL).toMatchObject({ delivered: 5, queued: 0, paused: false });
    // Delivered messages leave the message jobs hash (it lists only mail still stored).
    for (const m of held) expect(await redis.hget(cluster.keys.messageJobs(), m.id)).toBeNull();
  });

  it('bounces mail of a paused job at bounce-after', async () => {
    await pauseJob(cluster, 'stale');
    const old = await store.enqueue(message(['a@expire.test', 'b@expire.test'], { job: 'stale', receivedAt: Date.now() - 2 * 3_600_000 }));
    await expect.poll(() => store.get(old.id), POLL).toBeUndefined();
    expect(receivedBy('expire.test')).toEqual([]);
    expect((await jobsView(cluster)).find((j) => j.job === 'stale')).toMatchObject({ received: 2, bounced: 2, queued: 0 });
  });

  it('deletes by job, sender, recipient and age exactly what they name, with a DSN only when asked', async () => {
    const q = 'del.test/mta1';
    await ops.pause(q);
    // Earlier tests' bounces sent DSNs to SENDER; this test's senders are others.
    const dsnsHere = () => dsns().filter((m) => !m.to.includes(SENDER));
    const hour = 3_600_000;
    const jobMail = await store.enqueue(message(['j1@del.test', 'j2@del.test'], { job: 'gone' }));
    const keepJob = await store.enqueue(message(['k1@del.test'], { job: 'kept' }));
    const fromBad = await store.enqueue(message(['o1@del.test'], { mailFrom: 'Bad@Spam.test' }));
    const fromOther = await store.enqueue(message(['o2@del.test'], { mailFrom: 'good@other.test' }));
    const mixed = await store.enqueue(message(['victim@del.test', 'stay@del.test']));
    const old = await store.enqueue(message(['old@del.test'], { receivedAt: Date.now() - 3 * hour }));
    const young = await store.enqueue(message(['young@del.test'], { receivedAt: Date.now() - 10 * 60_000 }));

    await deleteMessages(cluster, { queues: ['del.test/*'], filter: { job: 'gone' }, dsn: false });
    await expect.poll(() => store.get(jobMail.id), POLL).toBeUndefined();
    await deleteMessages(cluster, { filter: { orig: '/@spam\\.test$/i' }, dsn: true });
    await expect.poll(() => store.get(fromBad.id), POLL).toBeUndefined();
    await deleteMessages(cluster, { queues: [q], filter: { rcpt: 'VICTIM@del.test' }, dsn: false });
    await expect.poll(async () => (await store.get(mixed.id))?.recipients.map((r) => r.state), POLL).toEqual(['bounced', 'queued']);
    await deleteMessages(cluster, { queues: ['*/mta1'], filter: {}, olderThanMs: 2 * hour, dsn: false });
    await expect.poll(() => store.get(old.id), POLL).toBeUndefined();

    const left = (await messagesView(cluster, q)).map((m) => m.recipients.join(','));
    expect(left.sort()).toEqual(['k1@del.test', 'o2@del.test', 'stay@del.test', 'young@del.test']);
    for (const m of [keepJob, fromOther, young]) expect(await store.get(m.id)).toBeDefined();
    // One DSN, to the sender of the mail deleted with --dsn, naming only its recipient.
    await expect.poll(() => dsnsHere().length, POLL).toBe(1);
    expect(dsnsHere()[0]!.to).toEqual(['Bad@Spam.test']);
    expect(dsnsHere()[0]!.body).toContain('Final-Recipient: rfc822; o1@del.test');

    await cluster.ops.resume(q);
    await cluster.dispatcher.wake({ queue: q, domain: 'del.test', vmta: 'mta1' });
    await expect.poll(() => receivedBy('del.test'), POLL).toEqual(['k1@del.test', 'o2@del.test', 'stay@del.test', 'young@del.test']);
    expect((await jobsView(cluster)).find((j) => j.job === 'gone')).toMatchObject({ received: 2, bounced: 2, queued: 0 });
    expect(dsnsHere().length).toBe(1);
  });

  it('shows the messages of a queue with sender, recipients, age, attempts and the last reply', async () => {
    const q = 'view.test/mta1';
    await ops.pause(q);
    const m = await store.enqueue(message(['v1@view.test', 'v2@view.test'], { job: 'look', receivedAt: Date.now() - 120_000 }));
    const rows = await messagesView(cluster, q, 10);
    expect(rows).toEqual([{ id: m.id, sender: SENDER, job: 'look', recipients: ['v1@view.test', 'v2@view.test'], ageSeconds: expect.any(Number), attempts: 0 }]);
    expect(rows[0]!.ageSeconds).toBeGreaterThanOrEqual(119);
  });
});
