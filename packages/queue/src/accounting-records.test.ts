import { describe, expect, it } from 'vitest';
import { accountingFields, DELIVERY_FIELDS, deliveryRecord, FEEDBACK_FIELDS, RECEIVED_FIELDS, receivedRecord, REMOTE_STATUS_FIELDS, serializeRecord, TRANSIENT_QUEUE_FIELDS, transientQueueRecord } from './accounting-records.js';
import type { NewMessage, RecipientRecord, StoredMessage } from './message.js';

const recipient: RecipientRecord = { address: 'a@example.com', domain: 'example.com', index: 0, queue: 'example.com/mta1', state: 'queued', attempts: 0 };
const message: NewMessage = {
  mailFrom: 's@example.org',
  recipients: [recipient],
  body: Buffer.from('x'),
  vmta: 'mta1',
  source: { ip: '127.0.0.9', listener: '127.0.0.1:2525', heloName: 'client.example' },
  receivedAt: Date.UTC(2026, 0, 1),
};
const stored: StoredMessage = { ...message, id: 'id1', size: 1, recipients: [recipient] };

describe('accounting records', () => {
  it('writes an r record with every received field, in the reference order, undefined as empty', () => {
    const flat = serializeRecord(receivedRecord('id1', message, recipient, '2026-01-01T00:00:01.000Z'));
    expect(flat.filter((_, i) => i % 2 === 0)).toEqual(RECEIVED_FIELDS);
    expect(flat.slice(0, 8)).toEqual(['type', 'r', 'timeLogged', '2026-01-01T00:00:01.000Z', 'orig', 's@example.org', 'rcpt', 'a@example.com']);
    expect(flat[flat.indexOf('orcpt') + 1]).toBe('');
  });

  it('writes a d, b or t record in the reference order and leaves out the fields vmta does not produce', () => {
    const attempt = { dsnStatus: '4.4.1', dsnDiag: 'no answer', bounceCat: 'no-answer-from-host', queue: 'example.com/mta1' };
    const record = deliveryRecord(stored, recipient, { ...attempt, outcome: 'deferred' }, '2026-01-01T00:00:02.000Z');
    const fields = serializeRecord(record).filter((_, i) => i % 2 === 0);
    expect(fields).toEqual(DELIVERY_FIELDS.filter((f) => !['dsnMta', 'dlvType', 'dlvEsmtpAvailable', 'replyPattern'].includes(f)));
    expect([record.type, record.dsnAction, record.timeQueued, record.dlvSize]).toEqual(['t', 'delayed', '2026-01-01T00:00:00.000Z', 1]);
    // an smtp-pattern-list rule that matched the reply is named last
    const named = serializeRecord(deliveryRecord(stored, recipient, { ...attempt, outcome: 'bounced', replyPattern: 'pmta.conf:12' }, '2026-01-01T00:00:02.000Z'));
    expect(named.slice(-4)).toEqual(['replyPattern', 'pmta.conf:12', 'msgId', 'id1']);
    expect(deliveryRecord(stored, recipient, { ...attempt, outcome: 'bounced' }, '').type).toBe('b');
    expect(deliveryRecord(stored, recipient, { ...attempt, outcome: 'delivered' }, '').dsnAction).toBe('relayed');
  });

  it('puts the job id in jobId and our queue id in msgId of r, d, b and t records', () => {
    const field = (flat: string[], name: string) => flat[flat.indexOf(name) + 1];
    const withJob = { ...message, job: 'spring-sale', routePattern: 'vmta.conf:7' };
    const r = serializeRecord(receivedRecord('id1', withJob, recipient, ''));
    expect([field(r, 'jobId'), field(r, 'msgId'), field(r, 'routePattern')]).toEqual(['spring-sale', 'id1', 'vmta.conf:7']);
    const attempt = { dsnStatus: '2.0.0', dsnDiag: 'ok', queue: 'example.com/mta1' };
    for (const outcome of ['delivered', 'bounced', 'deferred'] as const) {
      const d = serializeRecord(deliveryRecord({ ...stored, job: 'spring-sale' }, recipient, { ...attempt, outcome }, ''));
      expect([field(d, 'jobId'), field(d, 'msgId')]).toEqual(['spring-sale', 'id1']);
    }
    // no job: jobId stays empty (PowerMTA: "job ID for the message, if any")
    const none = serializeRecord(deliveryRecord(stored, recipient, { ...attempt, outcome: 'delivered' }, ''));
    expect(field(none, 'jobId')).toBe('');
  });

  it('gives tq, f, rb and rs their own fields (rb and rs the same list)', () => {
    expect(accountingFields('tq')).toBe(TRANSIENT_QUEUE_FIELDS);
    expect(accountingFields('f')).toBe(FEEDBACK_FIELDS);
    expect(accountingFields('rb')).toBe(REMOTE_STATUS_FIELDS);
    expect(accountingFields('rs')).toBe(REMOTE_STATUS_FIELDS);
  });

  it('serialises a tq record in the order of the reference sample, an unknown host as empty', () => {
    const tq = transientQueueRecord('example.com/mta1', 'mta1', { dsnStatus: '4.4.1', dsnDiag: 'refused: connect ECONNREFUSED', sourceIp: '10.0.0.1' }, '2026-01-01T00:00:00.000Z');
    expect(serializeRecord(tq)).toEqual([
      'type', 'tq', 'timeLogged', '2026-01-01T00:00:00.000Z', 'dsnStatus', '4.4.1', 'dsnDiag', 'refused: connect ECONNREFUSED', 'dsnMta', '',
      'dlvType', 'smtp', 'dlvSourceIp', '10.0.0.1', 'dlvDestinationIp', '', 'vmta', 'mta1', 'queue', 'example.com/mta1',
    ]);
  });
});
