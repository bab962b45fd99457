/**
 * The configuration schema: the single source of directive names, the scopes
 * they may appear in, their value types and their defaults. The parser reads
 * it to know what a word means, ajv validates parsed stanzas against it, and
 * `vmta schema` prints it.
 */
import { directive as d, scope } from './directive.js';
import { valueSchemas } from './value-schemas.js';

const domainScope = scope(
  'Delivery policy for queues whose recipient domain matches the pattern.',
  {
    'use-starttls': d('boolean', 'Use STARTTLS when the MX offers it.', { 'x-default': 'yes' }),
    'require-starttls': d('boolean', 'Never send without TLS: defer when STARTTLS is absent or fails.', { 'x-default': 'no' }),
    'smtp-tls-verify-certificate': d(
      'boolean',
      'Verify the MX certificate (a trusted CA, or smtp-tls-ca-file, and the MX host name): implies require-starttls; a certificate that fails defers the mail.',
      { 'x-default': 'no' },
    ),
    'smtp-tls-ca-file': d('string', 'PEM file of the CA certificates that verify MX certificates (smtp-tls-verify-certificate) instead of the system CAs, e.g. a private CA.'),
    'smtp-tls-allow-tlsv1': d('boolean', 'Allow TLS 1.0 (and 1.1) for outbound STARTTLS; by default TLS 1.2 is the minimum.', { 'x-default': 'no' }),
    'smtp-tls-allow-tlsv1.1': d('boolean', 'Allow TLS 1.1 for outbound STARTTLS; by default TLS 1.2 is the minimum.', { 'x-default': 'no' }),
    'mx-address-limit': d('integer', 'Addresses (of all MX hosts or smtp-hosts together, best first) tried per delivery attempt; 0 = no limit (Postfix smtp_mx_address_limit).', { 'x-default': '5' }),
    'mx-session-limit': d('integer', 'Servers that greeted but failed (421, EHLO or TLS refused) tried per delivery attempt; 0 = no limit (Postfix smtp_mx_session_limit).', { 'x-default': '2' }),
    'smtp-attempt-timeout': d('time-interval', 'Total time of one delivery attempt: connecting to the hosts of the route together and one message transaction; past it the connection is closed and the mail deferred.', { 'x-default': '10m' }),
    'queue-to': d('hostname', 'Queue mail for this domain with (and deliver it as) the named domain: one queue TARGET/vmta, decided at enqueue.'),
    'disable-mx-rollup': d('boolean', 'Keep this domain in its own queue even when its MX hosts match an <mx-rollup-list> entry.', { 'x-default': 'no' }),
    'smtp-hosts': d('host-list', 'Static routing instead of an MX lookup: commas = same preference, semicolons = next level.'),
    route: d('host-list', 'Deprecated alias of smtp-hosts.', { 'x-alias-of': 'smtp-hosts' }),
    'default-smtp-port': d('port', 'Port used for MX hosts.', { 'x-default': '25' }),
    'retry-after': d('time-interval-list', 'Queue retry schedule after a failed connection or transaction; the last value repeats.', { 'x-default': '10m' }),
    'retry-recipients-after': d('time-interval', 'Minimum wait before a recipient that got 4xx is tried again.', { 'x-default': '10m' }),
    'bounce-after': d('time-interval', 'Bounce a message once it is older than this.', { 'x-default': '4d12h' }),
    'bounce-upon-no-mx': d('boolean', 'Bounce at once when the domain has no usable MX or address.', { 'x-default': 'no' }),
    'max-smtp-out': d('integer', 'Simultaneous connections for this queue, all delivery processes together.', { 'x-default': '20' }),
    'max-msg-per-connection': d('integer', 'Messages per connection (0 = unlimited).', { 'x-default': '0' }),
    'max-rcpt-per-transaction': d('integer', 'Recipients per SMTP transaction.', { 'x-default': '1000', minimum: 1 }),
    'max-msg-rate': d('rate', 'Rate of attempted recipients for this queue, cluster-wide.', { 'x-default': 'unlimited' }),
    'max-connect-rate': d('rate', 'Rate of new connections for this queue, cluster-wide.', { 'x-default': 'unlimited' }),
    'connect-timeout': d('time-interval', 'Time allowed to establish the TCP connection.', { 'x-default': '2m' }),
    'smtp-greeting-timeout': d('time-interval', 'Time allowed for the server greeting.', { 'x-default': '5m' }),
    'data-send-timeout': d('time-interval', 'Time allowed to send the message data.', { 'x-default': '3m' }),
    'connection-idle-timeout': d('time-interval', 'Keep an idle connection open this long for more mail.', { 'x-default': '0' }),
    'dkim-sign': d('dkim-sign', 'DKIM-sign mail to this domain with the matching domain-key (if-x-dkim-options-present: only mail with an X-DKIM-Options header).', { 'x-default': 'no' }),
    'dkim-identity': d('dkim-identity', 'Signing identity: sender-or-from, strict-from, or an address or @domain that becomes i= and picks the key.', { 'x-default': 'sender-or-from' }),
    'dkim-headers': d('dkim-headers', 'Headers signed besides the default list: names and /regex/ entries, comma separated.'),
    'dkim-headers-canon': d('dkim-canon', 'DKIM header canonicalization.', { 'x-default': 'relaxed' }),
    'dkim-body-canon': d('dkim-canon', 'DKIM body canonicalization.', { 'x-default': 'relaxed' }),
    'smtp-pattern-list': d('string', 'Name of an <smtp-pattern-list> applied to replies from this domain.', { 'x-ref': 'smtp-pattern-list' }),
    'backoff-max-msg-rate': d('rate', 'max-msg-rate while the queue is in backoff mode.'),
    'backoff-retry-after': d('time-interval-list', 'retry-after while the queue is in backoff mode.'),
    'backoff-max-smtp-out': d('integer', 'max-smtp-out while the queue is in backoff mode.'),
    'backoff-max-msg-per-connection': d('integer', 'max-msg-per-connection while the queue is in backoff mode (0 = unlimited).'),
    'backoff-to-normal-after': d('time-interval', 'Return to normal mode after this long in backoff.'),
    'backoff-to-normal-after-delivery': d('boolean', 'Return to normal mode after a successful delivery.'),
    'reenable-source-ip-after': d('time-interval', 'Re-enable a source IP that a disable-source-ip rule took out of use after this long, when the rule has no reenable-after=; absent: never (until `vmta enable source`).'),
    'disabled-source-ip-notify': d('string', 'Comma separated addresses told by a short message when a source IP of a queue of this domain is disabled or enabled again.'),
    'max-cold-virtual-mta-msg': d('rate', 'IP warm-up: of the messages for this domain that select VirtualMTA foo, the first N a day (UTC, all hosts together) go to foo-cold when that VirtualMTA exists; the rest to foo. 0: off.', { 'x-default': '0/d' }),
    'reroute-to-virtual-mta': d('string', "Deliver this domain's mail through this <virtual-mta> (its source IPs, EHLO name and max-smtp-out) instead of the queue's own; \"\" clears an inherited value. A pool is not accepted yet.", { 'x-ref': 'virtual-mta' }),
    'backoff-reroute-to-virtual-mta': d('string', 'While the queue is in backoff, deliver its mail through this <virtual-mta> instead; "" clears an inherited value. A pool is not accepted yet.', { 'x-ref': 'virtual-mta' }),
    'backoff-notify': d('email-list', 'Addresses told (a short notice) when a queue of this domain enters or leaves backoff mode, once per change cluster-wide.'),
    'backoff-recovery-steps': d('integer', 'Leaving backoff, the queue comes back to its normal limits in this many steps (each doubles the backoff-max-msg-rate and backoff-max-smtp-out, up to the normal limits); 0 = at once. Not a PowerMTA directive.', { 'x-default': '0' }),
    'backoff-recovery-step-time': d('time-interval', 'How long each step of backoff-recovery-steps lasts. Not a PowerMTA directive.', { 'x-default': '10m' }),
    'queue-priority': d('integer', "Priority of the queue, 0 to 100, for its <virtual-mta>'s max-smtp-out: when the VMTA is full, a slot that comes free goes to the highest-priority queue waiting for one.", { 'x-default': '50', maximum: 100 }),
  },
  {
    arg: 'domain-pattern',
    unsupported: {
      'use-dane': 'DANE is not supported yet',
      // PowerMTA's other DKIM options (§3.3.10.20–30): accepted, warned, ignored.
      'dkim-add-body-limit': 'not applied yet (no l= tag is added)',
      'dkim-add-timestamp': 'not applied yet (t= is always added: the time the message was received)',
      'dkim-algorithm': 'not applied yet (the key decides: rsa-sha256 or ed25519-sha256)',
      'dkim-expire-after': 'not applied yet (no x= tag is added)',
      'dkim-query-method': 'not applied yet (no q= tag is added)',
      'dkim-identity-fallback': 'not applied yet',
      'dkim-disallow-adding-headers': 'not applied yet',
    },
  },
);

