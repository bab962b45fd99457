/**
 * What the feedback loop and bounce processors write: the `f`/`rb` accounting records of a report and the
 * suppressions it causes, or, for mail they cannot read, the raw message kept in the unparsed stream.
 * Suppressions first (adding one twice changes nothing), then one MULTI with the records, the kept
 * message and the counters: when it returns, the report is durable and the listener may answer 250;
 * when it throws, nothing of the records was written and the sender tries again.
 */
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';
import { ACCOUNTING_MAXLEN } from './scripts/constants.js';
import { SuppressionStore, type SuppressionInput } from './suppression-store.js';

/** Totals fields (`Keys.totals()`) the processors count. */
export const REPORT_TOTALS = {
  fbl: 'reports-fbl',
  bounce: 'reports-bounce',
  unparsed: 'reports-unparsed',
} as const;

export type ReportKind = 'fbl' | 'bounce';

export interface UnparsedReport {
  kind: ReportKind;
  reason: string;
  mailFrom: string;
  rcpt: string;
  raw: Buffer;
}

export interface ReportWrite {
  kind: ReportKind;
  /** Serialized accounting records (serializeRecord). */
  records: string[][];
  suppressions: { tenant: string; entries: SuppressionInput[] }[];
  unparsed?: UnparsedReport;
}

export class ReportStore {
  private readonly keys: Keys;
  private readonly suppressions: SuppressionStore;
  constructor(
    private readonly redis: Redis,
    prefix?: string,
  ) {
    this.keys = new Keys(prefix);
    this.suppressions = new SuppressionStore(redis, prefix);
  }

  async write(report: ReportWrite, now = Date.now()): Promise<void> {
    for (const s of report.suppressions) if (s.entries.length > 0) await this.suppressions.add(s.tenant, s.entries, now);
    const multi = this.redis.multi();
    for (const record of report.records) multi.xadd(this.keys.accounting(), 'MAXLEN', '~', String(ACCOUNTING_MAXLEN), '*', ...record);
    const u = report.unparsed;
    if (u) {
      multi.xadd(this.keys.unparsedReports(), '*', 'kind', u.kind, 'reason', u.reason, 'mailFrom', u.mailFrom, 'rcpt', u.rcpt, 'at', String(now), 'raw', u.raw);
      multi.hincrby(this.keys.totals(), REPORT_TOTALS.unparsed, 1);
    } else {
      multi.hincrby(this.keys.totals(), REPORT_TOTALS[report.kind], 1);
    }
    const replies = await multi.exec();
    const failed = replies?.find(([err]) => err);
    if (!replies || failed) throw failed?.[0] ?? new Error('report write discarded');
  }

  /** The kept messages, oldest first (`newestFirst`: the other way round); `raw` as a Buffer. */
  async unparsed(count = 100, newestFirst = false): Promise<KeptReport[]> {
    const key = this.keys.unparsedReports();
    const rows = newestFirst ? await this.redis.xrevrangeBuffer(key, '+', '-', 'COUNT', count) : await this.redis.xrangeBuffer(key, '-', '+', 'COUNT', count);
    return rows.map(keptReport);
  }

  /** One kept message by its stream id, or undefined. */
  async unparsedOne(id: string): Promise<KeptReport | undefined> {
    const [row] = await this.redis.xrangeBuffer(this.keys.unparsedReports(), id, id);
    return row ? keptReport(row) : undefined;
  }

  /** How many messages are kept (XLEN: O(1)). */
  unparsedCount(): Promise<number> {
    return this.redis.xlen(this.keys.unparsedReports());
  }
}

/** A message kept by the processors because it was not a report. */
export interface KeptReport {
  id: string;
  /** kind, reason, mailFrom, rcpt, at (ms). */
  fields: Record<string, string>;
  raw: Buffer;
}

function keptReport([id, flat]: [Buffer, Buffer[]]): KeptReport {
  const fields: Record<string, string> = {};
  let raw: Buffer = Buffer.alloc(0);
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!.toString();
    if (name === 'raw') raw = flat[i + 1]!;
    else fields[name] = flat[i + 1]!.toString();
  }
  return { id: id.toString(), fields, raw };
}
