/** Which queues an operator names: `DOMAIN/VMTA`, where `*` matches any run of characters (`*` then `/mta1`: every queue of mta1). */
import { queueNames } from '@vmta/queue';
import type { Cluster } from '../cluster.js';

/** `*` in a queue pattern matches any run of characters; case does not matter. Pure. */
export function queueMatcher(pattern: string): (name: string) => boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 'i');
  return (name) => re.test(name);
}

/** The queues that have held mail and match any of the patterns, sorted. */
export async function matchQueues(cluster: Cluster, patterns: readonly string[]): Promise<string[]> {
  const all = await queueNames(cluster.redis, cluster.keys);
  const matchers = patterns.map(queueMatcher);
  return all.filter((name) => matchers.some((match) => match(name)));
}

/**
 * The queues a pattern names for a change of mode: the known ones it matches, or, when it
 * matches none and has no `*`, the queue as written (a queue may be paused before it holds mail).
 */
export async function selectQueues(cluster: Cluster, pattern: string): Promise<string[]> {
  const names = await matchQueues(cluster, [pattern]);
  return names.length === 0 && !pattern.includes('*') ? [pattern] : names;
}
