/**
 * The senders of the senders scenario: what real users send with, each a load
 * that drives Postfix, Haraka and us the same way.
 */
import { messageWithHeaders, sourceLikePayload, textPayload } from '../bodies.js';
import { manyDomainRecipient, sendManyDomains } from '../many-domains.js';
import { runSenders, type SenderLoad, type SenderResult } from '../sender-client.js';
import { runSource, sourceArgs, type SourceLoad, type SourceResult } from '../source.js';
import { certSetupText, type BenchCert } from '../tls-cert.js';
import { FROM, TO, type Context } from './common.js';
import type { Target } from './e2e-measure.js';
import { SUBMISSION_USERS, type EnvSetup } from './senders-env.js';

import type { SenderLoadName } from '../args.js';

export { SENDER_LOADS, type SenderLoadName } from '../args.js';

export interface LoadDef {
  name: SenderLoadName;
  title: string;
  /** What the load is, for the report. */
  describe: string;
  messages: number;
  sessions: number;
  /** Measured runs of each MTA; 0: `--runs`. */
  runs: number;
  setup: Pick<EnvSetup, 'sinks' | 'routeDomains' | 'sinkArgs' | 'submission' | 'warmRoute'>;
  /** Sink deliveries per message (one per recipient domain, each domain its own sink). */
  deliveriesPerMessage: number;
  send(t: Target): Promise<SourceResult>;
  /** The same load shape with `messages` messages, for the warm-up before the measured run (many-domains: to other domains). */
  warm(t: Target, messages: number): Promise<SourceResult>;
  /** The warm-up's size when it may exceed the measured count (default: `--warmup`, at most `messages`). */
  warmMessages?: number;
  /** Time limit of one run (ms). */
  timeoutMs?: number;
  /** The client-side latency probe at half of the accepted rate (new connection per message). */
  probe?: (t: Target, rate: number, messages: number) => Promise<SenderResult>;
  /** Also time connect → 220 one connection at a time before the load. */
  greeting?: boolean;
  /** The many-domain and slow-sink loads have a client → sink run; loads with several sinks do not. */
  direct: boolean;
}

const n = (x: number) => x.toLocaleString('en-US');

/** Our client's result shaped like an smtp-source run, so the same measurement applies. */
export async function asSourceResult(p: Promise<SenderResult>, what: string): Promise<SourceResult> {
  const r = await p;
  return {
    ms: r.ms,
    exitCode: r.failures === 0 ? 0 : 1,
    stderr: r.failures === 0 ? '' : `${r.failures} messages not accepted; first: ${r.firstError}`,
    args: [what],
    dotTo250: r.dotTo250,
    connectTo220: r.connectTo220,
  };
}

/** The slow-sink load's warm-up domain, routed to a sink without the wait. */
export const SLOW_WARM_DOMAIN = 'warm.bench.test';

export const FANOUT = { recipients: 50, domains: 10 } as const;
export const fanoutDomain = (i: number) => `d${i}.fan.bench.test`;
const fanoutRecipients = (k: number) => Array.from({ length: FANOUT.recipients }, (_, j) => `u${j}.m${k}@${fanoutDomain(j % FANOUT.domains)}`);

/** 80 % 5 KB, 19 % 50 KB, 1 % 2 MB, interleaved (message k's class from (37 k) mod 100). */
export const SIZE_MIX = [
  { share: 80, bytes: 5 * 1024 },
  { share: 19, bytes: 50 * 1024 },
  { share: 1, bytes: 2 * 1024 * 1024 },
] as const;
export function sizeClass(k: number): number {
  const x = (37 * k) % 100;
  return x < SIZE_MIX[0].share ? 0 : x < SIZE_MIX[0].share + SIZE_MIX[1].share ? 1 : 2;
}

export interface LoadCounts {
  quick: boolean;
  sessions: number;
  size: number;
  manyDomains: number;
  slowDelaySeconds: number;
}

