/**
 * AUTH: which mechanism may be used on this channel, the brute-force lockout (smtp-max-auth-failure-rate,
 * counted per client IP in Redis so it holds across connections and processes) and the password check
 * against `<smtp-user>`. Passwords are never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { VmtaConfig } from '@vmta/config';
import type { RateCounter, RateLimit } from '@vmta/queue';
import type { SMTPServerAuthentication } from 'smtp-server';
import { allowedAuthMechanisms } from './ehlo-features.js';
import { replies, type SmtpReplyError } from './policy/index.js';
import type { SessionState } from './session-state.js';

export const AUTH_METHODS = ['PLAIN', 'LOGIN', 'CRAM-MD5'] as const;
const AUTH_FAILURE_COUNTER = 'auth-fail';

/** The failure rate as a limit, or undefined when unlimited (`unlimited`, or a count of 0). */
export function authFailureLimit(state: SessionState): RateLimit | undefined {
  const rate = state.policy['smtp-max-auth-failure-rate'];
  if (rate === undefined || rate === 'unlimited' || rate.count <= 0) return undefined;
  return rate;
}

/** May the client start this mechanism on this channel? An error reply when not (538 5.7.11). */
export function mechanismRefusal(state: SessionState, secure: boolean, method: string): SmtpReplyError | undefined {
  const offered = allowedAuthMechanisms({ secure, policy: state.policy }, AUTH_METHODS);
  if (!secure && !offered.includes(method) && (AUTH_METHODS as readonly string[]).includes(method)) {
    return replies.encryptionRequired();
  }
  return undefined;
}

/**
 * Whom the failure count belongs to: the client IP, an IPv6 client by its /64 (one customer's network,
 * where a host can take any of 2^64 addresses), an IPv4-mapped IPv6 address as the IPv4 address.
 */
export function authSubject(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * 454 4.7.0 while the client is over its failure rate; also when Redis cannot tell (fail closed). A read
 * only: the check before the AUTH exchange starts, so a locked-out client is not asked for credentials.
 */
export async function lockoutRefusal(counter: RateCounter, state: SessionState): Promise<SmtpReplyError | undefined> {
  const limit = authFailureLimit(state);
  if (limit === undefined) return undefined;
  try {
    return (await counter.exceeded(AUTH_FAILURE_COUNTER, authSubject(state.clientIp), limit)) ? replies.authRateLimited() : undefined;
  } catch (err) {
    state.log.warn({ event: 'auth-rate-unavailable', err: (err as Error).message }, 'cannot read the AUTH failure count');
    return replies.authRateLimited();
  }
}

/**
 * Settles an AUTH attempt whose credentials were already checked (in memory, synchronously), in one Redis
 * round trip, so that parallel sessions get no more guesses between them than the limit:
 * - wrong credentials take one attempt of the client's failure budget (counted and compared in one atomic
 *   INCR); over the budget the reply is 454 instead of 535, and the failure stays counted;
 * - right credentials are accepted only while the budget is not used up (one GET), else 454 as well, so a
 *   locked-out client learns nothing from a correct guess.
 * Every outcome is one a sequence of the earlier take-then-check attempts could give (Redis orders the
 * steps), without the INCR and DECR a successful AUTH used to cost. Redis unreachable: 454 (fail closed).
 */
export async function settleAuthAttempt(counter: RateCounter, state: SessionState, credentialsValid: boolean): Promise<SmtpReplyError | undefined> {
  const limit = authFailureLimit(state);
  if (limit === undefined) return undefined;
  const subject = authSubject(state.clientIp);
  try {
    const locked = credentialsValid ? await counter.exceeded(AUTH_FAILURE_COUNTER, subject, limit) : !(await counter.take(AUTH_FAILURE_COUNTER, subject, limit)).allowed;
    return locked ? replies.authRateLimited() : undefined;
  } catch (err) {
    state.log.warn({ event: 'auth-rate-unavailable', err: (err as Error).message }, 'cannot count the AUTH attempt');
    return replies.authRateLimited();
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** The digests of the configured passwords, per configuration (a reload is a new object) and user. */
const passwordDigests = new WeakMap<VmtaConfig, Map<string, Buffer>>();

/** The digest of a user's configured password, made once per configuration rather than at every AUTH. */
function configuredDigest(config: VmtaConfig, user: string, password: string): Buffer {
  let byUser = passwordDigests.get(config);
  if (!byUser) passwordDigests.set(config, (byUser = new Map()));
  let d = byUser.get(user);
  if (d === undefined) byUser.set(user, (d = digest(password)));
  return d;
}

/** True when the credentials match a `<smtp-user>` with `authentication-method password`. */
export function checkCredentials(config: VmtaConfig, auth: SMTPServerAuthentication): boolean {
  const user = auth.username === undefined ? undefined : config.users[auth.username];
  const password = user?.settings.password;
  if (user === undefined || typeof password !== 'string' || password === '') return false;
  if ((user.settings['authentication-method'] ?? 'password') !== 'password') return false;
  if (auth.method === 'CRAM-MD5') return typeof auth.validatePassword === 'function' && auth.validatePassword(password);
  if (auth.method === 'PLAIN' || auth.method === 'LOGIN') {
    // PLAIN: an authorization identity other than the user itself is not supported.
    if (auth.method === 'PLAIN' && auth.authzid && auth.authzid !== auth.username) return false;
    return typeof auth.password === 'string' && timingSafeEqual(digest(auth.password), configuredDigest(config, auth.username!, password));
  }
  return false;
}
