/** Public API of @vmta/delivery: the delivery stages (resolve MX → connect → transact → classify). */
export * from './errors.js';
export * from './bounce-category.js';
export type { AddressRecord, DnsOutcome, DnsOutcomeKind, DnsTempFailure, MxRecord, NameServerAddress } from './dns/types.js';
export { DnsResolver, type DnsResolverOptions } from './dns/resolver.js';
export { route, routeError, orderMx, type RouteHost, type RouteInput, type RouteResolver, type RouteResult } from './stages/route.js';
export { classifyReply, normalizeReplyText, type Outcome, type ReplyClassification, type SmtpReply } from './stages/classify-reply.js';
export { REPLY_RULES, type ReplyRule, type SmtpPhase } from './stages/reply-rules.js';
export { DEFAULT_RETRY_AFTER_MS, isExpired, nextQueueRetry, recipientNotBefore } from './stages/retry-schedule.js';
export { smtpTlsOptions, tlsPolicyOf, type SmtpTlsContext, type SmtpTlsOptions, type TlsPolicy } from './stages/tls-policy.js';
