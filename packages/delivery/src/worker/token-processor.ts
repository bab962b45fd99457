/**
 * Processing one dispatch token (`<queue>#<slot>`): the chain of named stages
 * for a batch of due messages of one queue. route → select source → connect
 * → transact → outcomes. A queue that must wait moves its token to BullMQ's
 * delayed set and costs nothing until then (token-sleep.ts). Other job kinds
 * are routed in process-job.ts.
 */
import type { Job } from 'bullmq';
import { domainPolicy, type DomainPolicy, type VmtaConfig } from '@vmta/config';
import { CLAIM_PAUSED, type ClaimedShare, type RecipientRecord, type StoredMessage, type TokenData } from '@vmta/queue';
import type { Logger } from 'pino';
import { ConnectError, SmtpClientError } from '../smtp-client/errors.js';
import { connect, connectPolicyOf } from '../smtp-client/connect.js';
import { isExpired } from '../stages/retry-schedule.js';
import { route, type RouteHost } from '../stages/route.js';
import type { OutboundSource } from '../stages/select-source.js';
import { mayNeedRollup, resolveRollup, type RollupTarget } from './mx-rollup.js';
import { rollupGone, unrollBatch } from './unroll.js';
import { ownListenersOf } from '../stages/mail-loop.js';
import { splitRecipients, transact } from '../smtp-client/transact.js';
import { expiredOutcome } from './expiry.js';
import { offers8bitmime, transactionDsn } from '../dsn/next-hop-params.js';
import { fitForNextHop } from '../stages/mime-downgrade.js';
import { wantsNotice } from '../dsn/notify-policy.js';
import { lingerForMail } from './linger.js';
import { cutOnLeaseLost, holderId, mayConnect, maySend, VmtaLease } from './limits.js';
import { closeSessions, type OpenSession } from './open-sessions.js';
import { lingerForTrickle, mayTrickle } from './trickle-linger.js';
import { mayPark, parkKeyOf } from './session-park.js';
import { wantsNextSlot } from './next-slot.js';
import { assertStillHeld, slotHold, watchFence, type SlotHold } from './slot-hold.js';
import { connectFailureFacts, tlsRequiredOutcome } from './connect-failure.js';
import { applyOutcomes, sameOutcome, type RecipientOutcome } from './outcomes.js';
import { suppressBounced } from './auto-suppress.js';
import { notifyBounces } from './notify-bounces.js';
import { bounceRefused } from './refused.js';
import { unreadableBodyOutcome } from './unreadable-body.js';
import type { TokenDeps, TokenResult } from './token-deps.js';
import { QueueShaping } from './traffic-shaping.js';
import { SourceGate } from './source-gate.js';
import { chooseSource } from './source-choice.js';
import { coldVmtaOf, type ColdVmta } from '../stages/warm-up.js';
import { deliverSkippingMx } from './skip-mx.js';
import type { PatternHit } from '../stages/pattern-actions.js';
import { HandBack, LimitWait, QueueFailure, sleep, sleepOrRethrow } from './token-sleep.js';


/** Runs a token; with a slot holder (deps.holder), the run holds its slot until it ends (slot-hold.ts). */
export async function processToken(job: Job<TokenData>, token: string | undefined, deps: TokenDeps): Promise<TokenResult> {
  const now = deps.now ?? Date.now;
  const { queue, domain, vmta, slot } = job.data;
  const ref = { queue, domain, vmta };
  const hold = slotHold(deps.holder, ref, slot, token);
  try {
    return await runToken(job, token, deps, hold);
  } finally {
    deps.trickle?.ended(queue, now());
    // The run's last (empty) claim may have let go of the slot already.
    if (hold && !hold.released) await deps.ops.endRun(queue, slot, hold, now()).catch((err: Error) => deps.log.warn({ event: 'slot-release-failed', queue, slot, err: err.message }, 'could not release the slot'));
  }
}

