/**
 * Reply classification rules: data, read top to bottom, first match wins (like ZoneMTA's bounces
 * list, our own rules). A rule matches when every field it has matches:
 * - `text`: the reply text without codes, all lines joined by a space;
 * - `enhanced`: the enhanced status code (RFC 3463), e.g. "5.1.1";
 * - `code`: the basic reply code as text, e.g. "550";
 * - `phases`: the SMTP step that got the reply.
 * `action` overrides the class of the code (2xx delivered, 4xx deferred, 5xx bounced) when set.
 * Text rules come first (receivers put the real reason in words), then enhanced codes, then phases.
 */
import type { BounceCategory } from '../values/index.js';

export type SmtpPhase = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'mail' | 'rcpt' | 'data' | 'dot';

export interface ReplyRule {
  id: string;
  text?: RegExp;
  enhanced?: RegExp;
  code?: RegExp;
  phases?: readonly SmtpPhase[];
  category: BounceCategory;
  action?: 'deferred' | 'bounced';
}

export const REPLY_RULES: readonly ReplyRule[] = [
  // --- by text -------------------------------------------------------------------------------
  { id: 'virus', text: /\bvirus|malware|infected|phishing/i, category: 'virus-related' },
  {
    id: 'blocklist',
    text: /block ?list|black ?list|\b(?:dns|ip|uri)?bls?\b|\brbl\b|spamhaus|spamcop|barracuda|banned sending ip|listed (?:at|on|in|by)|\bS3150\b|poor reputation|sender reputation|ip reputation/i,
    category: 'spam-related',
  },
  { id: 'spam', text: /\bspam\b|unsolicited|bulk e?mail|junk mail|\bUCE\b/i, category: 'spam-related' },
  {
    id: 'rate-limit',
    text: /rate limit|rate-limit|too many (?:messages|connections|concurrent)|unusual rate|throttl|greylist|temporarily deferred|\[TSS?\d+\]|try again later|exceeded (?:the )?(?:message )?rate/i,
    category: 'policy-related',
  },
  { id: 'sender-auth', text: /\bdmarc\b|\bspf\b|\bdkim\b|not (?:properly )?authenticated|unauthenticated|authentication (?:check )?fail/i, category: 'policy-related' },
  {
    id: 'relay',
    text: /relay(?:ing)? (?:access )?(?:denied|not (?:permitted|allowed))|unable to relay|we do not relay|not our customer|relay not permitted/i,
    category: 'relaying-issues',
  },
  {
    id: 'sender',
    phases: ['mail'],
    text: /sender|from address|return[- ]path|mail from/i,
    category: 'invalid-sender',
  },
  {
    id: 'quota',
    text: /over ?quota|quota (?:exceeded|full)|mailbox (?:is )?full|insufficient (?:system )?storage|exceeded (?:the )?storage|out of storage|mailbox size limit/i,
    category: 'quota-issues',
  },
  {
    id: 'inactive',
    text: /inactive|deactivated|account (?:has been |is )?(?:disabled|suspended|locked|closed)|mailbox (?:is )?disabled|no longer (?:active|available|in use)|expired account/i,
    category: 'inactive-mailbox',
  },
  {
    id: 'bad-domain',
    text: /domain (?:name )?(?:not found|does not exist|doesn't exist)|no such domain|host (?:or domain name )?not found|unrouteable (?:mail )?domain/i,
    category: 'bad-domain',
  },
  {
    id: 'bad-mailbox',
    text: /user (?:unknown|not found|doesn't exist|does not exist)|unknown (?:user|recipient|mailbox)|no such (?:user|mailbox|recipient|person)|(?:mailbox|address|account|recipient) (?:\S+ )?(?:does not|doesn't) exist|invalid (?:recipient|mailbox|address)|mailbox (?:not found|unavailable)|recipient (?:address )?rejected|RecipientNotFound|not a valid (?:mailbox|recipient)|doesn't have an? \S+ account/i,
    category: 'bad-mailbox',
  },
  {
    id: 'content',
    text: /message (?:size )?exceeds|(?:message|mail) (?:is )?too (?:big|large)|size limit|content (?:rejected|policy)|message content|attachment|line too long/i,
    category: 'content-related',
  },
  { id: 'tls-needed', text: /starttls|tls (?:is )?required|encryption required/i, category: 'protocol-errors' },
  { id: 'loop', text: /\bloop|too many hops/i, category: 'bad-configuration' },
  { id: 'no-answer', text: /timed? ?out|ETIMEDOUT|no route to host|EHOSTUNREACH|ENETUNREACH/i, category: 'no-answer-from-host' },
  { id: 'connection', text: /connection (?:refused|reset|closed|dropped|lost)|ECONNREFUSED|ECONNRESET|EPIPE/i, category: 'bad-connection' },

  // --- by enhanced status code (RFC 3463) ------------------------------------------------------
  { id: 'x.1.bad-mailbox', enhanced: /^\d\.1\.[1345]$/, category: 'bad-mailbox' },
  { id: 'x.1.bad-domain', enhanced: /^\d\.1\.(?:2|10)$/, category: 'bad-domain' },
  { id: 'x.1.moved', enhanced: /^\d\.1\.6$/, category: 'inactive-mailbox' },
  { id: 'x.1.sender', enhanced: /^\d\.1\.[78]$/, category: 'invalid-sender' },
  { id: 'x.2.1', enhanced: /^\d\.2\.1$/, category: 'inactive-mailbox' },
  { id: 'x.2.2', enhanced: /^\d\.2\.2$/, category: 'quota-issues' },
  { id: 'x.2.3', enhanced: /^\d\.2\.3$/, category: 'content-related' },
  { id: 'x.3.4', enhanced: /^\d\.3\.4$/, category: 'content-related' },
  { id: 'x.4.1', enhanced: /^\d\.4\.1$/, category: 'no-answer-from-host' },
  { id: 'x.4.2', enhanced: /^\d\.4\.2$/, category: 'bad-connection' },
  { id: 'x.4.6', enhanced: /^\d\.4\.6$/, category: 'bad-configuration' },
  { id: 'x.4.7', enhanced: /^\d\.4\.7$/, category: 'message-expired' },
  { id: 'x.4.routing', enhanced: /^\d\.4\.[034]$/, category: 'routing-errors' },
  { id: 'x.5', enhanced: /^\d\.5\.\d+$/, category: 'protocol-errors' },
  { id: 'x.6', enhanced: /^\d\.6\.\d+$/, category: 'content-related' },
  // Microsoft 5.7.606–5.7.649: the sending IP is on their block list.
  { id: 'x.7.microsoft-banned-ip', enhanced: /^\d\.7\.6(?:0[6-9]|[1-4]\d)$/, category: 'spam-related' },
  { id: 'x.7.relay', enhanced: /^\d\.7\.(?:1\d\d)$/, category: 'relaying-issues' },
  { id: 'x.7.sender-auth', enhanced: /^\d\.7\.(?:2[3-7])$/, category: 'policy-related' },
  { id: 'x.7', enhanced: /^\d\.7\.\d+$/, category: 'policy-related' },

  // --- by phase, when nothing else said more ---------------------------------------------------
  { id: 'phase.connect', phases: ['connect'], category: 'no-answer-from-host' },
  { id: 'phase.greeting', phases: ['greeting'], category: 'bad-connection' },
  { id: 'phase.handshake', phases: ['ehlo', 'starttls'], category: 'protocol-errors' },
  { id: 'code.552', code: /^552$/, phases: ['rcpt', 'data', 'dot'], category: 'quota-issues' },
];