/** <feedback-loop-processor> and <bounce-processor>: their addresses (directly or in a nested <address-list>) and PowerMTA's delivery options. */
function processorScope<const P extends Record<string, unknown>>(description: string, own: P) {
  return scope(
    description,
    {
      address: d('address-entry', 'An address this processor takes mail for: a local part (any domain), an address, or a /REGEX/ matched against the whole address.', { 'x-repeatable': true }),
      domain: d('hostname', 'Every address of this domain goes to this processor.', { 'x-repeatable': true }),
      'deliver-unmatched-email': d('boolean', 'Deliver mail that is not a report instead of keeping it.', { 'x-default': 'no' }),
      'deliver-matched-email': d('boolean', 'Deliver reports too after processing them.', { 'x-default': 'no' }),
      'forward-errors-to': d('email', 'Where reports that cannot be processed are forwarded.'),
      'forward-unmatched-to': d('email', 'Where mail that is not a report is forwarded.'),
      ...own,
    },
    { nested: ['address-list'] },
  );
}

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://vmta.dev/schema/config.json',
  title: 'vmta configuration',
  description: 'PowerMTA-compatible configuration, one object per stanza scope.',
  $defs: {
    values: valueSchemas,
    global: scope(
      'Directives at the top level of the file.',
      {
        'smtp-listener': d('listener-spec', 'Accept SMTP on CIDR:PORT, optionally with a named source.', { 'x-repeatable': true, 'x-ref': 'source' }),
        'smtp-server-tls-certificate': d('certificate', 'PEM file with certificate chain and private key for inbound TLS, and its password; it may add a second chain and key of another algorithm (RSA and ECDSA: clients that accept ECDSA get that one).'),
        'host-name': d('hostname', 'Greeting and EHLO name.'),
        'smtp-source-host': d('source-host', 'Outbound source address and EHLO name of the default virtual MTA; repeatable (round robin).', { 'x-repeatable': true }),
        'name-server': d('name-server', 'DNS servers used instead of the OS resolver; repeatable (round robin).', { 'x-repeatable': true }),
        postmaster: d('email', 'Operator address; From of generated DSNs falls back to it.'),
        'relay-domain': d('domain-pattern', 'Anyone may send to these recipient domains.', { 'x-repeatable': true }),
        'relay-address': d('address-or-regex', 'Anyone may send to matching recipient addresses.', { 'x-repeatable': true }),
        'domain-key': d('domain-key', 'DKIM key: SELECTOR,DOMAIN-or-*,KEYFILE.', { 'x-repeatable': true }),
        'domain-macro': d(
          'domain-macro',
          'NAME DOMAIN-LIST: <domain yahoo.$NAME> stands for one <domain> per item (yahoo.com, yahoo.co.uk, ...); an item may be $OTHER; a <domain> written out wins over an expanded one.',
          { 'x-repeatable': true },
        ),
        'http-mgmt-port': d('port', 'Management HTTP port (0 = off).', { 'x-default': '0' }),
        'http-access': d('http-access', 'Who may use the management HTTP server; first match wins.', { 'x-repeatable': true }),
        'http-api-key': d('http-api-key', 'A key scripts send as "Authorization: Bearer KEY" for the management HTTP server, from any address, with its access level (default admin).', { 'x-repeatable': true }),
        'http-inject-port': d('port', 'HTTP injection API port (POST /api/inject, /api/inject/raw), served by the listener role on all addresses (0 = off; not a PowerMTA directive).', { 'x-default': '0' }),
        'http-inject-tls-certificate': d('certificate', 'PEM file with certificate chain and private key (and its password) for the HTTP injection port: it then speaks only HTTPS (not a PowerMTA directive; same form as smtp-server-tls-certificate).'),
        'redis-wait-replicas': d('integer', 'Before it answers 250 the listener waits until the enqueue reached this many Redis replicas (WAIT), else 451; 0 = off. Default 1 when REDIS_URL names a Sentinel set, 0 for one server; the URL\'s wait-replicas, when given, wins (not a PowerMTA directive).'),
        'redis-wait-timeout': d('time-interval', 'How long the listener waits for the replicas of redis-wait-replicas before it answers 451 instead of 250 (default 1s); the URL\'s wait-timeout (ms), when given, wins (not a PowerMTA directive).', { minimum: 1000 }),
        'total-max-smtp-in': d('integer', 'Inbound SMTP connections per listener process; beyond it new clients get 421.', { 'x-default': '1000' }),
        'auto-suppress': d('boolean', 'A hard bounce of an auto-suppress-categories category adds the recipient to the suppression store of the tenant that sent it (not a PowerMTA directive).', { 'x-default': 'yes' }),
        'auto-suppress-categories': d('bounce-category-list', 'Bounce categories that suppress the recipient automatically, from PowerMTA\'s list (an unknown name is an error) (not a PowerMTA directive).', { 'x-default': 'bad-mailbox,bad-domain' }),
        'auto-suppress-expire': d('reason-interval', 'How long a stored suppression of this reason (a bounce category, or manual) lasts: REASON INTERVAL, 0 = never (the default); repeatable (not a PowerMTA directive).', { 'x-repeatable': true }),
        'use-suppression-store': d('boolean', 'Look every RCPT up in the suppression store (one Redis round trip); no: only <address-list>s refuse recipients (not a PowerMTA directive).', { 'x-default': 'yes' }),
        'event-stream': d('boolean', 'Write the event stream (the accounting stream) even when no <acct-file> or <webhook> reads it, for platforms that read it with their own consumer group (not a PowerMTA directive).', { 'x-default': 'no' }),
        'suppression-tenant': d('suppression-tenant', 'Whose suppression store a message uses: smtp-user (the AUTH user, else the source name), source (the named source) or global (one store) (not a PowerMTA directive).', { 'x-default': 'smtp-user' }),
        'body-compression': d(
          'body-compression',
          'What the listener stores message bodies as in Redis: zstd (level 2, the default: about half the CPU of deflate at a similar size), deflate (level 1) or none. zstd is written only while every delivery process alive says it reads zstd (deflate meanwhile, e.g. during a rolling upgrade from a version before it); every version reads deflate and none (not a PowerMTA directive).',
          { 'x-default': 'zstd' },
        ),
      },
      {
        nested: ['smtp-user', 'source', 'smtp-listener', 'virtual-mta', 'virtual-mta-pool', 'domain', 'smtp-pattern-list', 'pattern-list', 'bounce-category-patterns', 'acct-file', 'mx-rollup-list', 'address-list', 'webhook', 'feedback-loop-processor', 'bounce-processor'],
        unsupported: {
          pickup: 'pickup directories are not supported yet',
          spool: 'the spool is Redis; <spool> settings do not apply',
        },
      },
    ),
    'smtp-user': scope(
      'A user that may authenticate (AUTH PLAIN, LOGIN, CRAM-MD5) and then relay.',
      {
        password: d('string', 'The password.'),
        'authentication-method': d('auth-method', 'How the user is checked; only password is supported.', {
          'x-default': 'password',
          'x-unsupported-values': ['certificate', 'system'],
        }),
        source: d('string', 'Named <source> whose settings apply once this user is authenticated.', { 'x-ref': 'source' }),
        'http-inject-api-key': d('string', 'A key that authenticates HTTP injection requests as this user ("Authorization: Bearer KEY"); repeatable (not a PowerMTA directive).', { 'x-repeatable': true }),
        'http-inject-max-request-rate': d('rate', 'HTTP injection requests this user may make, counted across every listener process (Redis); beyond it 429 with Retry-After (not a PowerMTA directive).', { 'x-default': 'unlimited' }),
      },
      { arg: 'name' },
    ),
    source: scope(
      'Inbound policy for clients by IP (most specific CIDR wins), by name, or {auth}.',
      {
        'smtp-service': d('boolean', 'SMTP service for clients of this source: with no, a connection is greeted 521 and closed (PowerMTA §3.3.7.59; to serve only some sources, say no in <source 0/0>).', { 'x-default': 'yes' }),
        'always-allow-relaying': d('boolean', 'Clients may relay without AUTH (internal feeders only).', { 'x-default': 'no' }),
        'require-auth': d('boolean', 'No MAIL FROM before successful AUTH.', { 'x-default': 'no' }),
        'allow-auth': d('boolean', 'AUTH is offered.', { 'x-default': 'yes' }),
        'allow-starttls': d('boolean', 'STARTTLS is offered.', { 'x-default': 'no' }),
        'require-starttls-before-auth': d('boolean', 'AUTH only after TLS.', { 'x-default': 'no' }),
        'allow-unencrypted-plain-auth': d('boolean', 'PLAIN/LOGIN over a clear channel.', { 'x-default': 'no' }),
        'smtp-max-auth-failure-rate': d('rate', 'Failed AUTH per client IP before AUTH is refused.', { 'x-default': 'unlimited' }),
        'default-virtual-mta': d('string', 'VMTA or pool for mail from this source, or by-smtp-source-ip.', {
          'x-ref': 'virtual-mta-or-pool',
          'x-special-values': ['by-smtp-source-ip'],
        }),
        'process-x-virtual-mta': d('boolean', 'Honour an X-Virtual-MTA header, then remove it.', { 'x-default': 'no' }),
        'retain-x-virtual-mta': d('boolean', 'Keep the X-Virtual-MTA header when delivering.', { 'x-default': 'no' }),
        'reject-invalid-virtual-mta': d('boolean', 'Reject mail that names an unknown VMTA (else use the default).', { 'x-default': 'yes' }),
        'pattern-list': d('string', 'Routing <pattern-list> matched against each message at DATA: its first matching rule picks the VMTA (an X-Virtual-MTA header, where processed, still wins).', { 'x-ref': 'pattern-list' }),
        'process-x-job': d('boolean', 'Take the job id of a message from its X-Job header (then removed unless retain-x-job); it goes into every accounting record (jobId).', { 'x-default': 'no' }),
        'retain-x-job': d('boolean', 'Keep a processed X-Job header when delivering.', { 'x-default': 'no' }),
        'jobid-header': d('string', 'A header whose value is the job id when no X-Job header sets it (the header stays in the message).'),
        'jobid-prefix': d('string', 'Text put before the job id taken from X-Job or the jobid-header; `{auth}` puts the authenticated SMTP user there (nothing without AUTH).'),
        'max-message-size': d('size', 'Largest message accepted; advertised in EHLO. Default 25M (PowerMTA: unlimited; write unlimited to restore it).', { 'x-default': '25M' }),
        'max-rcpt-per-message': d('limit', 'Recipients per message; beyond it 452 4.5.3. Default 1000 (PowerMTA: unlimited; write unlimited or 0 to restore it).', { 'x-default': '1000' }),
        'max-message-hops': d('integer', 'A message that arrives with this many Received headers or more is refused (554 5.4.6, a mail loop).', { 'x-default': '100' }),
        'smtp-data-timeout': d('time-interval', 'The whole DATA phase of a message (from the 354 to the final dot) must end within this time, or the session gets 421 4.4.2 and is closed; nothing of the message is queued. Against slow (slowloris) clients holding a session slot; 0 turns it off. PowerMTA\'s name; vmta bounds the whole transfer, not each read.', { 'x-default': '10m' }),
        'max-smtp-in-per-ip': d('limit', 'Inbound SMTP sessions of one client IP (an IPv6 client by its /64) per listener process; beyond it 421 4.7.0. Not a PowerMTA directive.', { 'x-default': '100' }),
        'add-received-header': d('boolean', 'Prepend our Received header.', { 'x-default': 'yes' }),
        'hide-message-source': d('boolean', "Omit the client's address from the Received header.", { 'x-default': 'no' }),
        'remove-received-headers': d('boolean', 'Remove every Received header a message arrives with before ours is added (add-received-header), so the path before us does not show. Not in the PowerMTA 5 guide; common in PowerMTA install scripts. The mail-loop count (max-message-hops) is taken first.', { 'x-default': 'no' }),
        'log-connections': d('boolean', 'Log each connection.', { 'x-default': 'no' }),
        'log-commands': d('boolean', 'Log each SMTP command.', { 'x-default': 'no' }),
        'relay-debug': d('boolean', 'Answer denied recipients with 451 4.7.1 instead of 550 5.7.1.', { 'x-default': 'no' }),
        'suppression-lists': d('name-list', 'The <address-list>s whose recipients are refused at RCPT (550 5.7.1), e.g. list1,list2.', { 'x-ref': 'address-list' }),
        'accept-invalid-recipients': d('boolean', 'A suppressed recipient (an <address-list> of suppression-lists, or the suppression store) is accepted at RCPT instead of refused, never delivered, and bounced: a b record (policy-related, the reply naming the list) and a DSN to the sender.', { 'x-default': 'no' }),
      },
      { arg: 'source-key' },
    ),
    'smtp-listener': scope(
      'Settings of one listener address.',
      {
        'immediate-tls': d('boolean', 'Implicit TLS from the first byte (port 465 style).', { 'x-default': 'no' }),
        source: d('string', 'Named <source> for clients of this listener.', { 'x-ref': 'source' }),
        'tls-certificate': d('certificate', 'PEM with certificate chain and key for this listener, and its password; a second chain and key of another algorithm may follow (as smtp-server-tls-certificate).'),
      },
      { arg: 'listener-address' },
    ),
    'virtual-mta': scope(
      'A virtual MTA: outbound identity (source address and EHLO name) with its own policies.',
      {
        'smtp-source-host': d('source-host', 'Source address and EHLO name; repeatable (round robin).', { 'x-repeatable': true }),
        'host-name': d('hostname', 'EHLO name for this VMTA.'),
        'domain-key': d('domain-key', 'DKIM key for mail of this VMTA.', { 'x-repeatable': true }),
        'max-smtp-out': d('integer', 'Simultaneous connections of all queues of this VMTA together.'),
      },
      { arg: 'name', nested: ['domain'] },
    ),
    'virtual-mta-pool': scope(
      'A pool of virtual MTAs used round robin; its <domain> stanzas apply to its members.',
      {
        'virtual-mta': d('string', 'A member VMTA.', { 'x-repeatable': true, 'x-ref': 'virtual-mta' }),
        'domain-key': d('domain-key', 'DKIM key for mail of this pool.', { 'x-repeatable': true }),
      },
      { arg: 'name', nested: ['domain'] },
    ),
    domain: domainScope,
    'smtp-pattern-list': scope(
      'Reply patterns and the actions they trigger; first match wins.',
      { reply: d('reply-pattern', 'reply /REGEX/ ACTIONS', { 'x-repeatable': true }) },
      { arg: 'name' },
    ),
    'pattern-list': scope(
      'Routing rules matched at DATA against MAIL FROM, RCPT TO or a header; first match wins.',
      {
        'mail-from': d('pattern-rule', 'mail-from /REGEX/ RESULT: match the envelope sender.', { 'x-repeatable': true }),
        'rcpt-to': d('pattern-rule', 'rcpt-to /REGEX/ RESULT: match a recipient; the first matching recipient routes the whole message.', { 'x-repeatable': true }),
        header: d('header-pattern-rule', 'header NAME /REGEX/ RESULT: match the contents of a header.', { 'x-repeatable': true }),
      },
      { arg: 'name' },
    ),
    'bounce-category-patterns': scope(
      'The bounce category of a failed delivery by its reply, one /REGEX/ CATEGORY per line, first match wins; replies no line matches get the built-in categories.',
      { pattern: d('bounce-category-pattern', '/REGEX/ CATEGORY (written without the word "pattern")', { 'x-repeatable': true }) },
    ),
    'mx-rollup-list': scope(
      'MX rollup: domains whose lowest-preference MX hosts all match entries of one NAME.rollup share the queue NAME.rollup/vmta and its <domain NAME.rollup> settings.',
      { mx: d('mx-rollup', 'mx HOST-OR-*.SUFFIX NAME.rollup', { 'x-repeatable': true }) },
    ),
    'address-list': scope(
      'A suppression list: recipients it matches are refused at RCPT by the sources naming it in suppression-lists.',
      {
        address: d('address-entry', 'A local part (any domain), an address, or a /REGEX/ matched against the whole address.', { 'x-repeatable': true }),
        domain: d('hostname', 'Every address of this domain.', { 'x-repeatable': true }),
        'address-file': d('string', 'A file of addresses or local parts (or /REGEX/), one per line, # comments; read again when it changes.', { 'x-repeatable': true }),
      },
      { arg: 'name' },
    ),
    'feedback-loop-processor': processorScope(
      'Feedback loops: mail to its addresses is taken as ARF reports (RFC 5965), each logged as an f accounting record, not delivered.',
      {
        'suppress-complaints': d('boolean', 'A complaint adds the original recipient to the suppression store of the tenant that sent the original (reason complaint); no: only the f record (not a PowerMTA directive).', { 'x-default': 'yes' }),
      },
    ),
    'bounce-processor': processorScope(
      'Remote bounces: mail to its addresses is taken as late DSNs (RFC 3464) or recognisable non-standard bounces, each failed recipient logged as an rb accounting record, not delivered; hard categories (auto-suppress-categories) suppress like auto-suppress.',
      {},
    ),
    webhook: scope(
      'A webhook: every event of the listed types is POSTed as JSON to the URL, at least once, retried with backoff until the endpoint answers 2xx (not a PowerMTA directive).',
      {
        url: d('string', 'The http:// or https:// URL events are POSTed to.'),
        events: d('event-types', 'Event types sent: d (delivered), b (bounced), t (deferred), tq (a queue failed), r (received), f (complaint), rb (late bounce), rs (late delay or success notice), s (suppressed).', { 'x-default': 'd,b,f,rb,s' }),
        secret: d('string', 'Key of the HMAC-SHA256 signature header X-Vmta-Signature; no header without it.'),
        timeout: d('time-interval', 'How long one POST may take before it counts as failed.', { 'x-default': '10s' }),
        concurrency: d('integer', 'POSTs in flight at once per process.', { 'x-default': '4', minimum: 1 }),
        'retry-initial': d('time-interval', 'Wait before the first retry of a failed POST; doubled after each failure.', { 'x-default': '1s' }),
        'retry-max': d('time-interval', 'Longest wait between retries (they never stop).', { 'x-default': '5m' }),
        'batch-size': d('integer', 'Events per POST: 1 sends each event as a JSON object; more sends up to this many as a JSON array (acked together after a 2xx).', { 'x-default': '1', minimum: 1, maximum: 1000 }),
        'batch-wait': d('time-interval', 'With batch-size above 1: how long to wait for more events to fill a batch before a smaller one is sent.', { 'x-default': '1s' }),
      },
      { arg: 'name' },
    ),
    'acct-file': scope(
      'An accounting file (CSV).',
      {
        records: d('records', 'Record types written: d,b,t,tq,r,f,rb,rs (tq when a whole queue fails and goes into retry mode; f, rb and rs come from the feedback-loop and bounce processors).', { 'x-default': 'd,b' }),
        'record-fields': d('record-fields', 'Fields of a record type: TYPE *,!field,header_X-Name.', { 'x-repeatable': true }),
        'move-interval': d('time-interval', 'Rotate the file this often.'),
        'max-size': d('size', 'Rotate the file at this size.'),
        'delete-after': d('text', 'Delete rotated files after this long (or never).'),
      },
      { arg: 'text' },
    ),
  },
} as const;

export type ConfigSchema = typeof configSchema;
export type ScopeName = Exclude<keyof ConfigSchema['$defs'], 'values'>;
