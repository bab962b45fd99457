/**
 * Which messages an operator's delete or view names: by job, sender (`--orig`), recipient (`--rcpt`)
 * and age (`--older-than`). An address is matched whole and without regard to case; `/re/` (flags
 * after the last slash, e.g. `/@example\.com$/i`) is a regular expression. Pure.
 */
import { FilterPatternError } from './errors.js';

export interface MessageFilter {
  job?: string;
  /** Envelope sender: an address or `/re/flags`. */
  orig?: string;
  /** Recipient: an address or `/re/flags`. Only matching recipients are deleted. */
  rcpt?: string;
  /** Only mail received before this time (ms). */
  receivedBefore?: number;
}

/** What a filter needs of a message: no body. */
export interface MessageEnvelope {
  mailFrom: string;
  job?: string;
  receivedAt: number;
}

/** An address or `/re/flags` as a test; throws FilterPatternError for a bad expression. */
export function addressMatcher(pattern: string): (address: string) => boolean {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (re) {
    let compiled: RegExp;
    try {
      compiled = new RegExp(re[1]!, re[2]!.replace(/[gy]/g, ''));
    } catch (err) {
      throw new FilterPatternError(`not a regular expression: ${pattern} (${(err as Error).message})`);
    }
    return (address) => compiled.test(address);
  }
  const wanted = pattern.toLowerCase();
  return (address) => address.toLowerCase() === wanted;
}

export interface CompiledFilter {
  /** Whether the message is named (sender, job, age). */
  message(envelope: MessageEnvelope): boolean;
  /** Whether a recipient of a named message is named. */
  recipient(address: string): boolean;
  /** Whether the filter names only some recipients (then a message may stay with the others). */
  byRecipient: boolean;
}

export function compileFilter(filter: MessageFilter = {}): CompiledFilter {
  const orig = filter.orig === undefined ? undefined : addressMatcher(filter.orig);
  const rcpt = filter.rcpt === undefined ? undefined : addressMatcher(filter.rcpt);
  return {
    message: (m) =>
      (filter.job === undefined || m.job === filter.job) &&
      (orig === undefined || orig(m.mailFrom)) &&
      (filter.receivedBefore === undefined || m.receivedAt <= filter.receivedBefore),
    recipient: (address) => rcpt === undefined || rcpt(address),
    byRecipient: rcpt !== undefined,
  };
}
