/**
 * Self time of a V8 .cpuprofile (what `node --cpu-prof` writes), aggregated by
 * function and by package. Self time of a node = the sum of the time deltas of
 * the samples that landed in it; (idle) is left out of the percentages.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTimeRow {
  name: string;
  /** Microseconds of self time. */
  us: number;
  /** Share of the busy (non-idle) time, 0..100. */
  pct: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  functions: SelfTimeRow[];
  packages: SelfTimeRow[];
}

/** "pkg" of a frame: node_modules/<pkg>, packages/<ours>, node: internals, or the V8 pseudo-frames. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const ours = /packages\/([^/]+)\//.exec(url);
  if (ours) return `@vmta/${ours[1]}`;
  if (url.startsWith('node:')) return 'node (internal)';
  return url;
}

function shortUrl(url: string): string {
  const ours = /packages\/(.+)$/.exec(url);
  if (ours) return ours[1]!;
  const nm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(.+)$/.exec(url);
  if (nm) return nm[1]!;
  return url.replace(/^file:\/\//, '');
}

export function frameName(f: CallFrame): string {
  const fn = f.functionName || '(anonymous)';
  return f.url ? `${fn} ${shortUrl(f.url)}:${f.lineNumber + 1}` : fn;
}

export function summarizeProfiles(profiles: CpuProfile[], top = 15): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const dt = Math.max(0, p.timeDeltas[i] ?? 0);
      const frame = nodes.get(id)?.callFrame;
      if (!frame) return;
      if (frame.functionName === '(idle)') {
        idle += dt;
        return;
      }
      busy += dt;
      const name = frameName(frame);
      byFunction.set(name, (byFunction.get(name) ?? 0) + dt);
      const pkg = packageOf(frame.url, frame.functionName);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    });
  }
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, us, pct: busy > 0 ? (100 * us) / busy : 0 }));
  return { busyMs: busy / 1000, idleMs: idle / 1000, functions: rows(byFunction, top), packages: rows(byPackage, top) };
}

/**
 * Inclusive time per function: each sample counts once for every distinct frame on its stack (a recursive
 * function once), so a stage's row holds everything it ran, its callees included. (idle) is left out.
 */
export function inclusiveTimes(profiles: CpuProfile[], top = 40): { busyMs: number; functions: SelfTimeRow[] } {
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    p.samples.forEach((id, i) => {
      const dt = Math.max(0, p.timeDeltas[i] ?? 0);
      if (nodes.get(id)?.callFrame.functionName === '(idle)') return;
      busy += dt;
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = nodes.get(at)!.callFrame;
        if (frame.functionName === '(root)') continue;
        const name = frameName(frame);
        if (seen.has(name)) continue;
        seen.add(name);
        byFunction.set(name, (byFunction.get(name) ?? 0) + dt);
      }
    });
  }
  const functions = [...byFunction.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, us, pct: busy > 0 ? (100 * us) / busy : 0 }));
  return { busyMs: busy / 1000, functions };
}
