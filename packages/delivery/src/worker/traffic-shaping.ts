/**
 * Traffic shaping of one token run: the queue's `<smtp-pattern-list>` and its backoff mode.
 * The mode lives in the queue's state hash in Redis (scripts/backoff-mode.ts), so it survives
 * restarts and every delivery process sees it: each run reads it at start and again at most
 * once a second (at each batch), and works under the backoff-* limits while it holds.
 * Queue actions of matched rules (mode=backoff, mode=normal, bounce-queue, defer-queue) are
 * applied here; every change of mode is logged and, with backoff-notify, told to the operator's
 * addresses by the one process whose step made the change (the Redis script says which). Leaving
 * backoff, backoff-recovery-steps bring the limits back in steps (stages/backoff-recovery.ts).
 */
import { bounceCategoryPatternsOf, replyPatternsOf, type BounceCategoryRule, type DomainPolicy, type ReplyRulePattern, type VmtaConfig } from '@vmta/config';
import type { BackoffNotice, QueueRef, QueueState } from '@vmta/queue';
import type { Logger } from 'pino';
import type { ConnectError } from '../smtp-client/errors.js';
import { backoffUntil, deliveringVmta, effectivePolicy } from '../stages/backoff-policy.js';
import { recoveringPolicy, recoveryStep } from '../stages/backoff-recovery.js';
import { classifyReply } from '../stages/classify-reply.js';
import { queueActionsOf, type PatternHit } from '../stages/pattern-actions.js';
import type { TokenDeps } from './token-deps.js';
import { QueueFailure } from './token-sleep.js';

const REFRESH_MS = 1_000;

export class QueueShaping {
  readonly patterns: ReplyRulePattern[];
  /** The operator's <bounce-category-patterns>. */
  readonly categories: BounceCategoryRule[];
  private inBackoff: boolean;
  private recoverySince: number | undefined;
  private readAt: number;

  constructor(
    private readonly deps: TokenDeps,
    private readonly ref: QueueRef,
    private readonly base: DomainPolicy,
    config: VmtaConfig,
    state: QueueState,
    now: number,
    private readonly log: Logger,
  ) {
    this.patterns = replyPatternsOf(config, base['smtp-pattern-list']);
    this.categories = bounceCategoryPatternsOf(config);
    this.inBackoff = state.backoff !== undefined;
    this.recoverySince = state.recoverySince;
    this.readAt = now;
  }

  get backoff(): boolean {
    return this.inBackoff;
  }

  /** The VMTA whose connections deliver the queue's mail now (reroute-to-virtual-mta, backoff-reroute-to-virtual-mta). */
  get via(): string {
    return deliveringVmta(this.base, this.ref.vmta, this.inBackoff);
  }

  /** The limits in force now (`fresh`: the state just read); backoff-to-normal-after is enforced here by any process. */
  async policy(now: number, fresh?: QueueState): Promise<DomainPolicy> {
    let state = fresh;
    if (state === undefined && now - this.readAt >= REFRESH_MS) state = await this.deps.ops.state(this.ref.queue);
    if (state !== undefined) {
      const wasBackoff = this.inBackoff || fresh !== undefined;
      this.readAt = now;
      this.inBackoff = state.backoff !== undefined;
      this.recoverySince = state.recoverySince;
      // A backoff whose timer ran out reads as over; its fields are cleared (and the change logged) once.
      // Only a state with such fields asks Redis (one script a token start saved when there is none).
      if (wasBackoff && !this.inBackoff && state.backoffLapsed && (await this.deps.ops.leaveBackoff(this.ref.queue, now, true))) {
        this.recoverySince ??= now;
        await this.changed({ queue: this.ref.queue, mode: 'normal', by: 'backoff-to-normal-after' });
      }
    }
    if (this.inBackoff) return effectivePolicy(this.base, true);
    return recoveringPolicy(this.base, recoveryStep(this.base, this.recoverySince, now));
  }

