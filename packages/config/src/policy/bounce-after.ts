/**
 * bounce-after of a queue (domain, VMTA), remembered per config: the listener asks at every
 * enqueue (the queue enters the bounce-after index at receipt + bounce-after), and resolving the
 * domain's layers each time would cost the listener CPU on every message. A reload is a new config
 * object, so its answers are new too.
 */
import type { VmtaConfig } from '../model.js';
import { domainPolicy } from './domain-policy.js';

/** Queues remembered per config; past this the memo starts over (one domain per message stays bounded). */
const REMEMBERED = 10_000;

/** A function answering bounce-after (ms) of a domain and VMTA under the config `current()` returns. */
export function bounceAfterLookup(current: () => VmtaConfig): (domain: string, vmta: string) => number {
  let config: VmtaConfig | undefined;
  let memo = new Map<string, number>();
  return (domain, vmta) => {
    const now = current();
    if (now !== config || memo.size >= REMEMBERED) {
      config = now;
      memo = new Map();
    }
    const key = `${domain}\u0000${vmta}`;
    let ms = memo.get(key);
    if (ms === undefined) {
      ms = domainPolicy(now, domain, vmta).settings['bounce-after'];
      memo.set(key, ms);
    }
    return ms;
  };
}
