/** What the numbers were measured on. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  redis: string;
  postfix: string;
  loadAvgAtStart: number[];
}

export function describeMachine(versions: { redis: string; postfix: string }): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    /* not Linux */
  }
  return {
    date: new Date().toISOString(),
    cpu,
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    redis: versions.redis,
    postfix: versions.postfix,
    loadAvgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
