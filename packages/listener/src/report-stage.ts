/**
 * DATA for a processor address (<feedback-loop-processor>, <bounce-processor>): the message is read here
 * instead of being queued, and never relayed. An ARF report becomes an `f` record and, unless
 * `suppress-complaints no`, a suppression (reason complaint) in the sender tenant's store; a remote bounce
 * becomes `rb` records (a hard one of an auto-suppress category a suppression), and a DSN of delays or
 * successes `rs` records. Mail that is not a report
 * is kept whole in Redis (`Keys.unparsedReports()`) and counted. The 250 goes out once ReportStore.write
 * returned, so a report is never lost: without Redis the sender gets 451 and tries again.
 * The processor's delivery options (reportForwardTo: deliver-matched-email, deliver-unmatched-email,
 * forward-unmatched-to, forward-errors-to) queue the message as it came to those recipients first,
 * through the ordinary durable enqueue (`forward`); a failure there is a 451 too, before anything of
 * the report is written.
 */
import {
  autoSuppresses,
  bounceCategoryPatternsOf,
  complaintsSuppress,
  eventStreamWanted,
  recordHeaderNames,
  reportForwardTo,
  reportTenant,
  suppressionTtlMs,
  type ProcessorKind,
  type VmtaConfig,
} from '@vmta/config';
import { addressDomain, serializeRecordWith, type AccountingRecord, type NewRecipient, type ReportStore, type ReportWrite, type SuppressionInput } from '@vmta/queue';
import { replies } from './policy/index.js';
import { headerValue, type Field } from './reports/fields.js';
import { parseReport, type ReportResult } from './reports/parse-report.js';
import type { SessionState } from './session-state.js';

export interface ReportContext {
  config: VmtaConfig;
  reports?: ReportStore | undefined;
  hostName: string;
}

function headerValues(headers: readonly Field[], names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of names) {
    const v = headerValue(headers, n);
    if (v !== undefined) out.set(n, v);
  }
  return out;
}

/** The records and suppressions of a parsed report (pure over the config). */
export function reportWrite(config: VmtaConfig, kind: ProcessorKind, parsed: Extract<ReportResult, { ok: true }>): ReportWrite {
  const tenant = reportTenant(config, parsed.original.trace.authUser);
  const records: AccountingRecord[] = [];
  const entries: SuppressionInput[] = [];
  if (parsed.kind === 'fbl') {
    const suppress = complaintsSuppress(config) && parsed.record.rcpt !== undefined;
    records.push({ ...parsed.record, tenant: suppress ? tenant : undefined });
    if (suppress) entries.push({ address: parsed.record.rcpt!, reason: 'complaint', ttlMs: suppressionTtlMs(config, 'complaint'), reply: `feedback-type ${parsed.record.feedbackType}` });
  } else {
    for (const r of parsed.records) {
      records.push(r);
      if (r.type === 'rb' && r.dsnStatus.startsWith('5') && autoSuppresses(config, r.bounceCat)) {
        entries.push({ address: r.rcpt, reason: r.bounceCat, ttlMs: suppressionTtlMs(config, r.bounceCat), reply: `${r.dsnStatus} ${r.dsnDiag}`.slice(0, 300) });
      }
    }
  }
  const headersOf = (type: 'f' | 'rb' | 'rs') => headerValues(parsed.original.headers, recordHeaderNames(config, type));
  const headers = { f: headersOf('f'), rb: headersOf('rb'), rs: headersOf('rs') };
  // Records only when an <acct-file> will read them, as for r/d/b/t: otherwise the stream would only fill Redis.
  const written = eventStreamWanted(config) ? records.map((r) => serializeRecordWith(r, headers[r.type as 'f' | 'rb' | 'rs'])) : [];
  return { kind, records: written, suppressions: [{ tenant, entries }] };
}

/** Processes one message to processor addresses of `kind`; the 250 text, or throws the reply to send. */
export async function receiveReport(
  ctx: ReportContext,
  state: SessionState,
  kind: ProcessorKind,
  envelope: { mailFrom: string; recipients: readonly NewRecipient[] },
  raw: Buffer,
  forward: (recipients: NewRecipient[]) => Promise<string>,
): Promise<string> {
  if (!ctx.reports) throw replies.queueUnavailable();
  const parsed = await parseReport(kind, { raw, hostName: ctx.hostName, categories: bounceCategoryPatternsOf(ctx.config), logged: new Date().toISOString() });
  const outcome = parsed.ok ? 'matched' : parsed.notReport ? 'unmatched' : 'error';
  const targets = reportForwardTo(ctx.config, kind, outcome, envelope.recipients.map((r) => r.address));
  let forwarded: string | undefined;
  if (targets.length > 0) {
    const own = new Map(envelope.recipients.map((r) => [r.address.toLowerCase(), r]));
    const recipients = targets.map((a) => own.get(a.toLowerCase()) ?? { address: a, domain: addressDomain(a) ?? '' });
    forwarded = await forward(recipients);
    state.log.info({ event: 'report-forwarded', kind, outcome, to: targets, queueId: forwarded }, 'processor mail queued for its recipients or forwarded');
  }
  const also = forwarded ? `; queued as ${forwarded}` : '';
  const write: ReportWrite = parsed.ok
    ? reportWrite(ctx.config, kind, parsed)
    : { kind, records: [], suppressions: [], unparsed: { kind, reason: parsed.reason, mailFrom: envelope.mailFrom, rcpt: envelope.recipients.map((r) => r.address).join(','), raw } };
  try {
    await ctx.reports.write(write);
  } catch (err) {
    state.log.warn({ event: 'report-write-failed', kind, err: (err as Error).message }, 'cannot store the report');
    throw replies.queueUnavailable();
  }
  if (!parsed.ok) {
    state.log.warn({ event: 'report-unparsed', kind, reason: parsed.reason, bytes: raw.length }, 'report kept unparsed');
    return `2.0.0 OK kept (not a report)${also}`;
  }
  const suppressed = write.suppressions.reduce((n, s) => n + s.entries.length, 0);
  const count = parsed.kind === 'fbl' ? 1 : parsed.records.length;
  state.log.info({ event: kind === 'fbl' ? 'feedback-report' : 'remote-bounce', records: count, suppressed }, 'report processed');
  return `2.0.0 OK report processed (${count} records)${also}`;
}