async function runToken(job: Job<TokenData>, token: string | undefined, deps: TokenDeps, hold: SlotHold | undefined): Promise<TokenResult> {
  const now = deps.now ?? Date.now;
  const { queue, domain, vmta, slot } = job.data;
  const ref = { queue, domain, vmta };
  const { ops } = deps;
  const run = hold?.run;
  const config = deps.config();
  const basePolicy = domainPolicy(config, domain, vmta).settings;
  // Slot 0 keeps the queue in the bounce-after index (covers a listener without bounce-after, mail from before the upgrade).
  const expiry = slot === 0 ? { ref, bounceAfterMs: basePolicy['bounce-after'] } : undefined;
  const started = now();
  const batch = deps.batchSize ?? 50;
  // The run's first claim rides in takeSlot when the queue's state is plain (then the base policy is the run's policy).
  const first = firstClaim({ deps, queue, slot, started, hold, batch, policy: basePolicy });
  const { state, claimed } = await ops.startToken(queue, slot, now(), hold, expiry, first);
  /** The first claim, made by startToken: the loop's first pass uses it instead of claiming. */
  let preclaimed = claimed && first ? { ...claimed, endsIfEmpty: first.releaseIfEmpty } : undefined;
  // One pino child per run (its traffic shaping logs through it too).
  const log = deps.log.child({ queue, slot });
  const shaping = new QueueShaping(deps, ref, basePolicy, config, state, now(), log);
  let policy = await shaping.policy(now(), state);
  if (state.mode === 'paused') return 'paused';
  if (state.mode === 'retry' && state.retryAt !== undefined && state.retryAt > now()) return sleep(job, token, state.retryAt);
  const gate = new SourceGate(deps.sources, ref, basePolicy, log, deps.notices);
  const cold = coldVmtaOf(config, vmta, basePolicy);
  const sessions = new Map<string, OpenSession>();
  const budget = deps.timeBudgetMs ?? 30_000;
  let nextSlotWokenAt = -Infinity;
  let failures = state.failures;
  let rollup: RollupTarget | null | undefined;
  /** This run waited for trickling mail since its last non-empty claim. */
  let trickled = false;
  /** The queue had no more due mail when the run ended: its clean sessions may wait for another queue. */
  let drained = false;
  // Self-fencing: a stale heartbeat closes the run's sessions at once, even mid-transaction or lingering.
  const stopFenceWatch = watchFence(deps.holder, now, () => {
    if (sessions.size === 0) return;
    log.warn({ event: 'sessions-fenced', sessions: sessions.size }, "this process's heartbeat is stale: closing its sessions before its slot can be taken back");
    for (const s of sessions.values()) s.session.abort('session fenced: heartbeat stale');
    void closeSessions(sessions, deps.limiters, vmta, 0);
  });
  try {
    for (;;) {
      // The first claim's checks were made before it (an empty one may have let go of the slot already); a stop
      // meanwhile hands its mail back before the first message.
      if (!preclaimed && deps.stopping?.()) throw new HandBack();
      policy = await shaping.policy(now());
      // Backoff lowered max-smtp-out below this slot: it waits; a wake adds it again when there is work.
      if (!preclaimed && slot >= policy['max-smtp-out']) throw new LimitWait(now() + 30_000, 'backoff-max-smtp-out');
      const idleMs = policy['connection-idle-timeout'];
      const open = () => [...sessions.values()].some((s) => s.session.usable);
      const { ids, remaining, nextDue, endsIfEmpty } = preclaimed ?? (await claimNext({ deps, queue, slot, started, trickled, idleMs, open, inBudget: now() - started < budget, hold, run, batch, policy, now: now() }));
      preclaimed = undefined;
      // A pause takes effect at the next batch, not only at the next token (the claim sees it).
      if (remaining === CLAIM_PAUSED) return 'paused';
      if (ids.length > 0) trickled = false;
      if (ids.length === 0 && endsIfEmpty && hold) {
        hold.released = true;
        drained = true;
        return nextDue === undefined ? 'empty' : await sleep(job, token, nextDue);
      }
      if (ids.length === 0) {
        // The empty claim told when the next message is due: no round trip of its own.
        let next = nextDue;
        if (idleMs > 0 && open() && now() - started < budget) {
          const more = await lingerForMail({ ops, queue, idleMs, now, hasSession: open, stopping: () => deps.stopping?.() ?? false });
          if (more) continue;
          // Lingering took time: the claim's answer is old.
          next = await ops.nextDue(queue);
        }
        // Mail trickling in: wait a moment for the next message instead of ending the run (trickle-linger.ts).
        // After it, one more claim: it takes what came, or clears the awake mark the wait had set.
        if (!trickled && (next === undefined || next > now()) && now() - started < budget) {
          trickled = true;
          if (await lingerForTrickle({ deps, queue, slot, runStartedAt: started, now, closeSessions: () => closeSessions(sessions, deps.limiters, vmta, undefined, deps.park) })) continue;
        }
        drained = true;
        // `return await`: a rejected promise must not sit unobserved while `finally` closes sessions.
        return next === undefined ? 'empty' : await sleep(job, token, next);
      }
      // A rolled-up queue whose rollup a reload dropped gives its mail back to the domain queues (unroll.ts).
      if (rollupGone(config, domain, policy['smtp-hosts'])) {
        await unrollBatch({ config, ops, store: deps.store, dispatcher: deps.dispatcher, queue, slot, vmta, ids, now: now(), run, log });
        continue;
      }
      // MX rollup: a domain whose MX matches an <mx-rollup-list> entry is delivered by NAME.rollup/vmta.
      if (rollup === undefined) rollup = mayNeedRollup(config, domain) ? ((await resolveRollup(deps, config, domain, vmta, now())) ?? null) : null;
      if (rollup) {
        const to = { queue: rollup.queue, domain: rollup.name, vmta };
        const moved = await ops.moveToQueue(queue, slot, ids, rollup.queue, now(), run, undefined, { ref: to, bounceAfterMs: domainPolicy(config, to.domain, vmta).settings['bounce-after'] });
        await deps.dispatcher.wake(to, 0);
        log.info({ event: 'mx-rollup-moved', to: rollup.queue, messages: moved }, 'mail moved to the rolled-up queue');
        continue;
      }
      // More is due than this connection just took: the next slot's connection helps (asked at most once a second).
      if (wantsNextSlot({ remaining, claimed: ids.length, slot, maxSmtpOut: policy['max-smtp-out'], batch }) && now() - nextSlotWokenAt >= 1_000) {
        await deps.dispatcher.wake(ref, slot + 1);
        nextSlotWokenAt = now();
      }
      const messages = await deps.store.getForQueue(ids, queue);
      const routed = await route({ domain, policy, resolver: deps.resolver, isOwn: ownListenersOf(config) });
      for (const [i, message] of messages.entries()) {
        if (deps.stopping?.()) throw new HandBack();
        await assertStillHeld(ops, deps.holder, hold, queue, slot, now());
        if (!message) {
          await ops.recordOutcomes({ id: ids[i]!, queue, slot, run, recipients: [] });
          continue;
        }
        const pending = message.recipients.filter((r) => r.queue === queue && r.state === 'queued');
        if (pending.some((r) => r.refused)) {
          // Accepted although suppressed: bounced now, never delivered; the others go in the next batch.
          await bounceRefused(deps, message, { queue, slot, run }, pending, now());
        } else if (pending.length === 0) {
          await ops.recordOutcomes({ id: message.id, queue, slot, run, recipients: [] });
        } else if (isExpired(message.receivedAt, policy['bounce-after'], now())) {
          await finishSame(deps, message, { queue, slot, run }, pending, expiredOutcome(policy['bounce-after']), policy, now());
        } else if (message.unreadable) {
          log.warn({ event: 'body-unreadable', id: message.id, queue, reason: message.unreadable }, 'message body cannot be read here: deferred');
          await finishSame(deps, message, { queue, slot, run }, pending, unreadableBodyOutcome(message.unreadable), policy, now());
        } else if (routed.kind !== 'hosts') {
          if (routed.kind === 'defer') throw new QueueFailure(`${routed.enhancedCode} ${routed.message}`, { dsnStatus: routed.enhancedCode, dsnDiag: routed.message });
          const result = { outcome: 'bounced', code: 550, enhancedCode: routed.enhancedCode, response: routed.message, category: routed.category } as const;
          await finishSame(deps, message, { queue, slot, run }, pending, result, policy, now());
        } else {
          // `vmta`: the VMTA whose connection delivers (a reroute's), the mail staying in its queue.
          const delivered = await deliverMessage(deps, sessions, routed.hosts, message, pending, { queue, vmta: shaping.via, slot, run, policy, config, log, now, shaping, gate, ...(cold ? { cold } : {}) });
          if (delivered && failures > 0) {
            await ops.leaveRetry(queue);
            failures = 0;
          }
        }
      }
      if (now() - started > budget) return 'yielded';
    }
  } catch (err) {
    return await sleepOrRethrow(err, { job, token, ops, queue, vmta, slot, run, now, log, retryAfterMs: policy['retry-after'], failures });
  } finally {
    stopFenceWatch();
    await closeSessions(sessions, deps.limiters, vmta, undefined, drained && !deps.stopping?.() && mayPark(config, vmta) ? deps.park : undefined);
  }
}

