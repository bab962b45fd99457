/** A queue named by an operator ("domain/vmta") as the parts the queue package works with. */
import type { QueueRef } from '@vmta/queue';

/** "domain/vmta" → its parts, the way `vmta show queues` splits a queue name. */
export function splitQueueName(name: string): { domain: string; vmta: string } {
  const at = name.lastIndexOf('/');
  return { domain: name.slice(0, at), vmta: name.slice(at + 1) };
}

/** The reference delivery wakes and purges a queue by. */
export function queueRef(name: string): QueueRef {
  return { queue: name, ...splitQueueName(name) };
}
