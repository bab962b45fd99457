/**
 * Events: the accounting stream seen by platforms. Each stream entry (an accounting record, see
 * accounting-records.ts) becomes one JSON event whose `id` is the stream entry id, stable across
 * retries and re-reads: the idempotency key a receiver dedupes on. One definition of the shape, used
 * by the webhook forwarder, `vmta events tail` and the docs (docs/design/events.md).
 */

/** Types a consumer may ask for: the accounting record types plus `s` (an address suppressed). */
export const EVENT_TYPES = ['r', 'd', 'b', 't', 'tq', 'f', 'rb', 'rs', 's'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface VmtaEvent {
  /** Stream entry id: idempotency key and the position to resume from. */
  id: string;
  type: string;
  /** ISO time the record was logged. */
  time: string;
  msgId?: string;
  jobId?: string;
  sender?: string;
  recipient?: string;
  vmta?: string;
  queue?: string;
  dsnAction?: string;
  dsnStatus?: string;
  dsnDiag?: string;
  bounceCat?: string;
  /** `s` events: whose suppression store and why (a bounce category or `manual`). */
  tenant?: string;
  reason?: string;
  /** Every field of the record as written to the stream (PowerMTA names). */
  fields: Record<string, string>;
}

/** Stream field → event property, for the fields an event names. */
const RENAMED: ReadonlyArray<[string, keyof VmtaEvent]> = [
  ['msgId', 'msgId'],
  ['jobId', 'jobId'],
  ['orig', 'sender'],
  ['rcpt', 'recipient'],
  ['vmta', 'vmta'],
  ['queue', 'queue'],
  ['dsnAction', 'dsnAction'],
  ['dsnStatus', 'dsnStatus'],
  ['dsnDiag', 'dsnDiag'],
  ['bounceCat', 'bounceCat'],
  ['tenant', 'tenant'],
  ['reason', 'reason'],
];

/** The event of one stream entry (its flat `[field, value, ...]` list). */
export function toEvent(id: string, flat: readonly string[]): VmtaEvent {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  const event: VmtaEvent = { id, type: fields.type ?? '', time: fields.timeLogged ?? new Date(Number(id.split('-')[0])).toISOString(), fields };
  const out = event as unknown as Record<string, unknown>;
  for (const [field, prop] of RENAMED) if (fields[field]) out[prop] = fields[field];
  return event;
}

/** Consumer group of a `<webhook NAME>` on the accounting stream (shared by every delivery process). */
export function webhookGroup(name: string): string {
  return `webhook:${name.toLowerCase()}`;
}

/**
 * A stream position from an operator's `--from`: an entry id (`1700000000000-0`), a bare ms time,
 * or an ISO date/time (the entries logged from then on). Undefined when it is none of these.
 */
export function streamPosition(from: string): string | undefined {
  if (/^\d+-\d+$/.test(from)) return isStreamId(from) ? from : undefined;
  if (/^\d+$/.test(from)) return isStreamId(`${from}-0`) ? `${from}-0` : undefined;
  const ms = Date.parse(from);
  // A date before 1970 reads from the start of the stream (Redis refuses a negative id).
  return Number.isNaN(ms) ? undefined : `${Math.max(0, ms)}-0`;
}

const MAX_STREAM_ID_PART = 2n ** 64n - 1n;

/** `MS-SEQ` with both parts 64-bit unsigned, as Redis takes it (a larger one is a Redis error, not an empty page). */
export function isStreamId(id: string): boolean {
  const m = /^(\d{1,20})-(\d{1,20})$/.exec(id);
  return m !== null && BigInt(m[1]!) <= MAX_STREAM_ID_PART && BigInt(m[2]!) <= MAX_STREAM_ID_PART;
}
