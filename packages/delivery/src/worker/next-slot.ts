/**
 * When a token run asks for the queue's next connection slot (pure). The claim takes a slot's
 * share of the due mail (due / max-smtp-out); what it leaves is `remaining`. Only when more is
 * left than this run just took would another connection have work beside it: when no more is left
 * than that, this run takes the rest at its next claim before a new token could start, and the
 * woken slot would only find its queue empty (a BullMQ job, takeSlot, an empty claim and a release).
 */
export function wantsNextSlot(input: { remaining: number; claimed: number; slot: number; maxSmtpOut: number }): boolean {
  return input.remaining > input.claimed && input.slot + 1 < input.maxSmtpOut;
}
