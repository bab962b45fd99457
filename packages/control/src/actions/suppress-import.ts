/**
 * The file of `vmta suppress import FILE`, as other tools write it. Two forms:
 * - a CSV file with a header row (`vmta suppress export`'s `address,reason,...`, or another tool's
 *   `email,reason,created_at`): the address column is found by its name (email, address, recipient, ...),
 *   fields may be quoted (RFC 4180, a quoted field may hold commas, quotes and line breaks);
 * - a list: one address a line, or comma or space separated, `#` comments (rows of an export without
 *   its header are read by their first field).
 * Either may have a byte order mark and CRLF line ends. A row without a usable address is a problem with its
 * line number; the other rows are still read. Pure.
 */
import { SuppressImportError } from '../errors.js';

/** local@domain, the local part plain or quoted (RFC 5321 Quoted-string: `"john smith"@example.com`). */
const ADDRESS_RE = /^(?:"(?:[^"\\\r\n]|\\.)+"|[^\s@"]+)@[^\s@",;]+$/;
/** One item of a list line: a quoted local part with its domain, or a run without separators. */
const ITEM_RE = /"(?:[^"\\\r\n]|\\.)*"@[^\s,;]*|[^\s,;]+/g;

/** Header names of an address column, as mailing tools name it (compared lowercased, without spaces, - and _). */
const ADDRESS_COLUMNS = ['email', 'emailaddress', 'address', 'recipient', 'recipientaddress', 'rcpt', 'mail', 'to'];

export interface ImportProblem {
  /** 1-based line of the file where the row starts. */
  line: number;
  message: string;
}

export interface SuppressImport {
  /** Valid addresses, lowercased, each once, in file order. */
  addresses: string[];
  problems: ImportProblem[];
  /** The header name of the address column (CSV), or undefined for a list. */
  column?: string;
}

interface CsvRecord {
  line: number;
  fields: string[];
  /** A quoted field ran to the end of the text. */
  unclosed: boolean;
}

/** RFC 4180 records of `text` (CRLF or LF), each with the line it starts on. */
function csvRecords(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const record: CsvRecord = { line, fields: [], unclosed: false };
    let field = '';
    for (;;) {
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) {
            record.unclosed = true;
            break;
          }
          const c = text[i]!;
          if (c === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
          else if (c === '"') {
            i++;
            break;
          } else {
            if (c === '\n') line++;
            field += c;
            i++;
          }
        }
      }
      while (i < text.length && text[i] !== ',' && text[i] !== '\n') field += text[i++];
      record.fields.push(field.replace(/\r$/, ''));
      field = '';
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\n') (i++, line++);
    out.push(record);
  }
  return out;
}

const columnKey = (name: string): string => name.trim().toLowerCase().replace(/[\s_-]/g, '');

function add(out: { seen: Set<string>; problems: ImportProblem[] }, item: string, line: number, where = ''): void {
  if (ADDRESS_RE.test(item)) out.seen.add(item.toLowerCase());
  else out.problems.push({ line, message: `${JSON.stringify(item)}${where} is not an address` });
}

export function parseSuppressImport(file: string): SuppressImport {
  const text = file.replace(/^\uFEFF/, '');
  const out = { seen: new Set<string>(), problems: [] as ImportProblem[] };
  const lines = text.split('\n');
  const bare = (l: string): string => l.replace(/\r$/, '').replace(/#.*$/, '').trim();
  const first = lines.findIndex((l) => bare(l) !== '');
  const header = first < 0 ? [] : csvRecords(lines[first]!)[0]!.fields;
  const isHeader = header.length > 1 && !header.some((f) => f.includes('@'));
  if (!isHeader) {
    lines.forEach((l, n) => {
      const body = bare(l);
      if (body === '') return;
      // A row of `vmta suppress export` (address,reason,added,expires,queue,reply) without its header: its first field.
      const fields = csvRecords(body)[0]!.fields;
      const items = fields.length >= 4 && !fields[1]!.includes('@') ? [fields[0]!.trim()] : (body.match(ITEM_RE) ?? []);
      for (const item of items) if (item !== '') add(out, item, n + 1);
    });
    return { addresses: [...out.seen], problems: out.problems };
  }
  const col = header.findIndex((h) => ADDRESS_COLUMNS.includes(columnKey(h)));
  if (col < 0) {
    throw new SuppressImportError(`line ${first + 1}: the header row (${header.join(',')}) has no address column: name one email, address or recipient`);
  }
  const name = header[col]!.trim();
  for (const r of csvRecords(lines.slice(first + 1).join('\n'))) {
    const line = r.line + first + 1;
    if (r.unclosed) out.problems.push({ line, message: 'a quoted field is not closed' });
    else if (r.fields.length === 1 && r.fields[0]!.trim() === '') continue;
    else if ((r.fields[col] ?? '').trim() === '') out.problems.push({ line, message: `no address in column ${name}` });
    else add(out, r.fields[col]!.trim(), line, ` (column ${name})`);
  }
  return { addresses: [...out.seen], problems: out.problems, column: name };
}
