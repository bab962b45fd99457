/**
 * Several "hosts" on one machine for multi-host tests: one network namespace per host, each with
 * its own addresses in a private range (10.200.0.0/24 by default), joined by veth pairs to a
 * bridge that lives in a namespace of its own (the hub). Nothing is added to the machine's own
 * namespace: no interface, no route, so traffic cannot leave the namespaces made here.
 *
 * Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2: see netnsSkipReason(). Namespaces are
 * named `vmtaha-<pid>-<host>`; they are deleted by dispose(), at the process's exit, and (when
 * their process is gone) by the next createNetwork().
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const PREFIX = 'vmtaha';

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why namespaces cannot be made here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  const probe = `${PREFIX}-probe-${process.pid}`;
  try {
    ip(['netns', 'add', probe]);
    ip(['netns', 'del', probe]);
    return undefined;
  } catch (err) {
    const text = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    return `needs \`ip netns\` (root and iproute2: scripts/setup --tests): ${text.split('\n')[0]}`;
  }
}

export interface NetnsHost {
  readonly name: string;
  /** The namespace's name, for `ip netns exec`. */
  readonly ns: string;
  /** Its addresses; the first is its main one. */
  readonly addresses: string[];
  /** Runs a command inside the host (its pid is the command's: `ip netns exec` execs it). */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside the host and returns its stdout. */
  run(command: string, args: string[]): string;
}

export interface Network {
  readonly hosts: Record<string, NetnsHost>;
  /** Deletes every namespace (their interfaces go with them); kills nothing else. */
  dispose(): void;
}

export interface NetworkOptions {
  /** Host name → its addresses (a /24 each: all must be in one subnet), e.g. { redis1: ['10.200.0.11'] }. */
  hosts: Record<string, string[]>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Namespaces left by a process that is gone (a test killed before its cleanup). */
function removeStale(): void {
  const names = ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${PREFIX}-`));
  for (const name of names) {
    const pid = Number(name.split('-')[1]);
    if (Number.isInteger(pid) && !isAlive(pid)) ip(['netns', 'del', name]);
  }
}

export function createNetwork(options: NetworkOptions): Network {
  removeStale();
  const hub = `${PREFIX}-${process.pid}-hub`;
  const made: string[] = [];
  const dispose = () => {
    for (const ns of made.splice(0).reverse()) {
      try {
        ip(['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
  };
  process.once('exit', dispose);
  try {
    ip(['netns', 'add', hub]);
    made.push(hub);
    ip(['-n', hub, 'link', 'set', 'lo', 'up']);
    ip(['-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', hub, 'link', 'set', 'br0', 'up']);
    const hosts: Record<string, NetnsHost> = {};
    for (const [i, [name, addresses]] of Object.entries(options.hosts).entries()) {
      const ns = `${PREFIX}-${process.pid}-${name}`;
      ip(['netns', 'add', ns]);
      made.push(ns);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      // Made in the hub, its peer straight into the host: the machine's own namespace never sees either.
      ip(['-n', hub, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      ip(['-n', hub, 'link', 'set', `v${i}`, 'master', 'br0', 'up']);
      for (const address of addresses) ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      hosts[name] = {
        name,
        ns,
        addresses,
        spawn: (command, args, spawnOptions = {}) => spawn('ip', ['netns', 'exec', ns, command, ...args], spawnOptions),
        run: (command, args) => ip(['netns', 'exec', ns, command, ...args]),
      };
    }
    return {
      hosts,
      dispose() {
        process.off('exit', dispose);
        dispose();
      },
    };
  } catch (err) {
    dispose();
    throw err;
  }
}
