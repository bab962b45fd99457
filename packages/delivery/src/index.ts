/** Public API of @vmta/delivery: the delivery stages (resolve MX → connect → transact → classify). */
export * from './errors.js';
export * from './smtp-client/errors.js';
export * from './bounce-category.js';
export type { AddressRecord, DnsOutcome, DnsOutcomeKind, DnsRecordOf, DnsTempFailure, MxRecord, NameServerAddress, PtrRecord, TxtRecord } from './dns/types.js';
export { DnsResolver, reverseName, type DnsResolverOptions } from './dns/resolver.js';
export { route, routeError, orderMx, type RouteHost, type RouteInput, type RouteResolver, type RouteResult } from './stages/route.js';
export { classifyReply, normalizeReplyText, type Outcome, type ReplyClassification, type SmtpReply } from './stages/classify-reply.js';
export { REPLY_RULES, type ReplyRule, type SmtpPhase } from './stages/reply-rules.js';
export { DEFAULT_RETRY_AFTER_MS, isExpired, nextQueueRetry, recipientNotBefore } from './stages/retry-schedule.js';
export { smtpTlsOptions, tlsPolicyOf, type SmtpTlsContext, type SmtpTlsOptions, type TlsPolicy } from './stages/tls-policy.js';
export {
  isLocalAddress,
  localSourceAddresses,
  selectSource,
  servableVmtas,
  stableHash,
  vmtaSources,
  type OutboundSource,
  type SelectSourceOptions,
  type VmtaServability,
  type VmtaSources,
} from './stages/select-source.js';
export { connect, openSession, smtpTimeoutsOf, type ConnectInput, type SmtpTimeouts } from './smtp-client/connect.js';
export { SmtpSession, type SessionInfo, type SessionTls, type SmtpWireError } from './smtp-client/smtp-session.js';
export { splitRecipients, transact, type DsnNotify, type RecipientResult, type TransactionInput, type TransactionResult } from './smtp-client/transact.js';
export { DkimSigner, dkimHeaderList, readHeaderSection, DKIM_DEFAULT_HEADERS, type DkimMessage, type DkimSignerOptions } from './stages/dkim-sign.js';
export { startDelivery, type RunningDelivery, type StartDeliveryOptions } from './worker/delivery-service.js';
export { processToken } from './worker/token-processor.js';
export { processJob } from './worker/process-job.js';
export type { TokenDeps, TokenResult } from './worker/token-deps.js';
export { applyOutcomes, type RecipientOutcome } from './worker/outcomes.js';
export { buildDsn, dsnStatus, isNullSender, wantsNotice, BounceNotifier, DEFAULT_MAX_RETURN_BYTES, type BuildDsnInput, type BounceNotifierOptions, type DsnAction, type DsnRecipient } from './dsn/index.js';
export { startAccounting, accountingGroup, type RunningAccounting, type StartAccountingOptions } from './accounting/accounting-writer.js';
export { startWebhooks, type RunningWebhooks, type StartWebhooksOptions } from './webhooks/webhook-service.js';
export { signature, SIGNATURE_HEADER, EVENT_ID_HEADER } from './webhooks/webhook-settings.js';
export { runDnsCheck, resolverFor, type DnsCheckOptions } from './dns-check/run-dns-check.js';
export { dnsCheckReport, type DnsCheckName, type DnsCheckReport, type DnsCheckRow, type DnsCheckStatus } from './dns-check/checks.js';
export { dnsCheckTargets, type DnsCheckTargets } from './dns-check/targets.js';
export { evaluateSpf, type SpfResult, type SpfResultKind } from './dns-check/spf.js';
