/**
 * Accounting records → CSV lines (RFC 4180, UTF-8). Pure: which record types an
 * `<acct-file>` takes, which columns it writes of each (the fields of a type are
 * defined in @vmta/queue's accounting-records), and how one stream entry becomes
 * one line. No I/O.
 */
import type { RecordFields, RecordType } from '@vmta/config';
import { accountingFields } from '@vmta/queue';

export const DEFAULT_RECORDS: readonly RecordType[] = ['d', 'b'];

/** The default columns of a record type: all its fields, in the reference's order. */
export function defaultFields(type: RecordType): readonly string[] {
  return accountingFields(type);
}

/** What one `<acct-file>` writes: the record types and the columns of each. */
export interface FilePlan {
  records: ReadonlySet<string>;
  fields: ReadonlyMap<string, readonly string[]>;
  /** The header line (without line break) of each record type. */
  headers: ReadonlyMap<string, string>;
}

/**
 * Columns of one record type. `record-fields` lines of the type apply in order:
 * `*` adds every default field, `!x` removes x, a name (or `header_X-Name`)
 * adds it. Names match the defaults case-insensitively and take their spelling.
 * `type` is always the first column. No record-fields line: the defaults.
 */
export function resolveFields(type: RecordType, recordFields: readonly RecordFields[] = []): string[] {
  const defaults = defaultFields(type);
  const specs = recordFields.filter((rf) => rf.type === type).flatMap((rf) => rf.fields);
  if (specs.length === 0) return [...defaults];
  const canonical = (name: string): string => defaults.find((d) => d.toLowerCase() === name.toLowerCase()) ?? name;
  const has = (list: string[], name: string): boolean => list.some((f) => f.toLowerCase() === name.toLowerCase());
  let out: string[] = [];
  for (const spec of specs) {
    if (spec === '*') {
      for (const d of defaults) if (!has(out, d)) out.push(d);
    } else if (spec.startsWith('!')) {
      const gone = spec.slice(1).toLowerCase();
      out = out.filter((f) => f.toLowerCase() !== gone);
    } else if (!has(out, spec)) {
      out.push(canonical(spec));
    }
  }
  return ['type', ...out.filter((f) => f !== 'type')];
}

export interface AcctSettings {
  records?: readonly RecordType[] | null;
  'record-fields'?: readonly RecordFields[] | null;
}

export function planFile(settings: AcctSettings): FilePlan {
  const records = settings.records ?? DEFAULT_RECORDS;
  const fields = new Map<string, readonly string[]>();
  const headers = new Map<string, string>();
  for (const type of records) {
    const list = resolveFields(type, settings['record-fields'] ?? []);
    fields.set(type, list);
    headers.set(type, csvLine(list));
  }
  return { records: new Set(records), fields, headers };
}

/**
 * One CSV field: quoted when it holds a comma, a quote, CR or LF; quotes doubled. A value that a
 * spreadsheet would run as a formula (it starts with = + - @, TAB or CR: a HELO name or a reply text is
 * chosen by a stranger) gets a leading apostrophe and quotes, as OWASP's CSV-injection advice says.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return safe !== value || /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(values: readonly string[]): string {
  return values.map(csvField).join(',');
}

/** A formatted record: its type, the header its file needs before it, and the line. */
export interface CsvRecord {
  type: string;
  header: string;
  line: string;
}

/**
 * One stream entry (flat `[field, value, ...]` as Redis returns it) as a CSV
 * record, or undefined when the file does not take its type.
 */
export function formatEntry(flat: readonly string[], plan: FilePlan): CsvRecord | undefined {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) values.set((flat[i] as string).toLowerCase(), flat[i + 1] as string);
  const type = values.get('type') ?? '';
  const fields = plan.fields.get(type);
  const header = plan.headers.get(type);
  if (!plan.records.has(type) || fields === undefined || header === undefined) return undefined;
  // header_X-Name: the entry carries it when the record has it (f and rb records); else the column stays empty.
  const line = csvLine(fields.map((f) => values.get(f.toLowerCase()) ?? ''));
  return { type, header, line };
}
