/**
 * When a token run asks for the queue's next connection slot (pure). The claim takes a slot's
 * share of the due mail (due / max-smtp-out); what it leaves is `remaining`. Only when more is
 * left than this run just took would another connection have work beside it: when no more is left
 * than that, this run takes the rest at its next claim before a new token could start, and the
 * woken slot would only find its queue empty (a BullMQ job, takeSlot, an empty claim and a release).
 *
 * A paced claim (claim-pace.ts: a fast connection took more than its share, `batch` the most a
 * claim takes) is measured against the share it replaced: more left than that share means mail
 * arrives faster than this one connection sends it, and the next slot helps as before.
 */
export function wantsNextSlot(input: { remaining: number; claimed: number; slot: number; maxSmtpOut: number; batch?: number }): boolean {
  const due = input.remaining + input.claimed;
  const share = input.batch === undefined ? input.claimed : Math.min(input.batch, Math.max(1, Math.ceil(due / Math.max(1, input.maxSmtpOut))));
  return input.remaining > Math.min(input.claimed, share) && input.slot + 1 < input.maxSmtpOut;
}
