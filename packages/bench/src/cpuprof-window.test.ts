import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuProfileRoles, startCpuProfileWindow } from './cpuprof-window.js';

const preload = fileURLToPath(new URL('../dist/cpuprof-preload.js', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'cpuprof-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CPU profile window', () => {
  it('profiles only the roles asked for that have a process', () => {
    expect(cpuProfileRoles({ listener: 1, delivery: 2 }, 'listener')).toEqual(['listener']);
    expect(cpuProfileRoles({ listener: 1, delivery: 2 }, 'delivery,listener,redis')).toEqual(['delivery', 'listener']);
  });

  it.skipIf(!existsSync(preload))('writes one profile per window of a process that loaded the preload, named after the run and role', async () => {
    const busy = 'setInterval(() => { let x = 0; for (let i = 0; i < 1e5; i++) x += Math.sqrt(i); globalThis.x = x; }, 5); process.stdout.write("up\\n");';
    const child = spawn(process.execPath, ['--import', preload, '-e', busy], { env: { ...process.env, BENCH_CPUPROF_WINDOW: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      for (const run of ['load-1', 'load-2']) {
        const window = startCpuProfileWindow(run, { listener: child.pid! }, dir, 10_000)!;
        await new Promise((r) => setTimeout(r, 200));
        await window.stop();
        const profile = JSON.parse(readFileSync(path.join(dir, `${run}-listener.cpuprofile`), 'utf8')) as { nodes: unknown[]; samples: unknown[] };
        expect(profile.nodes.length).toBeGreaterThan(1);
        expect(profile.samples.length).toBeGreaterThan(0);
      }
    } finally {
      child.kill('SIGKILL');
    }
  });
});
