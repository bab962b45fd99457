/**
 * The HTTP injection API (node:http, no framework), served by the listener role on `http-inject-port`:
 * POST /api/inject (JSON, MIME built by MailComposer) and POST /api/inject/raw (an RFC 5322 message,
 * envelope in the query: mail_from, rcpt_to repeated). Count the request as a session (connection
 * limits), authenticate, read the body within the source's
 * max-message-size, then the SMTP path's stages (inject-service.ts). 202 only after every message of
 * the request was enqueued durably. Spec: docs/inject-openapi.yaml.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ListenerConfig, SourcePolicy } from '@vmta/config';
import type { Logger } from 'pino';
import { authSubject } from '../auth-stage.js';
import { countLimit } from '../envelope-stage.js';
import { maxMessageBytes } from '../ehlo-features.js';
import type { ListenerRuntime } from '../listener-runtime.js';
import { newSessionState, type SessionState } from '../session-state.js';
import { composeMessages } from './compose.js';
import { loadTlsCertificate } from '../tls-certificate.js';
import { authenticateRequest } from './inject-auth.js';
import { takeInjectRequest } from './inject-rate.js';
import { InjectError } from './inject-error.js';
import { parseInjectRequest } from './inject-request.js';
import { injectMessage, injectPolicy, type InjectClient, type InjectedMessage } from './inject-service.js';

/** JSON carries attachments in base64 (4/3) plus the JSON around them. */
const JSON_OVERHEAD = (max: number): number => Math.ceil(max * 1.4) + 64 * 1024;
const DEFAULT_MAX_BODY = 64 * 1024 * 1024;
/** The JSON field behind a refusal of the composed message (X-Virtual-MTA and X-Job come from them). */
const JSON_FIELD_OF_CODE: Readonly<Record<string, string>> = { 'vmta-invalid': 'vmta', 'job-id-invalid': 'job' };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new InjectError(413, 'message-too-big', `the body exceeds ${limit} bytes`, 'body'));
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new InjectError(413, 'message-too-big', `the body exceeds ${limit} bytes`, 'body'));
      } else chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks, bytes)));
    req.once('error', reject);
  });
}

