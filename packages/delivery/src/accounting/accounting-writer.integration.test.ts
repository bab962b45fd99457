import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { DELIVERY_FIELDS, Keys, RECEIVED_FIELDS } from '@vmta/queue';
import { getTestRedis, pollUntil as until, type TestRedis } from '@vmta/testing';
import { AcctFile } from './acct-file.js';
import { startAccounting, type RunningAccounting } from './accounting-writer.js';

/** RFC 4180 parser: rows of fields; quoted fields may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('last line has no CRLF');
  return rows;
}

/** Records of a file as objects; a header row applies to the type of the row after it. */
function records(text: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  let header: string[] | undefined;
  const headers = new Map<string, string[]>();
  for (const row of parseCsv(text)) {
    if (row[0] === 'type') header = row;
    else {
      if (header !== undefined) headers.set(row[0] as string, header), (header = undefined);
      const names = headers.get(row[0] as string);
      if (names === undefined) throw new Error(`no header for ${row[0]}`);
      out.push(Object.fromEntries(names.map((n, i) => [n, row[i] ?? ''])));
    }
  }
  return out;
}

const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

describe('AccountingWriter', () => {
  let t: TestRedis;
  let redis: Redis;
  let dir: string;
  let key: string;
  let writer: RunningAccounting | undefined;

  beforeEach(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    key = new Keys(t.prefix.slice(0, -1)).accounting();
    dir = mkdtempSync(path.join(tmpdir(), 'vmta-acct-'));
  });
  afterEach(async () => {
    await writer?.close();
    writer = undefined;
    redis.disconnect();
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const add = (fields: Record<string, string>) => redis.xadd(key, 'MAXLEN', '~', '1000000', '*', ...Object.entries(fields).flat());
  const start = (conf: string) =>
    startAccounting({ config: loadConfigText(conf), redisUrl: t.url, prefix: t.prefix.slice(0, -1), baseDir: dir, blockMs: 100 });

  it('writes the configured record types as RFC 4180 CSV with a header per type and trims the stream', async () => {
    const diag = '550 5.1.1 "nobody", here\r\nsecond line ✉';
    await add({ type: 'r', timeLogged: '2024-01-01T00:00:00.000Z', orig: 's@a.example', rcpt: 'x@b.example', vmta: 'mta1', jobId: 'm1' });
    await add({ type: 'd', timeLogged: '2024-01-01T00:00:01.000Z', rcpt: 'x@b.example', dsnStatus: '2.0.0', dsnDiag: '250 ok', vmta: 'mta1' });
    await add({ type: 'b', rcpt: 'y@b.example', dsnDiag: diag, bounceCat: 'bad-mailbox', vmta: 'mta1' });
    await add({ type: 't', rcpt: 'z@b.example', dsnDiag: '451 later' });
    writer = await start(
      ['<acct-file all.csv>', '  records r,d,b,t', '</acct-file>',
        '<acct-file bounces.csv>', '  records b', '  record-fields b rcpt,bounceCat,header_X-Job', '</acct-file>',
        '<acct-file default.csv>', '</acct-file>'].join('\n'),
    );
    const all = path.join(dir, 'all.csv');
    const text = await until(() => read(all), (s) => records(s).length === 4);
    const recs = records(text);
    expect(recs.map((r) => r['type'])).toEqual(['r', 'd', 'b', 't']);
    expect(Object.keys(recs[0] ?? {})).toEqual(RECEIVED_FIELDS);
    expect(Object.keys(recs[1] ?? {})).toEqual(DELIVERY_FIELDS);
    expect(recs[0]).toMatchObject({ orig: 's@a.example', rcpt: 'x@b.example', jobId: 'm1', vmta: 'mta1' });
    expect(recs[2]).toMatchObject({ rcpt: 'y@b.example', dsnDiag: diag, bounceCat: 'bad-mailbox' });
    // One header line per type, right before its first record.
    expect(parseCsv(text).map((row) => row[0])).toEqual(['type', 'r', 'type', 'd', 'type', 'b', 'type', 't']);
    expect(text).toContain('"550 5.1.1 ""nobody"", here\r\nsecond line ✉"');

    const bounces = await until(() => read(path.join(dir, 'bounces.csv')), (s) => s.length > 0);
    expect(bounces).toBe(`type,rcpt,bounceCat,header_X-Job\r\nb,y@b.example,bad-mailbox,\r\n`);
    const dflt = await until(() => read(path.join(dir, 'default.csv')), (s) => records(s).length === 2);
    expect(records(dflt).map((r) => r['type'])).toEqual(['d', 'b']);

    // Every group acked everything: the stream is empty, later records too once written.
    expect(await until(() => redis.xlen(key), (n) => n === 0)).toBe(0);
    await add({ type: 'd', rcpt: 'w@b.example' });
    await until(() => read(all), (s) => records(s).length === 5);
    expect(await until(() => redis.xlen(key), (n) => n === 0)).toBe(0);
    expect(parseCsv(read(all)).filter((row) => row[0] === 'type')).toHaveLength(4); // no second d header
  });

  it('feeds a piped <acct-file |program> (PowerMTA bounce handlers) on its input, and starts it again when it exits', async () => {
    const out = path.join(dir, 'piped.txt');
    // The handler appends what it reads; `head -n 2` exits after two lines, so the next batch needs a new one.
    const handler = path.join(dir, 'handler.sh');
    writeFileSync(handler, `head -n 2 >> '${out}'\n`);
    writer = await start([`<acct-file |/bin/sh ${handler}>`, '  records b', '  record-fields b rcpt,bounceCat', '</acct-file>'].join('\n'));
    await add({ type: 'b', rcpt: 'y@b.example', bounceCat: 'bad-mailbox' });
    expect(await until(() => read(out), (s) => s.length > 0)).toBe('type,rcpt,bounceCat\r\nb,y@b.example,bad-mailbox\r\n');
    expect(await until(() => redis.xlen(key), (n) => n === 0)).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    await add({ type: 'b', rcpt: 'z@b.example', bounceCat: 'spam-related' });
    const both = await until(() => read(out), (s) => s.includes('z@b.example'));
    expect(both.endsWith('type,rcpt,bounceCat\r\nb,z@b.example,spam-related\r\n')).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['handler.sh', 'piped.txt']); // no file named after the pipe
  });

  it('moves the file aside when max-size would be passed and starts the new one with a header', async () => {
    writer = await start(['<acct-file acct.csv>', '  records d', '  record-fields d rcpt,dsnDiag', '  max-size 100', '</acct-file>'].join('\n'));
    for (let i = 0; i < 12; i++) await add({ type: 'd', rcpt: `user${i}@b.example`, dsnDiag: `250 ok ${i}` });
    const files = () => readdirSync(dir).sort();
    const all = () => files().map((f) => read(path.join(dir, f))).join('');
    await until(all, (s) => parseCsv(s).filter((row) => row[0] === 'd').length === 12);
    const names = files();
    expect(names.length).toBeGreaterThan(2);
    expect(names.filter((n) => n !== 'acct.csv').every((n) => /^acct-\d{4}-\d{2}-\d{2}-\d{6}(-\d+)?\.csv$/.test(n))).toBe(true);
    for (const name of names) {
      const text = read(path.join(dir, name));
      expect(statSync(path.join(dir, name)).size).toBeLessThanOrEqual(100);
      expect(text.startsWith('type,rcpt,dsnDiag\r\n')).toBe(true);
    }
    const rcpts = names.flatMap((n) => records(read(path.join(dir, n))).map((r) => r['rcpt']));
    expect(rcpts.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `user${i}@b.example`).sort());
    expect(await until(() => redis.xlen(key), (n) => n === 0)).toBe(0);
  });
});