interface ClaimInput {
  deps: TokenDeps;
  queue: string;
  slot: number;
  started: number;
  hold: SlotHold | undefined;
  batch: number;
}

/** The first claim for takeSlot to make: none for a slot above max-smtp-out (the loop's LimitWait decides that one). */
function firstClaim(input: ClaimInput & { policy: DomainPolicy }): { limit: number; spread: number; releaseIfEmpty: boolean; atLeast: number } | undefined {
  const { deps, queue, slot, started, hold, batch, policy } = input;
  if (slot >= policy['max-smtp-out'] || deps.stopping?.()) return undefined;
  const waits = mayWaitForMail({ deps, queue, slot, started, trickled: false, idleMs: policy['connection-idle-timeout'], open: () => false, inBudget: true });
  return { limit: batch, spread: policy['max-smtp-out'], releaseIfEmpty: hold !== undefined && !waits, atLeast: deps.pace?.take(queue, batch, started) ?? 1 };
}

/** The loop's claim: its share of the due mail; `endsIfEmpty`: the claim let go of the slot if it found nothing. */
async function claimNext(
  input: ClaimInput & { trickled: boolean; idleMs: number; open: () => boolean; inBudget: boolean; run: string | undefined; policy: DomainPolicy; now: number },
): Promise<ClaimedShare & { endsIfEmpty: boolean }> {
  const { deps, queue, slot, hold, batch, policy, now } = input;
  // A run that will not wait when it finds nothing lets go of its slot in the empty claim itself (no endRun round trip).
  const endsIfEmpty = hold !== undefined && !mayWaitForMail(input);
  // A fast connection takes what it delivers in a moment at once, or its share when that is more (claim-pace.ts).
  const atLeast = deps.pace?.take(queue, batch, now) ?? 1;
  const share = await deps.ops.claimShare(queue, slot, now, batch, policy['max-smtp-out'], input.run, endsIfEmpty ? hold : undefined, atLeast);
  return { ...share, endsIfEmpty };
}

