/**
 * The mail the feedback loop and bounce processors kept because it was not a report (the
 * `reports:unparsed` stream): `vmta show unparsed-reports`, GET /reports/unparsed. A list without
 * the bodies (kind, why, envelope, time, size, subject), newest first, and one kept message whole.
 */
import { isStreamId, ReportStore, type KeptReport } from '@vmta/queue';
import type { Cluster } from '../cluster.js';

export interface UnparsedReportRow {
  /** Stream id: pass it to read the message whole. */
  id: string;
  kind: string;
  reason: string;
  mailFrom: string;
  rcpt: string;
  /** When it arrived (ISO). */
  at: string;
  bytes: number;
  /** Its Subject header, if it has one (first 200 characters). */
  subject?: string;
}

export interface UnparsedReportsView {
  /** Messages kept now (the stream's length). */
  kept: number;
  reports: UnparsedReportRow[];
}

const store = (cluster: Cluster) => new ReportStore(cluster.redis, cluster.keys.prefix);

/** The Subject of a raw message's header block, unfolded. Pure. */
export function subjectOf(raw: Buffer): string | undefined {
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = (end < 0 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const m = /^subject:[ \t]*(.*)$/im.exec(block);
  return m ? m[1]!.trim().slice(0, 200) : undefined;
}

function row(k: KeptReport): UnparsedReportRow {
  const f = k.fields;
  const subject = subjectOf(k.raw);
  return {
    id: k.id,
    kind: f.kind ?? '',
    reason: f.reason ?? '',
    mailFrom: f.mailFrom ?? '',
    rcpt: f.rcpt ?? '',
    at: new Date(Number(f.at ?? k.id.split('-')[0])).toISOString(),
    bytes: k.raw.length,
    ...(subject !== undefined ? { subject } : {}),
  };
}

export async function unparsedReports(cluster: Cluster, limit = 50): Promise<UnparsedReportsView> {
  const s = store(cluster);
  const [kept, rows] = await Promise.all([s.unparsedCount(), s.unparsed(limit, true)]);
  return { kept, reports: rows.map(row) };
}

/** One kept message, byte for byte, or undefined when the id is not (or no longer) there. */
export async function unparsedReportRaw(cluster: Cluster, id: string): Promise<Buffer | undefined> {
  // An id past 64 bits cannot be in the stream (and Redis refuses it): none such, not an error.
  if (!isStreamId(id)) return undefined;
  return (await store(cluster).unparsedOne(id))?.raw;
}
