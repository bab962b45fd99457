import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { gcNodeFlags, gcWindow, parseGcLines, readGcEntries } from './gc-window.js';

const preload = fileURLToPath(new URL('../dist/gc-preload.js', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'gc-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the GC window', () => {
  it('sums the collections that started inside the window, per kind, and skips a line cut short', () => {
    const entries = parseGcLines('1000.000 1.500 scavenge\n1010.000 4.000 mark-compact\n1020.000 0.500 scavenge\n1030.000 2.0');
    expect(entries).toHaveLength(3);
    expect(gcWindow(entries, 1000, 1020)).toEqual({ count: 2, totalMs: 5.5, msByKind: { scavenge: 1.5, 'mark-compact': 4 } });
    expect(gcWindow(entries, 1005, 1100)).toEqual({ count: 2, totalMs: 4.5, msByKind: { 'mark-compact': 4, scavenge: 0.5 } });
    expect(gcWindow(entries, 2000, 3000)).toEqual({ count: 0, totalMs: 0, msByKind: {} });
  });

  it('adds the preload only when a directory is given', () => {
    expect(gcNodeFlags(undefined)).toEqual([]);
    expect(gcNodeFlags(dir)).toEqual(['--import', expect.stringMatching(/gc-preload\.js$/)]);
  });

  it.skipIf(!existsSync(preload))('records the collections of a process that loaded the preload, full ones included', async () => {
    // Garbage for scavenges, then a full collection asked for with --expose-gc; the process then lives on a
    // moment, since Node 22 and later hand the observer its entries after the script's end.
    const program = 'let keep = []; for (let i = 0; i < 2e5; i++) { keep.push({ i }); if (keep.length > 1000) keep = []; } globalThis.gc(); setTimeout(() => {}, 300);';
    const from = Date.now();
    const child = spawn(process.execPath, ['--expose-gc', '--import', preload, '-e', program], { env: { ...process.env, BENCH_GC_DIR: dir }, stdio: 'inherit' });
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const summary = gcWindow(readGcEntries(dir, child.pid!), from, Date.now() + 1);
    expect(summary.count).toBeGreaterThan(1);
    expect(summary.msByKind['mark-compact']).toBeGreaterThan(0);
    expect(summary.msByKind.scavenge).toBeGreaterThan(0);
  });
});
