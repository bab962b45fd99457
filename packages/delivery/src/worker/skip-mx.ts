/**
 * The outcomes of one transaction after the smtp-pattern-list had its say on each recipient's
 * reply (stages/pattern-actions.ts): bounce-rcpt bounces, and skip-mx keeps the mail and tries
 * the recipients again at once on the next MX of the route (a session of its own, closed after),
 * until a host takes them, no rule skips, or no host is left (then they stay queued).
 * That extra connection counts like any other: it takes a VMTA slot (max-smtp-out of the
 * <virtual-mta>, max-connect-rate of the queue) for its life, and when none is free the
 * recipients stay queued as they are.
 */
import type { RecipientRecord, StoredMessage } from '@vmta/queue';
import type { DomainPolicy, VmtaConfig } from '@vmta/config';
import type { Logger } from 'pino';
import { connect, smtpTimeoutsOf } from '../smtp-client/connect.js';
import type { SmtpSession } from '../smtp-client/smtp-session.js';
import { transact, type RecipientResult, type TransactionInput, type TransactionResult } from '../smtp-client/transact.js';
import { transactionDsn } from '../dsn/next-hop-params.js';
import { recipientPatternOutcome, type PatternHit } from '../stages/pattern-actions.js';
import type { RouteHost } from '../stages/route.js';
import { tlsPolicyOf } from '../stages/tls-policy.js';
import type { RecipientOutcome } from './outcomes.js';
import { cutOnLeaseLost, mayConnect, VmtaLease } from './limits.js';
import type { TokenDeps } from './token-deps.js';

export interface Decided {
  recipient: RecipientRecord;
  result: RecipientOutcome;
  /** The host that answered offered DSN. */
  nextHopDsn: boolean;
}

export interface SkipMxInput {
  hosts: readonly RouteHost[];
  session: SmtpSession;
  message: StoredMessage;
  chunk: readonly RecipientRecord[];
  tx: TransactionResult;
  input: Omit<TransactionInput, 'recipients'>;
  ctx: { policy: DomainPolicy; log: Logger; queue: string; vmta: string; config: VmtaConfig; now: () => number };
  /** The holder of the main connection's VMTA slot: the extra connection's slot is held as `${holder}|skip-mx`. */
  holder: string;
  /** Rules matched along the way are added here (the caller applies their queue actions). */
  hits: PatternHit[];
}

function hitOf(r: RecipientResult): PatternHit | undefined {
  if (r.patternActions === undefined || r.patternRule === undefined) return undefined;
  return { code: r.code, response: r.response, phase: r.phase, actions: r.patternActions, rule: r.patternRule };
}

const outcomeOf = (r: RecipientResult): RecipientOutcome => ({
  outcome: r.outcome,
  code: r.code,
  ...(r.enhancedCode !== undefined ? { enhancedCode: r.enhancedCode } : {}),
  response: r.response,
  category: r.category,
});

const after = (hosts: readonly RouteHost[], h: RouteHost): RouteHost[] => {
  const i = hosts.findIndex((x) => x.ip === h.ip && x.port === h.port && x.name === h.name);
  return i < 0 ? [] : hosts.slice(i + 1);
};

export async function deliverSkippingMx(deps: TokenDeps, s: SkipMxInput): Promise<Decided[]> {
  const out: Decided[] = [];
  let batch = s.chunk.map((recipient, i) => ({ recipient, r: s.tx.recipients[i]!, dsn: s.tx.nextHopDsn === true }));
  let rest = after(s.hosts, s.session.info.host);
  for (;;) {
    const skipped: typeof batch = [];
    for (const b of batch) {
      const hit = hitOf(b.r);
      if (hit) s.hits.push(hit);
      const { result, skipMx } = recipientPatternOutcome(outcomeOf(b.r), hit);
      if (skipMx && rest.length > 0) skipped.push(b);
      else out.push({ recipient: b.recipient, result, nextHopDsn: b.dsn });
    }
    if (skipped.length === 0) return out;
    const keep = (): Decided[] => skipped.map((b) => ({ recipient: b.recipient, result: recipientPatternOutcome(outcomeOf(b.r), hitOf(b.r)).result, nextHopDsn: b.dsn }));
    let lease: VmtaLease | undefined;
    if (deps.limiters) {
      const holder = `${s.holder}|skip-mx`;
      const verdict = await mayConnect(deps.limiters, s.ctx.config, { queue: s.ctx.queue, vmta: s.ctx.vmta, holder, policy: s.ctx.policy, now: s.ctx.now() });
      if (!verdict.go) {
        s.ctx.log.info({ event: 'skip-mx', reason: verdict.reason }, 'skip-mx: no connection slot for the next MX; the mail stays queued');
        return [...out, ...keep()];
      }
      lease = new VmtaLease(deps.limiters, s.ctx.vmta, holder);
    }
    let next: SmtpSession;
    try {
      next = await connect({ host: rest, source: s.session.info.source, tlsPolicy: tlsPolicyOf(s.ctx.policy), timeouts: smtpTimeoutsOf(s.ctx.policy), logger: s.ctx.log });
      const cutting = next;
      lease?.onLost(() => cutOnLeaseLost(cutting, s.ctx.log));
    } catch (err) {
      await lease?.release();
      s.ctx.log.info({ event: 'skip-mx', err: (err as Error).message }, 'skip-mx: no further MX took the connection');
      return [...out, ...keep()];
    }
    try {
      s.ctx.log.info({ event: 'skip-mx', host: next.info.host.name, recipients: skipped.length }, 'skip-mx: trying the next MX');
      const recipients = skipped.map((b) => b.recipient);
      const tx = await transact(next, { ...s.input, recipients: recipients.map((r) => r.address), ...transactionDsn(s.message, recipients) });
      batch = skipped.map((b, i) => ({ recipient: b.recipient, r: tx.recipients[i]!, dsn: tx.nextHopDsn === true }));
      rest = after(s.hosts, next.info.host);
    } finally {
      await next.close().catch(() => undefined);
      await lease?.release();
    }
  }
}
