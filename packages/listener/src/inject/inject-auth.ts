/**
 * Who sends an injection: `Authorization: Bearer KEY` with a key of an `<smtp-user>`'s
 * `http-inject-api-key`, or `Authorization: Basic` with the user's name and password (the
 * listener's AUTH check). Failures count against `smtp-max-auth-failure-rate` per client, as AUTH
 * failures do (429 once over it). Keys and passwords are never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { VmtaConfig } from '@vmta/config';
import type { SMTPServerAuthentication } from 'smtp-server';
import { checkCredentials, settleAuthAttempt } from '../auth-stage.js';
import type { ListenerRuntime } from '../listener-runtime.js';
import type { SessionState } from '../session-state.js';
import { fromReply, InjectError } from './inject-error.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The smtp-user whose http-inject-api-key is `key` (every key compared, in constant time each). */
export function userOfKey(config: VmtaConfig, key: string): string | undefined {
  const wanted = digest(key);
  let found: string | undefined;
  for (const [name, user] of Object.entries(config.users)) {
    const keys = user.settings['http-inject-api-key'];
    for (const k of Array.isArray(keys) ? keys : keys === undefined ? [] : [keys]) {
      if (typeof k === 'string' && k !== '' && timingSafeEqual(digest(k), wanted) && found === undefined) found = name;
    }
  }
  return found;
}

/** The user an Authorization header names, or undefined when it names none (wrong key or password). */
export function userOfAuthorization(config: VmtaConfig, header: string): string | undefined {
  const m = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(header);
  if (!m) return undefined;
  if (m[1]!.toLowerCase() === 'bearer') return userOfKey(config, m[2]!);
  const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const username = decoded.slice(0, colon);
  const auth = { method: 'PLAIN', username, password: decoded.slice(colon + 1) } as SMTPServerAuthentication;
  return checkCredentials(config, auth) ? username : undefined;
}

/** The authenticated user, or throws 401 (no or wrong credentials) or 429 (over the failure rate). */
export async function authenticateRequest(rt: ListenerRuntime, state: SessionState, header: string | undefined): Promise<string> {
  if (header === undefined || header === '') {
    throw new InjectError(401, 'auth-required', 'send "Authorization: Bearer KEY" or HTTP Basic credentials of an smtp-user', undefined, { 'www-authenticate': 'Basic realm="vmta inject"' });
  }
  const user = userOfAuthorization(rt.config, header);
  const locked = await settleAuthAttempt(rt.rates, state, user !== undefined);
  if (locked) throw fromReply(locked);
  if (user === undefined) {
    state.log.info({ event: 'inject-auth-failed' }, 'injection credentials invalid');
    throw new InjectError(401, 'auth-failed', 'credentials invalid', undefined, { 'www-authenticate': 'Basic realm="vmta inject"' });
  }
  return user;
}