  /** Rules matched by the replies of a connection that could not be set up (greeting, EHLO, STARTTLS). */
  hitsOfConnectError(err: ConnectError): PatternHit[] {
    if (this.patterns.length === 0) return [];
    const hits: PatternHit[] = [];
    for (const a of err.attempts) {
      const response = a.failure.response;
      if (response === undefined) continue;
      const code = a.failure.responseCode ?? Number(/^\d{3}/.exec(response)?.[0] ?? 0);
      const phase = a.failure.kind === 'greeting' ? 'greeting' : a.failure.kind.startsWith('tls') ? 'starttls' : 'ehlo';
      const c = classifyReply({ code, text: response, phase }, this.patterns);
      if (c.patternActions && c.patternRule) hits.push({ code, response, phase, actions: c.patternActions, rule: c.patternRule });
    }
    return hits;
  }

  /**
   * Applies the queue actions of matched rules. Returns a QueueFailure for the caller to throw
   * after it recorded the current message (defer-queue: the queue goes into retry mode now).
   */
  async apply(hits: readonly PatternHit[], now: number): Promise<QueueFailure | undefined> {
    if (hits.length === 0) return undefined;
    const q = queueActionsOf(hits);
    const queue = this.ref.queue;
    if (q.backoff) {
      const until = backoffUntil(this.base, now);
      const entered = await this.deps.ops.enterBackoff(queue, { now, ...(until !== undefined ? { until } : {}), reason: q.backoff.response, rule: q.backoff.rule });
      this.inBackoff = true;
      this.recoverySince = undefined;
      if (entered) await this.changed({ queue, mode: 'backoff', reply: q.backoff.response, rule: q.backoff.rule, ...(until !== undefined ? { until: new Date(until) } : {}) });
    } else if (q.normal) {
      if (await this.deps.ops.leaveBackoff(queue, now)) {
        this.recoverySince = now;
        await this.changed({ queue, mode: 'normal', reply: q.normal.response, rule: q.normal.rule });
      }
      this.inBackoff = false;
    }
    if (q.bounceQueue) {
      const hit = q.bounceQueue;
      await this.deps.dispatcher.purge(this.ref, { dsn: true, before: now, bounce: { code: hit.code >= 500 ? hit.code : 554, response: hit.response, rule: hit.rule } });
      this.log.warn({ event: 'bounce-queue', queue, reply: hit.response, rule: hit.rule }, 'bounce-queue: every message of the queue bounces');
    }
    if (q.deferQueue) return new QueueFailure(`defer-queue (${q.deferQueue.rule}): ${q.deferQueue.response}`);
    return undefined;
  }

  /** backoff-to-normal-after-delivery: a delivery in backoff returns the queue to normal. */
  async delivered(now: number): Promise<void> {
    if (!this.inBackoff || this.base['backoff-to-normal-after-delivery'] !== true) return;
    if (await this.deps.ops.leaveBackoff(this.ref.queue, now)) {
      this.recoverySince = now;
      await this.changed({ queue: this.ref.queue, mode: 'normal', by: 'backoff-to-normal-after-delivery' });
    }
    this.inBackoff = false;
  }

  /** A change of mode this process made: logged, and told to the backoff-notify addresses (a failure to queue the notice is logged, never thrown). */
  private async changed(n: BackoffNotice): Promise<void> {
    const { queue, mode, until, ...fields } = n;
    this.log.warn({ event: 'queue-mode', queue, mode, ...fields, ...(until !== undefined ? { until: until.toISOString() } : {}) }, `queue mode ${mode}`);
    const to = this.base['backoff-notify'];
    if (!to || to.length === 0 || !this.deps.notices) return;
    try {
      const id = await this.deps.notices.backoff(to, this.ref.vmta, n);
      this.log.info({ event: 'backoff-notify', queue, mode, to, id }, 'backoff notice queued');
    } catch (err) {
      this.log.error({ event: 'backoff-notify', queue, mode, err: (err as Error).message }, 'backoff notice not queued');
    }
  }
}
