/**
 * The EHLO capability list as this session may use it (pure). smtp-server builds one list for the whole
 * server; the listener adjusts it per session: SIZE carries the source's max-message-size, AUTH lists only
 * the mechanisms the client may use on this channel right now.
 */
import type { SourcePolicy } from '@vmta/config';

export interface EhloContext {
  secure: boolean;
  policy: SourcePolicy;
  /**
   * False when the configuration has no `<smtp-user>` with a password: no AUTH can succeed, so none is
   * advertised (Postfix offers AUTH only with SASL set up; a client that sees it may try and fail).
   */
  hasUsers?: boolean;
}

/** Mechanisms a client may use: none when AUTH is off or needs TLS first; no PLAIN/LOGIN in the clear unless allowed. */
export function allowedAuthMechanisms(ctx: EhloContext, offered: readonly string[]): string[] {
  const p = ctx.policy;
  if (p['allow-auth'] === false) return [];
  if (!ctx.secure && p['require-starttls-before-auth']) return [];
  if (!ctx.secure && !p['allow-unencrypted-plain-auth']) return offered.filter((m) => m !== 'PLAIN' && m !== 'LOGIN');
  return [...offered];
}

/** max-message-size in bytes, or undefined when unlimited (or 0). */
export function maxMessageBytes(policy: SourcePolicy): number | undefined {
  const v = policy['max-message-size'];
  return typeof v === 'number' && v > 0 ? v : undefined;
}

export function ehloFeatures(features: readonly string[], ctx: EhloContext): string[] {
  const out: string[] = [];
  for (const feature of features) {
    const [keyword = '', ...args] = feature.split(' ');
    if (keyword === 'SIZE') {
      const max = maxMessageBytes(ctx.policy);
      // RFC 1870: SIZE without a number means no fixed maximum.
      out.push(max === undefined ? 'SIZE' : `SIZE ${max}`);
    } else if (keyword === 'AUTH') {
      if (ctx.hasUsers === false) continue;
      const mechanisms = allowedAuthMechanisms(ctx, args);
      if (mechanisms.length > 0) out.push(['AUTH', ...mechanisms].join(' '));
    } else {
      out.push(feature);
    }
  }
  return out;
}