/** Whether a run whose claim finds nothing would wait for more mail (connection-idle-timeout, or a trickle) instead of ending. */
function mayWaitForMail(input: { deps: TokenDeps; queue: string; slot: number; started: number; trickled: boolean; idleMs: number; open: () => boolean; inBudget: boolean }): boolean {
  if (!input.inBudget) return false;
  if (input.idleMs > 0 && input.open()) return true;
  return !input.trickled && mayTrickle(input.deps.trickle, input.queue, input.slot, input.started);
}

async function finishSame(
  deps: TokenDeps,
  message: StoredMessage,
  at: { queue: string; slot: number; run: string | undefined },
  pending: RecipientRecord[],
  result: RecipientOutcome,
  policy: DomainPolicy,
  now: number,
): Promise<void> {
  const results = sameOutcome(pending, result);
  const applied = applyOutcomes(message, results, { queue: at.queue, now }, policy['retry-recipients-after']);
  await notifyBounces(deps, message, results);
  await suppressBounced(deps, message, at.queue, results);
  await deps.ops.recordOutcomes({ id: message.id, ...at, ...applied });
}

/** RFC 3461 §6.2.6.2: "relayed" for NOTIFY=SUCCESS recipients the next hop took without offering DSN. */
async function notifyRelayed(
  deps: TokenDeps,
  message: StoredMessage,
  relayed: ReadonlyArray<{ recipient: RecipientRecord; result: RecipientOutcome }>,
  remoteMta: string,
): Promise<void> {
  const wanted = relayed.filter((r) => wantsNotice(r.recipient.notify, 'relayed'));
  if (!deps.bounces || wanted.length === 0) return;
  const dsnId = await deps.bounces.notify(message, wanted.map((r) => ({ ...r, remoteMta })), 'relayed');
  if (dsnId) deps.log.info({ event: 'dsn', queueId: message.id, dsnId, recipients: wanted.length, action: 'relayed' }, 'success notification queued');
}

interface MessageContext {
  queue: string;
  vmta: string;
  slot: number;
  run: string | undefined;
  policy: DomainPolicy;
  config: VmtaConfig;
  log: Logger;
  now: () => number;
  shaping: QueueShaping;
  gate: SourceGate;
  cold?: ColdVmta;
}

