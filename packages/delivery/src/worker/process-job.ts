/**
 * One job of the dispatch queue, routed by its kind: a connection token (no kind) runs the
 * delivery stages, `expire` is a queue's bounce-after sweep, `purge` an operator's delete.
 */
import type { TokenData } from '@vmta/queue';
import type { Job } from 'bullmq';
import { processExpiry } from './expiry.js';
import { processPurge } from './purge.js';
import type { TokenDeps, TokenResult } from './token-deps.js';
import { processToken } from './token-processor.js';

/** What the job ended with: a token's result, or the recipients an expire or purge job bounced. */
export function processJob(job: Job<TokenData>, token: string | undefined, deps: TokenDeps): Promise<TokenResult | number> {
  if (job.data.kind === 'expire') return processExpiry(job, token, deps);
  if (job.data.kind === 'purge') return processPurge(job, token, deps);
  return processToken(job, token, deps);
}
