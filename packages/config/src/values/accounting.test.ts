import { describe, expect, it } from 'vitest';
import { parseValue, ValueError, type RecordFields, type RecordType } from './index.js';

describe('records', () => {
  it.each<[string, RecordType[]]>([
    ['d,b,t,tq,r,f', ['d', 'b', 't', 'tq', 'r', 'f']],
    ['d', ['d']],
    ['D, B', ['d', 'b']],
    ['d,d,b', ['d', 'b']],
    ['"d,b"', ['d', 'b']],
    ['delivery, bounce, transient-queue', ['d', 'b', 'tq']],
    ['d,delivery', ['d']],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('records', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['d,x', '"d,x" is not a RECORDS: unknown record type "x" (expected comma-separated record types from d, b, t, tq, r, f, rb, rs (or delivery, bounce, transient, transient-queue, receipt, feedback-loop, remote-bounce, remote-status), e.g. d,b,t)'],
    [',', 'no record type given'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('records', raw)).toThrow(ValueError);
    expect(() => parseValue('records', raw)).toThrow(message);
  });
});

describe('record-fields', () => {
  it.each<[string, RecordFields]>([
    ['d *,!dsnDiag,header_X-Name', { type: 'd', fields: ['*', '!dsnDiag', 'header_X-Name'] }],
    ['r type,timeLogged,rcpt', { type: 'r', fields: ['type', 'timeLogged', 'rcpt'] }],
    ['B *, !dsnMta', { type: 'b', fields: ['*', '!dsnMta'] }],
    // PowerMTA §3.3.11.11: the long names stand for the letters.
    ['delivery *,envId,jobId,bounceCat', { type: 'd', fields: ['*', 'envId', 'jobId', 'bounceCat'] }],
    ['bounce timeLogged,orig,rcpt', { type: 'b', fields: ['timeLogged', 'orig', 'rcpt'] }],
    ['Transient *', { type: 't', fields: ['*'] }],
    ['transient-queue *', { type: 'tq', fields: ['*'] }],
    ['receipt *', { type: 'r', fields: ['*'] }],
    ['feedback-loop *', { type: 'f', fields: ['*'] }],
    ['remote-bounce *', { type: 'rb', fields: ['*'] }],
    ['remote-status *', { type: 'rs', fields: ['*'] }],
  ])('parses %j', (raw, expected) => {
    expect(parseValue('record-fields', raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['x *', '"x *" is not a RECORD-FIELDS: unknown record type "x" (expected TYPE FIELD,... with TYPE one of d, b, t, tq, r, f, rb, rs (or its long name: delivery, bounce, ...) and fields like *,!dsnDiag,header_X-Job-Id)'],
    ['deliveries *', 'unknown record type "deliveries"'],
    ['del *', 'unknown record type "del"'],
    ['d', 'no field given'],
    ['d *,bad.field', '"bad.field" is not a field name'],
    ['d *,1st', '"1st" is not a field name'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseValue('record-fields', raw)).toThrow(message);
  });
});

describe('event-types', () => {
  it.each([
    ['d,b,f,rb,s', ['d', 'b', 'f', 'rb', 's']],
    ['D, s s', ['d', 's']],
    ['tq,rs', ['tq', 'rs']],
  ])('%s → %j', (raw, expected) => {
    expect(parseValue('event-types', raw)).toEqual(expected);
  });
  it.each([
    ['d,x', 'unknown event type "x"'],
    ['tqq', 'unknown event type "tqq"'],
  ])('refuses %s', (raw, message) => {
    expect(() => parseValue('event-types', raw)).toThrow(message);
  });
});
