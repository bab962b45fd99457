import { fail, valueText } from './common.js';
import type { ValueType } from './value-type.js';

export type RecordType = 'd' | 'b' | 't' | 'tq' | 'r' | 'f' | 'rb' | 'rs';
export const RECORD_TYPES: readonly RecordType[] = ['d', 'b', 't', 'tq', 'r', 'f', 'rb', 'rs'];

export interface RecordFields {
  type: RecordType;
  /** As written: `*`, `fieldName`, `!fieldName`, `header_X-Name`. */
  fields: string[];
}

export const RECORDS_EXPECTED = 'comma-separated record types from d, b, t, tq, r, f, rb, rs (or delivery, bounce, transient, transient-queue, receipt, feedback-loop, remote-bounce, remote-status), e.g. d,b,t';
export const RECORD_FIELDS_EXPECTED = 'TYPE FIELD,... with TYPE one of d, b, t, tq, r, f, rb, rs (or its long name: delivery, bounce, ...) and fields like *,!dsnDiag,header_X-Job-Id';

const FIELD_RE = /^(\*|!?[a-z][a-z0-9_-]*)$/i;

/**
 * PowerMTA's long names of the record types (§3.3.11.11: "“delivery” can be used in place of “d”", ...).
 * The guide says "transient-queue" can be used in place of "t", a slip for "tq" (its own type).
 */
export const RECORD_TYPE_NAMES: Readonly<Record<string, RecordType>> = {
  delivery: 'd',
  bounce: 'b',
  transient: 't',
  'transient-queue': 'tq',
  receipt: 'r',
  'feedback-loop': 'f',
  'remote-bounce': 'rb',
  'remote-status': 'rs',
};

/** A record type by its letter(s) or its long name, any case; undefined when it is neither. */
export function recordType(text: string): RecordType | undefined {
  const lower = text.toLowerCase();
  return RECORD_TYPES.find((t) => t === lower) ?? (Object.prototype.hasOwnProperty.call(RECORD_TYPE_NAMES, lower) ? RECORD_TYPE_NAMES[lower] : undefined);
}

/** `d,b,t,tq,r,f` (spaces allowed); duplicates are dropped. */
export function parseRecords(text: string): RecordType[] {
  const items = text.split(/[\s,]+/).filter((t) => t !== '');
  if (items.length === 0) throw fail('records', RECORDS_EXPECTED, text, 'no record type given');
  const out: RecordType[] = [];
  for (const item of items) {
    const type = recordType(item);
    if (type === undefined) throw fail('records', RECORDS_EXPECTED, text, `unknown record type "${item}"`);
    if (!out.includes(type)) out.push(type);
  }
  return out;
}

export const recordsType: ValueType<RecordType[]> = {
  name: 'records',
  expected: RECORDS_EXPECTED,
  parse: (raw, words) => parseRecords(valueText(raw, words)),
  schema: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...RECORD_TYPES] } },
};

/** Event types a <webhook> may send: the record types written to the stream, and `s` (suppressed). */
export type EventTypeName = 'd' | 'b' | 't' | 'tq' | 'r' | 'f' | 'rb' | 'rs' | 's';
export const EVENT_TYPE_NAMES: readonly EventTypeName[] = ['d', 'b', 't', 'tq', 'r', 'f', 'rb', 'rs', 's'];
export const EVENT_TYPES_EXPECTED = 'comma-separated event types from d, b, t, tq, r, f, rb, rs, s, e.g. d,b,f,rb,s';

export const eventTypesType: ValueType<EventTypeName[]> = {
  name: 'event-types',
  expected: EVENT_TYPES_EXPECTED,
  parse(raw, words) {
    const text = valueText(raw, words);
    const items = text.split(/[\s,]+/).filter((t) => t !== '').map((t) => t.toLowerCase());
    if (items.length === 0) throw fail('event-types', EVENT_TYPES_EXPECTED, text, 'no event type given');
    const bad = items.find((t) => !EVENT_TYPE_NAMES.includes(t as EventTypeName));
    if (bad !== undefined) throw fail('event-types', EVENT_TYPES_EXPECTED, text, `unknown event type "${bad}"`);
    return [...new Set(items)] as EventTypeName[];
  },
  schema: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...EVENT_TYPE_NAMES] } },
};

export const recordFieldsType: ValueType<RecordFields> = {
  name: 'record-fields',
  expected: RECORD_FIELDS_EXPECTED,
  parse(raw, words) {
    const bad = (reason?: string): Error => fail('record-fields', RECORD_FIELDS_EXPECTED, raw, reason);
    const [typeText, ...rest] = words;
    const type = typeText === undefined ? undefined : recordType(typeText);
    if (type === undefined) throw bad(typeText === undefined ? undefined : `unknown record type "${typeText}"`);
    const fields = rest.join(',').split(',').map((f) => f.trim()).filter((f) => f !== '');
    if (fields.length === 0) throw bad('no field given');
    const invalid = fields.find((f) => !FIELD_RE.test(f));
    if (invalid !== undefined) throw bad(`"${invalid}" is not a field name`);
    return { type, fields };
  },
  schema: {
    type: 'object',
    properties: {
      type: { type: 'string', enum: [...RECORD_TYPES] },
      fields: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    },
    required: ['type', 'fields'],
    additionalProperties: false,
  },
};
