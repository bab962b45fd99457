import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sharedQueueTestbed } from './testing/index.js';
import { effectiveBodyCompression, Keys, READABLE_BODY_ENCODINGS, registerProcess, ZstdReaders, zstdReadersOf, type ProcessRegistration, type ZstdReadersView } from './index.js';

const row = (id: string, role: 'all' | 'listener' | 'delivery', alive: boolean, bodyEncodings?: string[]) => ({ id, role, alive, version: '1.0.0', ...(bodyEncodings ? { bodyEncodings } : {}) });
const READS = ['raw', 'deflate', 'zstd'];

describe('whether zstd bodies may be written, from the process list', () => {
  it.each([
    ['no process at all', [], false, []],
    ['only listeners, even ones that read zstd', [row('l1', 'listener', true, READS)], false, []],
    ['one delivery process that says it reads zstd', [row('d1', 'delivery', true, READS)], true, []],
    ['an all-roles process that reads zstd', [row('a1', 'all', true, READS)], true, []],
    ['a delivery process of a version that does not say (no bodyEncodings)', [row('d1', 'delivery', true, READS), row('d0', 'delivery', true)], false, ['d0 (1.0.0)']],
    ['a delivery process that reads only deflate', [row('d2', 'delivery', true, ['raw', 'deflate'])], false, ['d2 (1.0.0)']],
    ['an old delivery process that is no longer alive', [row('d1', 'delivery', true, READS), row('d0', 'delivery', false)], true, []],
    ['an old listener beside a reader', [row('d1', 'delivery', true, READS), row('l0', 'listener', true)], true, []],
  ])('%s', (_name, rows, allowed, notReading) => {
    expect(zstdReadersOf(rows)).toEqual({ allowed, notReading });
  });

  it.each([
    ['zstd', true, 'zstd'],
    ['zstd', false, 'deflate'],
    ['deflate', true, 'deflate'],
    ['none', true, 'none'],
    ['none', false, 'none'],
  ] as const)('%s wanted, zstd allowed %s: %s', (wanted, allowed, used) => {
    expect(effectiveBodyCompression(wanted, allowed)).toBe(used);
  });

  it('this version says it reads every encoding it decodes', () => {
    expect([...READABLE_BODY_ENCODINGS]).toEqual(READS);
  });
});

describe('ZstdReaders against a real process list', () => {
  const bed = sharedQueueTestbed(beforeAll, afterAll);
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const registrations: ProcessRegistration[] = [];
  afterAll(() => registrations.forEach((r) => r.stop()));

  const register = async (role: 'listener' | 'delivery', host: string, bodyEncodings?: string[]) => {
    const r = await registerProcess(bed.redis, { role, host, pid: 1, vmtas: [], listeners: [], ...(bodyEncodings ? { bodyEncodings } : {}) }, { prefix: bed.prefix, now, heartbeatMs: 5_000 });
    r.stop();
    registrations.push(r);
    return r;
  };

  it('holds zstd back while an old delivery process is alive, allows it once that one is gone, and reads without pruning', async () => {
    const changes: ZstdReadersView[] = [];
    const keys = new Keys(bed.prefix);
    const readers = new ZstdReaders(bed.redis, keys, { now, onChange: (v) => changes.push(v) });
    expect(readers.allowed).toBe(false);
    expect((await readers.refresh()).allowed).toBe(false);

    await register('delivery', 'new-host', [...READABLE_BODY_ENCODINGS]);
    const old = await register('delivery', 'old-host');
    const view = await readers.refresh();
    expect(view.allowed).toBe(false);
    expect(view.notReading).toEqual([old.id]);

    await old.deregister();
    expect(readers.allowed).toBe(false);
    expect((await readers.refresh()).allowed).toBe(true);
    expect(readers.allowed).toBe(true);
    expect(changes.map((c) => c.allowed)).toEqual([false, true]);

    // Every process silent past three heartbeats: none alive to read zstd. Nothing was pruned.
    clock += 16_000;
    expect((await readers.refresh()).allowed).toBe(false);
    expect(await bed.redis.zcard(keys.processIndex())).toBe(1);
  });

  it('looks again soon while zstd is held back: a delivery process registered after the start lets zstd in long before the period', async () => {
    const bed2 = { redis: bed.redis, prefix: `${bed.prefix}late:` };
    const keys = new Keys(bed2.prefix);
    // A period far longer than the test: only the retries can see the late registration.
    const readers = new ZstdReaders(bed2.redis, keys, { refreshMs: 600_000 });
    readers.start();
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(readers.allowed).toBe(false);
      const late = await registerProcess(bed2.redis, { role: 'delivery', host: 'late-host', pid: 1, vmtas: [], listeners: [], bodyEncodings: [...READABLE_BODY_ENCODINGS] }, { prefix: bed2.prefix });
      registrations.push(late);
      const until = Date.now() + 20_000;
      while (!readers.allowed && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(readers.allowed).toBe(true);
    } finally {
      readers.stop();
    }
  });

  it('reads nothing more once stopped, even when the stop comes while a read is in flight', async () => {
    const readers = new ZstdReaders(bed.redis, new Keys(`${bed.prefix}stopped:`), { refreshMs: 600_000 });
    const reads = vi.spyOn(readers, 'refresh');
    readers.start();
    readers.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(reads).toHaveBeenCalledTimes(1);
    expect(readers.allowed).toBe(false);
  });
});

