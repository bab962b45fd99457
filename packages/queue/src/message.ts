/** The queued message record: the contract between listener and delivery. */

export interface NewRecipient {
  address: string;
  /** Domain the message is routed to (lower case, no trailing dot). */
  domain: string;
  /** DSN ORCPT parameter, when given. */
  orcpt?: string;
  /** DSN NOTIFY parameter values, when given. */
  notify?: string[];
  /**
   * Accepted although suppressed (`accept-invalid-recipients yes`): never delivered; delivery
   * bounces it with this reply (a `b` record, category policy-related, and a DSN).
   */
  refused?: RefusedRecipient;
}

/** The reply a suppressed recipient would have had at RCPT ("550 5.7.1 recipient is in suppression list ..."). */
export interface RefusedRecipient {
  code: number;
  enhancedCode: string;
  /** The reply text without the codes, naming the list or the stored reason. */
  text: string;
}

export interface MessageSource {
  ip: string;
  /** The listener the client used, as written in the config ("127.0.0.1:2525"). */
  listener: string;
  /** Address of ours the client connected to. */
  localIp?: string;
  authUser?: string;
  heloName?: string;
  tls?: { protocol: string; cipher: string };
}

export interface NewMessage {
  /** Envelope sender; "" is the null sender. */
  mailFrom: string;
  recipients: NewRecipient[];
  /** The message as it will be delivered: headers already edited, CRLF line ends. */
  body: Buffer;
  vmta: string;
  vmtaPool?: string;
  /** The job id (X-Job, jobid-header); stored in the meta hash as `job`, absent when none. */
  job?: string;
  /** The <pattern-list> rule ("file:line") that chose the VMTA: written in the r records only, not stored. */
  routePattern?: string;
  /**
   * recipient-priority= of the source's <pattern-list> (0-100, default 50): mail above 50 is due
   * earlier in its queues (see readyAtFor in priority.ts), so it is claimed before the mail waiting there.
   */
  priority?: number;
  envId?: string;
  ret?: 'FULL' | 'HDRS';
  source: MessageSource;
  receivedAt: number;
}

export type RecipientState = 'queued' | 'delivered' | 'bounced';

export interface RecipientRecord extends NewRecipient {
  index: number;
  queue: string;
  state: RecipientState;
  attempts: number;
  /** The last reply about this recipient ("451 4.7.1 try later"), once an attempt was made. */
  lastReply?: string;
}

export interface StoredMessage {
  id: string;
  mailFrom: string;
  vmta: string;
  vmtaPool?: string;
  /** The job id, when the message has one. */
  job?: string;
  envId?: string;
  ret?: 'FULL' | 'HDRS';
  source: MessageSource;
  receivedAt: number;
  size: number;
  recipients: RecipientRecord[];
  body: Buffer;
  /**
   * Why the stored body could not be read back (BodyEncodingError: an encoding this version does not
   * know, or bytes that do not inflate); `body` is empty then. Delivery defers such a message.
   */
  unreadable?: string;
}

/** A stored message without its body: what accounting records and deletes need of it. */
export type MessageHead = Omit<StoredMessage, 'body'>;
