import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { Keys } from '@vmta/queue';
import { getTestRedis, pollUntil as until, type TestRedis } from '@vmta/testing';
import { accountingGroup, startAccounting, type RunningAccounting } from './accounting-writer.js';

const CONF = ['<acct-file acct.csv>', '  records d', '  record-fields d rcpt', '</acct-file>'].join('\n');

/** The rcpt column of the d lines of a file (`type,rcpt` columns, no quoting needed here). */
const rcpts = (file: string): string[] => {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\r\n').filter((l) => l.startsWith('d,')).map((l) => l.slice(2));
};

describe('AccountingWriter on several hosts', () => {
  let t: TestRedis;
  let redis: Redis;
  let root: string;
  let key: string;
  const writers: RunningAccounting[] = [];

  beforeEach(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    key = new Keys(t.prefix.slice(0, -1)).accounting();
    root = mkdtempSync(path.join(tmpdir(), 'vmta-acct-crash-'));
  });
  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.close()));
    redis.disconnect();
    await t.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  /** A writer as if on its own host: its own directory for the same `<acct-file acct.csv>`. */
  const host = async (name: string, opts: { claimIdleMs?: number } = {}) => {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    const w = await startAccounting({
      config: loadConfigText(CONF),
      redisUrl: t.url,
      prefix: t.prefix.slice(0, -1),
      baseDir: dir,
      consumer: name,
      blockMs: 100,
      batchSize: 7,
      retryDelayMs: 50,
      claimIdleMs: opts.claimIdleMs ?? 60_000,
    });
    writers.push(w);
    return { dir, file: path.join(dir, 'acct.csv'), writer: w };
  };
  const addMany = async (n: number, from = 0) => {
    for (let i = from; i < from + n; i++) await redis.xadd(key, '*', 'type', 'd', 'rcpt', `u${i}@x.example`);
  };
  const expected = (n: number) => Array.from({ length: n }, (_, i) => `u${i}@x.example`).sort();

  it('splits the records between hosts: each lands in exactly one host file', async () => {
    const a = await host('hostA');
    const b = await host('hostB');
    await addMany(60);
    const both = () => [...rcpts(a.file), ...rcpts(b.file)];
    await until(both, (all) => all.length >= 60);
    expect(both().sort()).toEqual(expected(60));
    expect(await until(() => redis.xlen(key), (n) => n === 0)).toBe(0);
  });

  it('acks nothing a writer could not write, and another writer claims it once idle', async () => {
    // Host A cannot write: its acct.csv is a directory (EISDIR), as if it died before writing.
    const a = await host('hostA');
    mkdirSync(a.file);
    await addMany(10);
    const group = accountingGroup('acct.csv');
    const pendingOf = async () => (await redis.xpending(key, group)) as [number, string | null, string | null, Array<[string, string]> | null];
    // A failing writer keeps retrying the batch it holds and takes no more.
    const pending = await until(pendingOf, (p) => p[0] > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await pendingOf()).toEqual(pending);
    expect(pending[3]).toEqual([['hostA', String(pending[0])]]);
    await a.writer.close(); // stopped with its entries unacked
    expect(await redis.xlen(key)).toBe(10); // nothing trimmed: nothing was accounted

    const b = await host('hostB', { claimIdleMs: 200 });
    await addMany(5, 10);
    await until(() => rcpts(b.file), (r) => r.length >= 15);
    expect(rcpts(b.file).sort()).toEqual(expected(15));
    // The ack follows the write (after fsync): the file can be read a moment before it.
    expect((await until(pendingOf, (p) => p[0] === 0))[0]).toBe(0);
    expect(await until(() => redis.xlen(key), (n) => n === 0)).toBe(0);
  });

  it('a writer closed in the middle of a blocking read leaves nothing behind', async () => {
    const a = await host('hostA');
    await addMany(3);
    await until(() => rcpts(a.file), (r) => r.length === 3);
    await a.writer.close();
    writers.splice(writers.indexOf(a.writer), 1);
    const group = accountingGroup('acct.csv');
    // Clean close: hostA held nothing, so it left the group.
    const consumers = (await redis.xinfo('CONSUMERS', key, group)) as unknown[];
    expect(consumers).toEqual([]);
    const b = await host('hostB');
    await addMany(2, 3);
    await until(() => rcpts(b.file), (r) => r.length === 2);
    expect(rcpts(b.file)).toEqual(['u3@x.example', 'u4@x.example']);
  });
});
