/**
 * `vmta show messages --queue Q`, GET /queues/Q/messages: the oldest messages of a queue (read
 * without their bodies): id, sender, job, this queue's recipients still queued, age, attempts and
 * the last reply.
 */
import { readEnvelopes } from '@vmta/queue';
import type { Cluster } from '../cluster.js';

export interface MessageView {
  id: string;
  sender: string;
  job?: string;
  recipients: string[];
  ageSeconds: number;
  attempts: number;
  lastReply?: string;
}

export const MESSAGES_LIMIT_MAX = 10_000;

export async function messagesView(cluster: Cluster, queue: string, limit = 100, now = Date.now()): Promise<MessageView[]> {
  const n = Math.max(1, Math.min(MESSAGES_LIMIT_MAX, Math.floor(limit)));
  const ids = await cluster.ops.receivedBefore(queue, now, n);
  const envelopes = await readEnvelopes(cluster.redis, cluster.keys, ids);
  const out: MessageView[] = [];
  for (const m of envelopes) {
    if (!m) continue;
    const mine = m.recipients.filter((r) => r.queue === queue && r.state === 'queued');
    const lastReply = mine.map((r) => r.lastReply).find((r) => r !== undefined);
    out.push({
      id: m.id,
      sender: m.mailFrom,
      ...(m.job ? { job: m.job } : {}),
      recipients: mine.map((r) => r.address),
      ageSeconds: Math.max(0, Math.round((now - m.receivedAt) / 1000)),
      attempts: Math.max(0, ...mine.map((r) => r.attempts)),
      ...(lastReply ? { lastReply } : {}),
    });
  }
  return out;
}
