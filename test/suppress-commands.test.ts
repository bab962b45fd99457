/**
 * `vmta suppress add|remove|show|export|import` as a user runs it: the store the listener reads
 * (SuppressionStore.lookup) holds exactly what the commands say.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRedis, SuppressionStore } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('vmta suppress', () => {
  let t: TestRedis;
  let redis: ReturnType<typeof createRedis>;
  let store: SuppressionStore;
  let env: NodeJS.ProcessEnv;
  const vmta = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), 'suppress', ...args], { cwd: root, encoding: 'utf8', env });

  beforeAll(async () => {
    t = await getTestRedis();
    redis = createRedis(t.url, 'cli');
    store = new SuppressionStore(redis, t.prefix.slice(0, -1));
    env = { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: t.prefix.slice(0, -1) };
  });
  afterAll(async () => {
    redis.disconnect();
    await t.cleanup();
  });

  it('adds, shows, exports and removes with the CLI, per tenant', async () => {
    const add = vmta('add', 'One@Example.com', 'two@example.com', '--tenant', 'user:alice', '--reason', 'complaint', '--expire', '1d');
    expect(add.status).toBe(0);
    expect(add.stdout).toBe('user:alice: 2 added, 0 already there (updated)\n');
    expect(await store.lookup('user:alice', 'one@example.com')).toMatchObject({ reason: 'complaint' });
    expect(await store.lookup('user:bob', 'one@example.com')).toBeUndefined();

    const show = JSON.parse(vmta('show', '--tenant', 'user:alice', '--json').stdout) as { entries: Array<{ address: string; reason: string; expiresMs: number; addedMs: number }> };
    expect(show.entries.map((e) => [e.address, e.reason])).toEqual([['one@example.com', 'complaint'], ['two@example.com', 'complaint']]);
    expect(show.entries[0]!.expiresMs - show.entries[0]!.addedMs).toBe(86_400_000);

    const exported = vmta('export', '--tenant', 'user:alice');
    expect(exported.status).toBe(0);
    const lines = exported.stdout.trim().split('\n');
    expect(lines[0]).toBe('address,reason,added,expires,queue,reply');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(',')).sort()).toEqual(['one@example.com,complaint', 'two@example.com,complaint']);

    const rm = vmta('remove', 'one@example.com', 'nobody@example.com', '--tenant', 'user:alice');
    expect(rm.stdout).toBe('user:alice: 1 removed, 1 not there\n');
    expect(await store.lookup('user:alice', 'one@example.com')).toBeUndefined();
    expect(await store.lookup('user:alice', 'two@example.com')).toBeDefined();
  });

  it('imports a file (one address a line, or an export) into the global store', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-supp-import-'));
    const file = path.join(dir, 'list.txt');
    writeFileSync(file, '# list\na@import.example\nb@import.example, c@import.example\nnot-an-address\n');
    const r = vmta('import', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('*: 3 added, 0 already there (updated)\n');
    expect(r.stderr).toBe(`vmta suppress: ${file}:4: "not-an-address" is not an address, skipped\n`);
    expect(await store.lookup('user:anyone', 'c@import.example')).toMatchObject({ reason: 'manual' });
    const counts = vmta('show');
    expect(counts.stdout).toContain('*\t3\n');
    expect(vmta('add').status).toBe(2);
  });

  it("imports another tool's CSV export (BOM, CRLF, header row, quoted fields), naming the line of each bad row", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-supp-csv-'));
    const file = path.join(dir, 'esp.csv');
    writeFileSync(file, '\uFEFFemail,reason,created_at\r\nAnn@CSV.example,"hard bounce, 5.1.1",2024-01-01\r\nnobody,complaint,2024-01-02\r\n"ben@csv.example","said ""stop""",2024-01-03\r\n,manual,2024-01-04\r\n');
    const r = vmta('import', file, '--tenant', 'user:esp');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('user:esp: 2 added, 0 already there (updated)\n');
    expect(r.stderr).toBe(`vmta suppress: ${file}:3: "nobody" (column email) is not an address, skipped\nvmta suppress: ${file}:5: no address in column email, skipped\n`);
    expect(await store.lookup('user:esp', 'ann@csv.example')).toMatchObject({ reason: 'manual' });
    expect(await store.lookup('user:esp', 'ben@csv.example')).toBeDefined();

    writeFileSync(file, 'name,phone\nAnn,123\n');
    const bad = vmta('import', file);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`vmta suppress: ${file}: line 1: the header row (name,phone) has no address column: name one email, address or recipient\n`);
  });

  it('imports its own export into another tenant', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-supp-export-'));
    const file = path.join(dir, 'export.csv');
    await store.add('user:src', [{ address: 'x@exp.example', reason: 'bad-mailbox', queue: 'exp.example/mta1', reply: '550 5.1.1 <x@exp.example>: unknown, really' }]);
    writeFileSync(file, vmta('export', '--tenant', 'user:src').stdout);
    const r = vmta('import', file, '--tenant', 'user:dst');
    expect(r.stdout).toBe('user:dst: 1 added, 0 already there (updated)\n');
    expect(r.stderr).toBe('');
    expect(await store.lookup('user:dst', 'x@exp.example')).toMatchObject({ reason: 'manual' });
  });
});
