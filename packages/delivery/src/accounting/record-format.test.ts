import { describe, expect, it } from 'vitest';
import type { RecordFields } from '@vmta/config';
import { DELIVERY_FIELDS, RECEIVED_FIELDS, TRANSIENT_QUEUE_FIELDS } from '@vmta/queue';
import { csvField, formatEntry, planFile, resolveFields } from './record-format.js';

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\r\nbreak', '"line\r\nbreak"'],
    ['lf\nonly', '"lf\nonly"'],
    ['cr\ronly', '"cr\ronly"'],
    ['ünïcødé ✉', 'ünïcødé ✉'],
    ['550 5.1.1 <a@b.example>: unknown', '550 5.1.1 <a@b.example>: unknown'],
    ['=HYPERLINK("http://x.example")', '"\'=HYPERLINK(""http://x.example"")"'],
    ['+1+cmd', '"\'+1+cmd"'],
    ['-2+3', '"\'-2+3"'],
    ['@SUM(A1)', '"\'@SUM(A1)"'],
    ['\tx', '"\'\tx"'],
    ['a=b', 'a=b'],
  ])('writes %j as %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

describe('resolveFields', () => {
  const rf = (type: RecordFields['type'], ...fields: string[]): RecordFields => ({ type, fields });
  it.each<[string, RecordFields['type'], RecordFields[], string[]]>([
    ['the reference list for d without record-fields', 'd', [], [...DELIVERY_FIELDS]],
    ['the reference list for r without record-fields', 'r', [], [...RECEIVED_FIELDS]],
    ['the transient-queue list for tq', 'tq', [], [...TRANSIENT_QUEUE_FIELDS]],
    ['every default field for *', 'b', [rf('b', '*')], [...DELIVERY_FIELDS]],
    ['defaults minus the removed ones for *,!x', 'd', [rf('d', '*', '!dsnDiag', '!dlvTlsCipher')],
      DELIVERY_FIELDS.filter((f) => f !== 'dsnDiag' && f !== 'dlvTlsCipher')],
    ['only the named fields, type first', 'd', [rf('d', 'rcpt', 'dsnStatus')], ['type', 'rcpt', 'dsnStatus']],
    ['names in the defaults spelling whatever their case', 'r', [rf('r', 'RCPT', 'jobid')], ['type', 'rcpt', 'jobId']],
    ['a header column after the defaults', 'd', [rf('d', '*', 'header_X-Job')], [...DELIVERY_FIELDS, 'header_X-Job']],
    ['type moved to the front', 'd', [rf('d', 'rcpt', 'type')], ['type', 'rcpt']],
    ['every record-fields line of the type, in order', 'd', [rf('d', 'rcpt'), rf('b', 'orig'), rf('d', 'vmta')], ['type', 'rcpt', 'vmta']],
    ['no duplicate for a field named twice', 't', [rf('t', 'rcpt', '*')], ['type', 'rcpt', ...DELIVERY_FIELDS.filter((f) => f !== 'type' && f !== 'rcpt')]],
  ])('gives %s', (_name, type, recordFields, expected) => {
    expect(resolveFields(type, recordFields)).toEqual(expected);
  });
});

describe('formatEntry', () => {
  const flat = (o: Record<string, string>): string[] => Object.entries(o).flat();
  const narrow = planFile({
    records: ['d', 'b', 'r'],
    'record-fields': [
      { type: 'd', fields: ['rcpt', 'dsnDiag', 'header_X-Job'] },
      { type: 'b', fields: ['rcpt', 'bounceCat'] },
      { type: 'r', fields: ['orig', 'rcpt'] },
    ],
  });

  it.each<[string, Record<string, string>, { type: string; header: string; line: string } | undefined]>([
    ['a d record with a quoted diagnostic and an empty header_ column',
      { type: 'd', rcpt: 'a@x.example', dsnDiag: '250 2.0.0 "ok", queued' },
      { type: 'd', header: 'type,rcpt,dsnDiag,header_X-Job', line: 'd,a@x.example,"250 2.0.0 ""ok"", queued",' }],
    ['a header_ column the entry carries (f and rb records), matched in any case', { type: 'd', rcpt: 'f@x.example', 'header_x-job': 'job-1' },
      { type: 'd', header: 'type,rcpt,dsnDiag,header_X-Job', line: 'd,f@x.example,,job-1' }],
    ['a b record with its own columns', { type: 'b', rcpt: 'b@x.example', bounceCat: 'bad-mailbox', dsnDiag: 'x' },
      { type: 'b', header: 'type,rcpt,bounceCat', line: 'b,b@x.example,bad-mailbox' }],
    ['an r record with a missing field left empty', { type: 'r', rcpt: 'c@x.example' },
      { type: 'r', header: 'type,orig,rcpt', line: 'r,,c@x.example' }],
    ['nothing for a type the file does not take', { type: 't', rcpt: 'd@x.example' }, undefined],
    ['nothing for an entry without a type', { rcpt: 'e@x.example' }, undefined],
  ])('formats %s', (_name, entry, expected) => {
    expect(formatEntry(flat(entry), narrow)).toEqual(expected);
  });

  it('takes d and b by default and writes the reference columns', () => {
    const plan = planFile({});
    expect([...plan.records]).toEqual(['d', 'b']);
    expect(formatEntry(flat({ type: 'r', rcpt: 'x' }), plan)).toBeUndefined();
    const rec = formatEntry(flat({ type: 'd', rcpt: 'x@y.example', timeLogged: '2024-01-01T00:00:00.000Z' }), plan);
    expect(rec?.header).toBe(DELIVERY_FIELDS.join(','));
    expect(rec?.line.split(',').slice(0, 5)).toEqual(['d', '2024-01-01T00:00:00.000Z', '', '', 'x@y.example']);
  });
});