/**
 * Another queue's idle session to the same next hop, from the same source and VMTA, under the same
 * policy (session-park.ts): not a new connection, so it asks neither max-connect-rate nor the VMTA
 * for a slot; the VMTA lease it kept while parked comes with it. The run holds its queue slot already.
 */
function takeParked(deps: TokenDeps, host: RouteHost, source: OutboundSource, key: string, ctx: MessageContext): OpenSession | undefined {
  const parked = deps.park?.take(parkKeyOf(host, source, ctx.policy, ctx.vmta), ctx.policy['max-msg-per-connection']);
  if (!parked) return undefined;
  const { session, lease } = parked;
  lease?.onLost(() => cutOnLeaseLost(session, ctx.log));
  const holder = lease?.holder ?? holderId(ctx.queue, ctx.slot, key, ctx.run);
  return { session, holder, parkKey: parkKeyOf(session.info.host, source, ctx.policy, ctx.vmta), ...(lease ? { lease } : {}) };
}

/** A new connection: max-connect-rate and a VMTA slot first; a failure to connect is classified here (retry, source out, TLS bounce). */
async function openNew(
  deps: TokenDeps,
  at: { hosts: RouteHost[]; source: OutboundSource; key: string; deadline: number | undefined; message: StoredMessage; pending: RecipientRecord[] },
  ctx: MessageContext,
): Promise<OpenSession> {
  const { policy } = ctx;
  const { hosts, source, deadline, message, pending } = at;
  const holder = holderId(ctx.queue, ctx.slot, at.key, ctx.run);
  let lease: VmtaLease | undefined;
  if (deps.limiters) {
    const verdict = await mayConnect(deps.limiters, ctx.config, { queue: ctx.queue, vmta: ctx.vmta, holder, policy, now: ctx.now() });
    if (!verdict.go) throw new LimitWait(verdict.until, verdict.reason);
    lease = new VmtaLease(deps.limiters, ctx.vmta, holder);
  }
  try {
    const session = await connect({ host: hosts, source, ...connectPolicyOf(policy), ...(deadline ? { deadline } : {}), logger: ctx.log });
    lease?.onLost(() => cutOnLeaseLost(session, ctx.log));
    return { session, holder, parkKey: parkKeyOf(session.info.host, source, policy, ctx.vmta), ...(lease ? { lease } : {}) };
  } catch (err) {
    await lease?.release();
    if (err instanceof ConnectError) {
      const tlsRefused = tlsRequiredOutcome(err, connectPolicyOf(policy).tlsPolicy);
      if (tlsRefused) await finishSame(deps, message, { queue: ctx.queue, slot: ctx.slot, run: ctx.run }, pending, tlsRefused, policy, ctx.now());
      // Greeting, EHLO and STARTTLS replies meet the smtp-pattern-list too.
      const hits = ctx.shaping.hitsOfConnectError(err);
      // A source just disabled: the mail goes again at once from another source (no retry mode for it).
      const sourceOut = await ctx.gate.apply(hits, source.ip, ctx.now());
      const deferred = await ctx.shaping.apply(hits, ctx.now());
      throw deferred ?? (sourceOut ? new LimitWait(ctx.now(), 'source-disabled') : new QueueFailure(err.message, connectFailureFacts(err, source.ip)));
    }
    if (err instanceof SmtpClientError && err.code === 'CONNECT_CA_FILE') throw new QueueFailure(err.message);
    throw err;
  }
}