describe('AcctFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vmta-acctfile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const rec = (rcpt: string) => ({ type: 'd', header: 'type,rcpt', line: `d,${rcpt}` });

  it('moves the file after move-interval and deletes moved files older than delete-after', async () => {
    const file = path.join(dir, 'acct.csv');
    const acct = new AcctFile(file, { moveIntervalMs: 60_000, deleteAfterMs: 3_600_000 });
    const t0 = Date.now();
    await acct.append([rec('a@x.example')], t0);
    await acct.tick(t0 + 1_000);
    expect(readdirSync(dir)).toEqual(['acct.csv']);
    await acct.tick(t0 + 61_000);
    const moved = readdirSync(dir).filter((n) => n !== 'acct.csv');
    expect(moved).toHaveLength(1);
    expect(readdirSync(dir)).not.toContain('acct.csv');
    await acct.append([rec('b@x.example')], t0 + 62_000);
    expect(read(file)).toBe('type,rcpt\r\nd,b@x.example\r\n');

    writeFileSync(path.join(dir, 'acct-2020-01-01-000000.csv'), 'old');
    writeFileSync(path.join(dir, 'unrelated-2020-01-01-000000.csv'), 'keep');
    const old = new Date(t0 - 2 * 3_600_000);
    utimesSync(path.join(dir, 'acct-2020-01-01-000000.csv'), old, old);
    utimesSync(path.join(dir, 'unrelated-2020-01-01-000000.csv'), old, old);
    await acct.deleteOld(t0);
    expect(readdirSync(dir).sort()).toEqual(['acct.csv', moved[0], 'unrelated-2020-01-01-000000.csv'].sort());
  });

  it('finds the headers already in a file it appends to after a restart', async () => {
    const file = path.join(dir, 'acct.csv');
    await new AcctFile(file, {}).append([rec('a@x.example'), { type: 'b', header: 'type,rcpt', line: 'b,b@x.example' }]);
    await new AcctFile(file, {}).append([rec('c@x.example'), { type: 'b', header: 'type,rcpt,bounceCat', line: 'b,d@x.example,other' }]);
    expect(read(file)).toBe(
      'type,rcpt\r\nd,a@x.example\r\ntype,rcpt\r\nb,b@x.example\r\nd,c@x.example\r\ntype,rcpt,bounceCat\r\nb,d@x.example,other\r\n',
    );
  });
});
