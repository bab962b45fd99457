/**
 * Per-session adjustments smtp-server 3.21 has no option for, installed on the SMTPConnection instance
 * (own properties shadowing prototype methods; nothing global is changed). Pinned to smtp-server 3.21.x:
 * - EHLO: smtp-server builds one capability list per server; `ehloFeatures` adjusts SIZE (the server runs
 *   with `hideSize`, so it advertises a bare SIZE and leaves MAIL FROM SIZE= to us) and AUTH per session.
 * - AUTH: refuse a mechanism the channel does not allow (538 5.7.11) or a locked-out client (454 4.7.0)
 *   at the AUTH command, before the client sends credentials.
 * - The whole-session cap: 421 and close.
 */
import type { SMTPServer } from 'smtp-server';
import { ehloFeatures } from './ehlo-features.js';
import type { SmtpReplyError } from './policy/index.js';

type Connection = SMTPServer['connections'] extends Set<infer C> ? C : never;

export interface ConnectionHooks {
  /** Adjusts the EHLO capability list (the lines after the greeting line). */
  features(features: string[], secure: boolean): string[];
  /** Decides on an AUTH command before the exchange starts; undefined lets it proceed. */
  beforeAuth(method: string, secure: boolean): Promise<SmtpReplyError | undefined>;
}

export function findConnection(server: SMTPServer, sessionId: string): Connection | undefined {
  for (const c of server.connections) if (c.session.id === sessionId) return c;
  return undefined;
}

export function patchConnection(conn: Connection, hooks: ConnectionHooks): void {
  const send = conn.send.bind(conn);
  const ehlo = conn.handler_EHLO.bind(conn);
  const auth = conn.handler_AUTH.bind(conn);
  conn.handler_EHLO = (command, callback) => {
    // The EHLO reply is the only multi-line 250 and is sent synchronously by the handler.
    conn.send = (code, data, context) => {
      if (code === 250 && Array.isArray(data) && data.length > 0) {
        const [greeting, ...features] = data;
        data = [greeting!, ...hooks.features(features, conn.secure)];
      }
      send(code, data, context);
    };
    try {
      ehlo(command, callback);
    } finally {
      conn.send = send;
    }
  };
  conn.handler_AUTH = (command, callback) => {
    const method = (command.toString().trim().split(/\s+/)[1] ?? '').toUpperCase();
    if (conn.session.user) return auth(command, callback);
    hooks.beforeAuth(method, conn.secure).then(
      (refusal) => {
        if (refusal) {
          send(refusal.responseCode, refusal.message);
          callback();
        } else {
          auth(command, callback);
        }
      },
      () => {
        send(454, '4.7.0 Temporary authentication failure');
        callback();
      },
    );
  };
}

/** Ends a session that ran too long, whatever it is doing. */
export function endSession(conn: Connection, text: string): void {
  conn.send(421, text);
}

