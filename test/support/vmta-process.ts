/**
 * `vmta start` as a real child process for end-to-end tests: started on a config file, resolved once
 * it logged `listening` (its SMTP port). stdout carries the JSON log lines; stderr is inherited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface VmtaProcess {
  child: ChildProcess;
  /** The SMTP port it listens on (the first `listening` event). */
  port: number;
  /** Its exit code, once it exited. */
  exited: Promise<number | null>;
  /** SIGKILL unless it already exited (for finally blocks). */
  kill: () => void;
}

export async function startVmtaProcess(configFile: string, options: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<VmtaProcess> {
  const child = spawn(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), 'start', ...(options.args ?? []), '--config', configFile], {
    cwd: path.dirname(configFile),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const ev = JSON.parse(line) as { event?: string; port?: number };
        if (ev.event === 'listening' && ev.port) resolve(ev.port);
      });
      child.once('exit', (code) => reject(new Error(`vmta exited with ${code} before listening`)));
    });
    return { child, port, exited, kill };
  } catch (err) {
    kill();
    throw err;
  }
}