/** A message written with bare LF line ends only (a Unix file) gets CRLF; any CR in it: kept as sent. */
export function crlfMessage(message: Buffer): Buffer {
  return message.includes(13) ? message : Buffer.from(message.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
}

/** Whether every percent-encoded query value decodes to UTF-8 (URLSearchParams reads other bytes as U+FFFD). */
function queryIsUtf8(url: URL): boolean {
  try {
    for (const part of url.search.slice(1).split('&')) decodeURIComponent(part.replace(/\+/g, ' '));
    return true;
  } catch {
    return false;
  }
}

function rawEnvelope(url: URL): { mailFrom: string; recipients: Array<{ address: string; field: string }>; fromField: string } {
  if (!queryIsUtf8(url)) throw new InjectError(400, 'invalid-field', 'query: a percent-encoded value is not UTF-8', 'query');
  const mailFrom = url.searchParams.get('mail_from');
  if (mailFrom === null) throw new InjectError(400, 'invalid-field', 'mail_from: required (query parameter; "" for the null sender)', 'mail_from');
  const rcpts = url.searchParams.getAll('rcpt_to').filter((r) => r !== '');
  if (rcpts.length === 0) throw new InjectError(400, 'invalid-field', 'rcpt_to: at least one recipient (query parameter, repeatable)', 'rcpt_to');
  return { mailFrom, recipients: rcpts.map((address, i) => ({ address, field: `rcpt_to[${i}]` })), fromField: 'mail_from' };
}

export interface InjectServerOptions {
  port: number;
  host?: string;
}

export interface RunningInjectServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startInjectServer(rt: ListenerRuntime, options: InjectServerOptions): Promise<RunningInjectServer> {
  const host = options.host ?? '0.0.0.0';
  const listener: ListenerConfig = {
    name: 'http-inject',
    address: { address: host, port: options.port } as ListenerConfig['address'],
    immediateTls: false,
    origin: { file: 'http-inject', line: 0 } as unknown as ListenerConfig['origin'],
  };
  const log = rt.log.child({ component: 'inject' });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://inject');
    const raw = url.pathname === '/api/inject/raw';
    if (url.pathname !== '/api/inject' && !raw) throw new InjectError(404, 'not-found', `no route ${url.pathname}`);
    if (req.method !== 'POST') throw new InjectError(405, 'method-not-allowed', 'use POST');
    const requestId = randomUUID();
    const clientIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const localIp = (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
    const reqLog = log.child({ requestId, clientIp });
    const anonymous = newSessionState(rt.config, { id: requestId, log: reqLog, listener, clientIp, localIp });
    const release = admit(anonymous.policy, clientIp);
    try {
      await serve(req, res, url, raw, { requestId, clientIp, localIp, reqLog, anonymous });
    } finally {
      release();
    }
  };

  /** A request counts as an SMTP session while it runs: total-max-smtp-in (503) and max-smtp-in-per-ip (429). */
  let inFlight = 0;
  const admit = (policy: SourcePolicy, clientIp: string): (() => void) => {
    if (rt.sessions.size + inFlight >= rt.maxSessions) throw new InjectError(503, 'too-busy', 'total-max-smtp-in reached, try again later', undefined, { 'retry-after': '5' });
    const subject = authSubject(clientIp);
    const fromClient = rt.sessionsPerClient.get(subject) ?? 0;
    const perClient = countLimit(policy['max-smtp-in-per-ip']);
    if (perClient !== undefined && fromClient >= perClient) throw new InjectError(429, 'too-many-requests', 'max-smtp-in-per-ip reached for this client', undefined, { 'retry-after': '5' });
    rt.sessionsPerClient.set(subject, fromClient + 1);
    inFlight++;
    return () => {
      inFlight--;
      const left = (rt.sessionsPerClient.get(subject) ?? 1) - 1;
      if (left > 0) rt.sessionsPerClient.set(subject, left);
      else rt.sessionsPerClient.delete(subject);
    };
  };

  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    raw: boolean,
    { requestId, clientIp, localIp, reqLog, anonymous }: { requestId: string; clientIp: string; localIp: string; reqLog: Logger; anonymous: SessionState },
  ): Promise<void> => {
    const user = await authenticateRequest(rt, anonymous, req.headers.authorization);
    await takeInjectRequest(rt.rates, rt.config, user, reqLog);
    const client: InjectClient = { requestId, user, clientIp, localIp, listener, log: reqLog.child({ authUser: user }) };
    const policy = injectPolicy(rt, client);
    const max = maxMessageBytes(policy);
    const body = await readBody(req, max === undefined ? DEFAULT_MAX_BODY : raw ? max : JSON_OVERHEAD(max));

    const messages: InjectedMessage[] = [];
    if (raw) {
      messages.push(await injectMessage(rt, client, rawEnvelope(url), crlfMessage(body)));
    } else {
      const request = parseInjectRequest(body);
      if (request.vmta !== undefined && policy['process-x-virtual-mta'] !== true) {
        throw new InjectError(403, 'vmta-not-allowed', 'vmta: the source of this user does not set process-x-virtual-mta', 'vmta');
      }
      if (request.job !== undefined && policy['process-x-job'] !== true) {
        throw new InjectError(403, 'job-not-allowed', 'job: the source of this user does not set process-x-job', 'job');
      }
      const index = new Map(request.recipients.map((r, i) => [r, i]));
      // A message is composed when the last one is queued, so a refusal of its composition (413) can come after others were queued too.
      try {
        for await (const composed of composeMessages(request, max ?? DEFAULT_MAX_BODY)) {
          const envelope = {
            mailFrom: request.from,
            fromField: 'from',
            recipients: composed.recipients.map((r) => ({ address: r.email, field: `recipients[${index.get(r)}].email` })),
          };
          messages.push(await injectMessage(rt, client, envelope, composed.message));
        }
      } catch (err) {
        if (err instanceof InjectError) {
          err.queued = [...messages];
          err.field ??= JSON_FIELD_OF_CODE[err.code];
        }
        throw err;
      }
    }
    client.log.info({ event: 'inject-accepted', messages: messages.map((m) => m.id) }, 'injection queued');
    send(res, 202, { messages });
  };

  const onRequest: RequestListener = (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof InjectError) {
        if (err.status === 413) res.setHeader('connection', 'close');
        send(res, err.status, err.toJSON(), err.headers);
        return;
      }
      log.error({ event: 'inject-error', err: (err as Error).message }, 'injection failed');
      send(res, 500, { error: { code: 'internal', message: 'internal error' } });
    });
  };
  // http-inject-tls-certificate: HTTPS only on the port (read at start, like the SMTP certificates).
  const certificate = rt.config.global.settings['http-inject-tls-certificate'];
  const server: Server = certificate ? createHttpsServer(loadTlsCertificate(certificate), onRequest) : createServer(onRequest);
  // A client that sends its request and then shuts its side (HTTP/1.0 scripts, `nc`) must still get its 202: without
  // this node ends the socket at the client's FIN, and a message queued meanwhile goes unanswered (the client then
  // sends it again). node:http's own switch (socketOnEnd), there since node 0.x, though undocumented.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ event: 'inject-listening', address: host, port, tls: certificate !== undefined }, 'HTTP injection listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