/** Sends one message to its pending recipients of this queue; true when any was delivered. */
async function deliverMessage(
  deps: TokenDeps,
  sessions: Map<string, OpenSession>,
  hosts: RouteHost[],
  message: StoredMessage,
  pending: RecipientRecord[],
  ctx: MessageContext,
): Promise<boolean> {
  const { policy } = ctx;
  const source = await chooseSource({ ...ctx, ...(ctx.cold ? { cold: ctx.cold } : {}), ...(deps.counters ? { counters: deps.counters } : {}), ...(deps.localIps ? { localIps: deps.localIps } : {}) }, pending[0]!.address);
  const key = `${source.ip ?? '*'}|${source.hostName}`;
  let open = sessions.get(key);
  // smtp-attempt-timeout: connecting (every host together) and this message's transaction.
  const deadline = policy['smtp-attempt-timeout'] > 0 ? Date.now() + policy['smtp-attempt-timeout'] : undefined;
  if (!open || !open.session.usable || !open.session.canSendMore(policy['max-msg-per-connection']) || open.lease?.lost) {
    await open?.session.close().catch(() => undefined);
    // A reconnect is a new connection: its slot goes back and is asked for again (max-smtp-out, max-connect-rate).
    await open?.lease?.release();
    sessions.delete(key);
    open = takeParked(deps, hosts[0]!, source, key, ctx) ?? (await openNew(deps, { hosts, source, key, deadline, message, pending }, ctx));
    sessions.set(key, open);
  }
  const session = open.session;
  // The connection's time per message, set-up excluded (claim-pace.ts).
  const sentAt = ctx.now();
  session.setDeadline(deadline);
  if (deps.limiters) {
    const verdict = await maySend(deps.limiters, ctx.queue, policy, pending.length, ctx.now());
    if (!verdict.go) throw new LimitWait(verdict.until, verdict.reason);
  }
  // Before it is signed (mime-downgrade.ts): an 8-bit body goes to a next hop without 8BITMIME converted to
  // quoted-printable (RFC 6152), and a part with a line over 998 octets to any next hop (RFC 5322 §2.1.1).
  const fitted = fitForNextHop(message.body, offers8bitmime(session.connection));
  const sendable = fitted === message.body ? message : { ...message, body: fitted };
  const body = deps.dkim ? await deps.dkim.sign(sendable, ctx.vmta, policy, ctx.config) : sendable.body;
  const results: Array<{ recipient: RecipientRecord; result: RecipientOutcome }> = [];
  const hits: PatternHit[] = [];
  /** Delivered to a next hop that does not offer DSN: a NOTIFY=SUCCESS recipient gets "relayed" from us. */
  const relayed: typeof results = [];
  for (const chunk of splitRecipients(pending, policy['max-rcpt-per-transaction'])) {
    if (!session.usable) {
      results.push(...sameOutcome(chunk, { outcome: 'deferred', code: 451, enhancedCode: '4.4.2', response: 'connection lost', category: 'bad-connection' }));
      continue;
    }
    const input = { mailFrom: message.mailFrom, body, patternList: ctx.shaping.patterns, categoryPatterns: ctx.shaping.categories };
    const tx = await transact(session, { ...input, recipients: chunk.map((r) => r.address), ...transactionDsn(message, chunk) });
    const done = await deliverSkippingMx(deps, { hosts, session, message, chunk, tx, input, ctx, hits, holder: open.holder });
    for (const d of done) {
      results.push(d);
      if (d.result.outcome === 'delivered' && !d.nextHopDsn) relayed.push(d);
    }
  }
  session.setDeadline(undefined);
  const applied = applyOutcomes(
    message,
    results,
    { queue: ctx.queue, vmta: ctx.vmta, now: ctx.now(), sourceIp: source.ip, destinationIp: session.info.host.ip, tls: session.info.tls },
    policy['retry-recipients-after'],
  );
  await notifyBounces(deps, message, results, session.info.host.name);
  await notifyRelayed(deps, message, relayed, session.info.host.name);
  // Suppressions before the outcome, as the DSN: a kill in between adds them again (the same entries), never none.
  await suppressBounced(deps, message, ctx.queue, results);
  await deps.ops.recordOutcomes({ id: message.id, queue: ctx.queue, slot: ctx.slot, run: ctx.run, ...applied, delivered: { vmta: ctx.vmta, afterMs: ctx.now() - message.receivedAt } });
  if (await ctx.gate.apply(hits, source.ip, ctx.now())) {
    // The source is out of use: its connection closes; the next message picks another source.
    sessions.delete(key);
    await session.close().catch(() => undefined);
    await open.lease?.release();
  }
  const deferQueue = await ctx.shaping.apply(hits, ctx.now());
  if (results.some((r) => r.result.outcome === 'delivered')) await ctx.shaping.delivered(ctx.now());
  if (deferQueue) throw deferQueue;
  deps.pace?.observe(ctx.queue, 1, ctx.now() - sentAt, ctx.now());
  ctx.log.info(
    { event: 'delivery', queueId: message.id, delivered: results.filter((r) => r.result.outcome === 'delivered').length, bounced: results.filter((r) => r.result.outcome === 'bounced').length, deferred: results.filter((r) => r.result.outcome === 'deferred').length },
    'transaction done',
  );
  return results.some((r) => r.result.outcome === 'delivered');
}
