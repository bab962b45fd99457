/**
 * The notices of the operator's own changes: `vmta set queue --mode` tells the queue's
 * backoff-notify addresses, `vmta disable|enable source` the disabled-source-ip-notify addresses,
 * like delivery does for the changes it makes (same text, queue/src/notices.ts), once per change.
 * The addresses come from the queue's domain policy. A change for every queue (`*`) tells each
 * distinct address list of the known queues whose VMTA has the IP as a source, once, through
 * the first such queue's VMTA. One log line per notice; a notice that cannot be queued is logged,
 * never thrown (the change itself is made).
 */
import os from 'node:os';
import { domainPolicy, noticeSender, vmtaUsesSourceIp, type VmtaConfig } from '@vmta/config';
import { ALL_QUEUES, Notices, queueNames, type BackoffNotice, type DisabledSource } from '@vmta/queue';
import type { Cluster } from '../cluster.js';
import { splitQueueName } from '../queue-ref.js';

/** Where the notices are logged: a pino logger fits. */
export interface NoticeLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** What an action needs to tell: the configuration in force (policies, host-name, postmaster). */
export interface NoticeOptions {
  config: VmtaConfig;
  log?: NoticeLog;
}

function notices(cluster: Cluster, config: VmtaConfig): Notices {
  return new Notices(cluster.store, noticeSender(config, os.hostname()));
}

/** Tells the queue's backoff-notify addresses of a change of mode the operator made. */
export async function tellQueueMode(cluster: Cluster, o: NoticeOptions, notice: BackoffNotice): Promise<string | undefined> {
  const { domain, vmta } = splitQueueName(notice.queue);
  const to = domainPolicy(o.config, domain, vmta).settings['backoff-notify'] ?? [];
  if (to.length === 0) return undefined;
  const fields = { event: 'backoff-notify', queue: notice.queue, mode: notice.mode, by: notice.by };
  try {
    const id = await notices(cluster, o.config).backoff(to, vmta, notice);
    o.log?.info({ ...fields, to, id }, 'backoff notice queued');
    return id;
  } catch (err) {
    o.log?.error({ ...fields, err: (err as Error).message }, 'backoff notice not queued');
    return undefined;
  }
}

/** Who is told of a change to `e` (one entry per notice): the address list and the VMTA that sends it. */
export async function sourceNoticeTargets(cluster: Cluster, config: VmtaConfig, e: DisabledSource): Promise<{ notify: string; vmta: string }[]> {
  const queues = e.queue === ALL_QUEUES ? (await queueNames(cluster.redis, cluster.keys)).map(splitQueueName).filter((q) => vmtaUsesSourceIp(config, q.vmta, e.ip)) : [splitQueueName(e.queue)];
  const byList = new Map<string, string>();
  for (const q of queues) {
    const notify = (domainPolicy(config, q.domain, q.vmta).settings['disabled-source-ip-notify'] ?? '').trim();
    if (notify !== '' && !byList.has(notify)) byList.set(notify, q.vmta);
  }
  return [...byList].map(([notify, vmta]) => ({ notify, vmta }));
}

/** Tells the disabled-source-ip-notify addresses of a source the operator disabled or enabled; the queued notices' ids. */
export async function tellSourceChange(cluster: Cluster, o: NoticeOptions, change: 'disabled' | 'enabled', e: DisabledSource): Promise<string[]> {
  const ids: string[] = [];
  const fields = { event: 'source-notice', change, ip: e.ip, queue: e.queue };
  try {
    for (const t of await sourceNoticeTargets(cluster, o.config, e)) {
      const id = await notices(cluster, o.config).source(change, e, t.notify, t.vmta);
      if (id === undefined) continue;
      ids.push(id);
      o.log?.info({ ...fields, to: t.notify, id }, 'source notice queued');
    }
  } catch (err) {
    o.log?.error({ ...fields, err: (err as Error).message }, 'source notice not queued');
  }
  return ids;
}