export function senderLoads(ctx: Context, c: LoadCounts, cert: BenchCert): LoadDef[] {
  const q = (full: number) => (c.quick ? Math.max(40, Math.round(full / 10)) : full);
  const sessions = c.sessions;
  const smtpSource = (load: SourceLoad) => (t: Target) => runSource(ctx.tools.smtpSource, load, t.host, t.port);
  const plainBody = Buffer.from(`${messageWithHeaders(sourceLikePayload(c.size), FROM, TO, 'senders')}`);
  const user = Object.keys(SUBMISSION_USERS)[0]!;
  // Every MTA must present the certificate the set-up gives a client that accepts ECDSA.
  const submission = { user, password: SUBMISSION_USERS[user]!, serverKey: cert.setup === 'rsa' ? 'rsa' : 'ec' };
  const client = (over: Partial<SenderLoad> & Pick<SenderLoad, 'messages'>) => (t: Target) =>
    ({ host: t.host, port: t.port, sessions, from: FROM, connectionPerMessage: false, recipients: () => [TO], body: () => plainBody, ...over }) satisfies SenderLoad;
  const mixBodies = SIZE_MIX.map((s, i) => Buffer.from(messageWithHeaders(textPayload(s.bytes, 7 + i), FROM, TO, `mix${i}`)));
  const reused: SourceLoad = { messages: q(3000), sessions, size: c.size, from: FROM, to: TO };
  const perConn: SourceLoad = { ...reused, messages: q(2000), reuse: false };
  const slow: SourceLoad = { ...reused, messages: q(1000) };
  const slowWarm = q(1000);
  const subMessages = q(1000);
  const fanMessages = q(300);
  const mixMessages = q(2000);
  const manyMessages = q(2000);
  const sub = client({ messages: subMessages, connectionPerMessage: true, submission });
  const probe = (over: Partial<SenderLoad>) => (t: Target, rate: number, messages: number) => runSenders({ ...client({ messages, connectionPerMessage: true, ...over })(t), rate });
  const manyBody = messageWithHeaders(sourceLikePayload(c.size), FROM, manyDomainRecipient(0, c.manyDomains), 'many');
  return [
    {
      name: 'reused',
      title: 'Reused connections (smtp-source -d)',
      describe: `\`smtp-source ${sourceArgs(reused, '<host>', 0).slice(0, -1).join(' ')}\`: ${n(reused.messages)} messages of ${n(c.size)} B, ${sessions} sessions, each keeping its connection for all its messages (the e2e load).`,
      messages: reused.messages,
      sessions,
      runs: 0,
      setup: { sinks: 1 },
      deliveriesPerMessage: 1,
      send: smtpSource(reused),
      warm: (t, m) => smtpSource({ ...reused, messages: m })(t),
      direct: true,
    },
    {
      name: 'per-connection',
      title: 'One connection per message (smtp-source without -d)',
      describe: `\`smtp-source ${sourceArgs(perConn, '<host>', 0).slice(0, -1).join(' ')}\`: ${n(perConn.messages)} messages of ${n(c.size)} B, ${sessions} sessions, a new connection (connect, greeting, EHLO, one message, QUIT) for every message, as web applications and scripts send.`,
      messages: perConn.messages,
      sessions,
      runs: 0,
      setup: { sinks: 1 },
      deliveriesPerMessage: 1,
      send: smtpSource(perConn),
      warm: (t, m) => smtpSource({ ...perConn, messages: m })(t),
      probe: probe({}),
      greeting: true,
      direct: true,
    },
    {
      name: 'submission',
      title: `Submission: STARTTLS + AUTH on every connection, one message each (${cert.setup === 'rsa' ? 'RSA certificate only' : 'RSA + ECDSA certificates'})`,
      describe: `Our load client: ${n(subMessages)} messages of ${n(c.size)} B, ${sessions} sessions, for every message a new connection: greeting, EHLO, STARTTLS (TLS 1.3, ${certSetupText(cert.setup)}; full handshake, no resumption), EHLO, AUTH PLAIN, one message, QUIT. Every MTA requires AUTH after TLS and relays only for authenticated clients (Postfix: Cyrus SASL from a private sasldb; Haraka: tls + auth/flat_file; ours: \`require-auth\`, \`require-starttls-before-auth\`).`,
      messages: subMessages,
      sessions,
      runs: 0,
      setup: { sinks: 1, submission: cert },
      deliveriesPerMessage: 1,
      send: (t) => asSourceResult(runSenders(sub(t)), 'submission'),
      warm: (t, m) => asSourceResult(runSenders(client({ messages: m, connectionPerMessage: true, submission })(t)), 'submission warm-up'),
      probe: probe({ submission }),
      direct: false,
    },
    {
      name: 'fanout',
      title: `One message to ${FANOUT.recipients} recipients over ${FANOUT.domains} domains`,
      describe: `Our load client: ${n(fanMessages)} messages of ${n(c.size)} B, ${sessions} sessions on reused connections, each message to ${FANOUT.recipients} recipients, ${FANOUT.recipients / FANOUT.domains} in each of ${FANOUT.domains} domains; each domain is routed to its own smtp-sink (as ten MX hosts would be), so every MTA makes ${FANOUT.domains} deliveries per message (sink counts below are messages: deliveries ÷ ${FANOUT.domains}).`,
      messages: fanMessages,
      sessions,
      runs: 0,
      setup: { sinks: FANOUT.domains, routeDomains: Array.from({ length: FANOUT.domains }, (_, i) => fanoutDomain(i)) },
      deliveriesPerMessage: FANOUT.domains,
      send: (t) => asSourceResult(runSenders(client({ messages: fanMessages, recipients: fanoutRecipients })(t)), 'fanout'),
      // Same domains: each has its own sink, and what this load measures is fan-out, not queue creation.
      warm: (t, m) => asSourceResult(runSenders(client({ messages: m, recipients: fanoutRecipients })(t)), 'fanout warm-up'),
      direct: false,
    },
    {
      name: 'size-mix',
      title: 'A size mix: 80 % 5 KB, 19 % 50 KB, 1 % 2 MB',
      describe: `Our load client: ${n(mixMessages)} messages on reused connections, ${sessions} sessions, 80 % of 5 KB, 19 % of 50 KB, 1 % of 2 MB (pseudo-random text, interleaved; ≈ 34 KB on average), 1 recipient.`,
      messages: mixMessages,
      sessions,
      runs: 0,
      setup: { sinks: 1 },
      deliveriesPerMessage: 1,
      send: (t) => asSourceResult(runSenders(client({ messages: mixMessages, body: (k) => mixBodies[sizeClass(k)]! })(t)), 'size-mix'),
      warm: (t, m) => asSourceResult(runSenders(client({ messages: m, body: (k) => mixBodies[sizeClass(k)]! })(t)), 'size-mix warm-up'),
      direct: true,
    },
    {
      name: 'many-domains',
      title: `Many domains: ${n(c.manyDomains)} recipient domains`,
      describe: `Our load client (many-domains.ts): ${n(manyMessages)} messages of ${n(c.size)} B, ${sessions} sessions on reused connections, recipients round-robin over ${n(c.manyDomains)} domains, all routed to the one sink. Postfix's relayhost makes them one destination (20 connections in all); ours has a queue per domain (20 connections each at most); Haraka opens at most 20 in all, one per delivery.`,
      messages: manyMessages,
      sessions,
      runs: 0,
      setup: { sinks: 1 },
      deliveriesPerMessage: 1,
      send: (t) => sendManyDomains({ messages: manyMessages, sessions, domains: c.manyDomains, from: FROM, body: manyBody }, t.host, t.port),
      // Other domains (w<i>): the measured run must still meet fresh queues, which is what this load measures.
      warm: (t, m) => sendManyDomains({ messages: m, sessions, domains: c.manyDomains, from: FROM, body: manyBody, label: 'w' }, t.host, t.port),
      direct: true,
    },
    {
      name: 'slow-sink',
      title: `Slow receiver: smtp-sink -w ${c.slowDelaySeconds}`,
      describe: `\`smtp-source ${sourceArgs(slow, '<host>', 0).slice(0, -1).join(' ')}\` into MTAs whose sink waits ${c.slowDelaySeconds} s before its reply to DATA (\`smtp-sink -w ${c.slowDelaySeconds}\`): with 20 connections at most about ${Math.round(20 / c.slowDelaySeconds)} msg/s reach it, so the queue builds up in the MTA, and end to end is the sink's rate for every MTA. Haraka has no per-destination limit: its outbound concurrency_max is set to the same 20. The warm-up (${n(slowWarm)} messages of the same shape) goes to another domain, \`${SLOW_WARM_DOMAIN}\`, routed to a sink without the wait, so that every MTA is as warm as in the other loads without minutes at the slow sink.`,
      messages: slow.messages,
      sessions,
      runs: 0,
      setup: { sinks: 1, sinkArgs: ['-w', String(c.slowDelaySeconds)], warmRoute: SLOW_WARM_DOMAIN },
      deliveriesPerMessage: 1,
      send: smtpSource(slow),
      warm: (t, m) => smtpSource({ ...slow, messages: m, to: `warm@${SLOW_WARM_DOMAIN}` })(t),
      warmMessages: slowWarm,
      timeoutMs: 60_000 + slow.messages * 1000,
      direct: false,
    },
  ];
}
