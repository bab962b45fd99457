/**
 * The job id of a message (PowerMTA §3.3.7.45-47): with `process-x-job` the X-Job header sets it and is
 * removed from the delivered message unless `retain-x-job`; otherwise (or without an X-Job header) the
 * header named by `jobid-header`, which stays in the message. A job id is printable ASCII without white
 * space; any other value refuses the message (550 5.6.0) rather than losing the job silently. An empty
 * header sets no job. `jobid-prefix` (§3.3.7.44) is put before the job id so taken; its value `{auth}`
 * puts the authenticated SMTP user there (no prefix for a session without AUTH).
 */
import type { SourcePolicy } from '@vmta/config';
import { getHeader, hasHeader, type HeaderBlock } from './headers.js';
import { MAX_JOB_ID_LENGTH, replies, type SmtpReplyError } from './smtp-reply.js';

export const X_JOB = 'X-Job';
const JOB_ID_RE = /^[\x21-\x7e]+$/;

export interface JobDecision {
  /** The job id, absent when the message has none. */
  job?: string;
  /** Remove every X-Job field from the message before it is queued. */
  removeXJob: boolean;
}

export function jobOfMessage(header: HeaderBlock, source: SourcePolicy, authUser?: string): JobDecision | { error: SmtpReplyError } {
  const processXJob = source['process-x-job'] === true;
  const removeXJob = processXJob && source['retain-x-job'] !== true && hasHeader(header, X_JOB);
  const candidates: Array<[string, string | undefined]> = [];
  if (processXJob) candidates.push([X_JOB, getHeader(header, X_JOB)]);
  const alternate = source['jobid-header']?.trim();
  if (alternate) candidates.push([alternate, getHeader(header, alternate)]);
  for (const [name, value] of candidates) {
    if (value === undefined || value === '') continue;
    const job = jobPrefix(source, authUser) + value;
    if (!JOB_ID_RE.test(job) || job.length > MAX_JOB_ID_LENGTH) return { error: replies.invalidJobId(name) };
    return { job, removeXJob };
  }
  return { removeXJob };
}

/** The source's jobid-prefix: the text itself, or for `{auth}` the authenticated user ('' without AUTH). */
function jobPrefix(source: SourcePolicy, authUser: string | undefined): string {
  const prefix = source['jobid-prefix'] ?? '';
  return prefix === '{auth}' ? (authUser ?? '') : prefix;
}
