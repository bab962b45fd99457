/**
 * Loaded into our roles with `--import` when BENCH_CPUPROF_WINDOW names a directory (cpuprof-window.ts),
 * never by the product: the first SIGUSR2 starts a V8 CPU profile of the process's main thread, the next
 * one stops it and writes `<dir>/pid-<pid>-<n>.cpuprofile` (n counts the windows, from 1). The file
 * appears complete (written under another name, then renamed).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPUPROF_WINDOW;
if (dir) {
  const session = new Session();
  session.connect();
  const intervalUs = Number(process.env.BENCH_CPUPROF_INTERVAL_US ?? 500);
  let running = false;
  let windows = 0;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: intervalUs }, () => session.post('Profiler.start')));
      return;
    }
    running = false;
    const file = path.join(dir, `pid-${process.pid}-${++windows}.cpuprofile`);
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      writeFileSync(`${file}.part`, JSON.stringify(result.profile));
      renameSync(`${file}.part`, file);
    });
  });
}
