/**
 * Inbound policy for a client: <source> stanzas whose CIDR holds the client IP,
 * merged from 0/0 down to the most specific; then the listener's named source
 * (smtp-listener ... source=NAME); then, once authenticated, <source {auth}>
 * and the user's named source.
 */
import { AUTH_SOURCE, type ListenerConfig, type SourceStanza, type VmtaConfig } from '../model.js';
import { cidrContains } from '../values/index.js';
import { mergeLayers, type Resolved } from './merge.js';

export type SourcePolicy = Resolved<'source'>['settings'];
export type ResolvedSourcePolicy = Resolved<'source'>;

export interface SourceContext {
  /** The listener the client connected to (its `source` selects a named source). */
  listener?: Pick<ListenerConfig, 'source'>;
  /** The authenticated user name, once AUTH succeeded. */
  authUser?: string;
}

/** The <source NAME> a reference names; `{auth}` names <source {auth}> (an <smtp-user>'s `source {auth}`, as PowerMTA configs write it). */
export function namedSource(config: VmtaConfig, name: string): SourceStanza | undefined {
  const key = name.toLowerCase();
  if (key === AUTH_SOURCE) return config.sources.find((s) => s.kind === 'auth');
  return config.sources.find((s) => s.kind === 'named' && s.name.toLowerCase() === key);
}

export function sourcePolicy(config: VmtaConfig, clientIp: string, ctx: SourceContext = {}): ResolvedSourcePolicy {
  const layers: SourceStanza[] = config.sources
    .filter((s) => s.kind === 'cidr' && cidrContains(s.cidr!, clientIp))
    .sort((a, b) => a.cidr!.prefix - b.cidr!.prefix || Number(b.cidr!.any) - Number(a.cidr!.any));
  const push = (s: SourceStanza | undefined) => s && layers.push(s);
  if (ctx.listener?.source) push(namedSource(config, ctx.listener.source));
  if (ctx.authUser !== undefined) {
    push(config.sources.find((s) => s.kind === 'auth'));
    const user = config.users[ctx.authUser];
    const userSource = user?.settings.source;
    if (userSource) push(namedSource(config, userSource));
  }
  return mergeLayers('source', layers);
}
