/**
 * Message heads (a stored message without its body) from the meta hash and recipient values, and
 * what a delete claimed (scripts/claim-for-delete.ts) as heads. Pure.
 */
import type { MessageHead, MessageSource, RecipientRecord } from './message.js';
import { CLAIM_META_FIELDS, type ClaimedForDelete } from './scripts/claim-for-delete.js';

export interface DeleteCandidate {
  id: string;
  /** Its score in ready when claimed (QueueOps#releaseClaimed gives it back there). */
  score: number;
  /** Undefined when the message was gone (only its queue entries were left). */
  message?: MessageHead;
}

/** A message head from its meta hash fields and recipient JSON values. */
export function parseHead(id: string, meta: Partial<Record<string, string>>, rcpts: readonly string[]): MessageHead {
  return {
    id,
    mailFrom: meta.from ?? '',
    vmta: meta.vmta ?? '',
    vmtaPool: meta.pool,
    ...(meta.job ? { job: meta.job } : {}),
    envId: meta.envid,
    ret: meta.ret as MessageHead['ret'],
    source: JSON.parse(meta.src ?? '{}') as MessageSource,
    receivedAt: Number(meta.rcv),
    size: Number(meta.size),
    recipients: rcpts
      .map((r) => JSON.parse(r) as RecipientRecord)
      .sort((a, b) => a.index - b.index),
  };
}

export function parseClaimed(claimed: ClaimedForDelete): DeleteCandidate {
  const meta: Partial<Record<string, string>> = {};
  CLAIM_META_FIELDS.forEach((field, i) => {
    const value = claimed.meta[i];
    if (value !== null && value !== undefined) meta[field] = value;
  });
  const base = { id: claimed.id, score: claimed.score };
  if (meta.rcv === undefined) return base;
  return { ...base, message: parseHead(claimed.id, meta, claimed.recipients) };
}
