/** The parsed configuration: plain data, one object per stanza, settings keyed by directive name. */
import type { Diagnostic, Origin } from './errors.js';
import type { ScopeName } from './schema/schema.js';
import type { StanzaSettings } from './schema/types.js';
import type { CertificateValue, CidrValue, DomainPattern, ListenerAddress, PatternRule } from './values/index.js';

export interface Stanza<S extends ScopeName> {
  scope: S;
  /** The stanza's argument as written (`<domain *.example.com>` → "*.example.com"); "" for the top level. */
  name: string;
  origin: Origin;
  settings: StanzaSettings<S>;
  /** Where each directive was set; repeatable directives have one origin per value. */
  origins: Record<string, Origin[]>;
}

export interface DomainStanza extends Stanza<'domain'> {
  pattern: DomainPattern;
  /** Set when a domain macro gave this stanza: the pattern as written, e.g. "aol.$tld" (name is the expanded domain). */
  macro?: string;
}

export interface SourceStanza extends Stanza<'source'> {
  kind: 'cidr' | 'named' | 'auth';
  cidr?: CidrValue;
}

export interface VirtualMtaStanza extends Stanza<'virtual-mta'> {
  domains: DomainStanza[];
}

export interface VirtualMtaPoolStanza extends Stanza<'virtual-mta-pool'> {
  domains: DomainStanza[];
}

export interface ListenerStanza extends Stanza<'smtp-listener'> {
  address: ListenerAddress;
}

/** One rule of a routing <pattern-list>, in the order written (first match wins). */
export interface PatternListRule {
  kind: 'mail-from' | 'rcpt-to' | 'header';
  rule: PatternRule;
  origin: Origin;
}

export interface PatternListStanza extends Stanza<'pattern-list'> {
  /** Every rule of the list in file order, whatever its directive (settings keep them per directive). */
  rules: PatternListRule[];
}

/** <feedback-loop-processor> or <bounce-processor>: its own directives and its nested, unnamed <address-list>s. */
export interface ProcessorStanza<S extends 'feedback-loop-processor' | 'bounce-processor'> extends Stanza<S> {
  addressLists: Stanza<'address-list'>[];
}

/** One address the listener binds, merged from `smtp-listener` lines and `<smtp-listener>` stanzas. */
export interface ListenerConfig {
  /** "ADDRESS:PORT" as the operator wrote it. */
  name: string;
  address: ListenerAddress;
  source?: string;
  immediateTls: boolean;
  tlsCertificate?: CertificateValue;
  origin: Origin;
}

export interface VmtaConfig {
  /** The main file as it was named, and every file read (absolute). */
  file: string;
  files: string[];
  global: Stanza<'global'>;
  listeners: ListenerConfig[];
  users: Record<string, Stanza<'smtp-user'>>;
  sources: SourceStanza[];
  /** Keyed by lower-case name. */
  vmtas: Record<string, VirtualMtaStanza>;
  pools: Record<string, VirtualMtaPoolStanza>;
  domains: DomainStanza[];
  patternLists: Record<string, Stanza<'smtp-pattern-list'>>;
  /** Routing <pattern-list> stanzas (not <smtp-pattern-list>), keyed by lower-case name. */
  routingLists: Record<string, PatternListStanza>;
  /** <bounce-category-patterns>, all of them merged in file order; absent when the files have none. */
  bounceCategoryPatterns?: Stanza<'bounce-category-patterns'>;
  /** Every <mx-rollup-list> stanza, in file order (their entries together form the one list). */
  mxRollupLists: Stanza<'mx-rollup-list'>[];
  acctFiles: Stanza<'acct-file'>[];
  /** <webhook> stanzas, keyed by lower-case name. */
  webhooks: Record<string, Stanza<'webhook'>>;
  /** Keyed by lower-case name. */
  addressLists: Record<string, Stanza<'address-list'>>;
  listenerStanzas: ListenerStanza[];
  /** <feedback-loop-processor>, all of them merged; absent when the files have none. */
  feedbackLoopProcessor?: ProcessorStanza<'feedback-loop-processor'>;
  /** <bounce-processor>, all of them merged; absent when the files have none. */
  bounceProcessor?: ProcessorStanza<'bounce-processor'>;
  warnings: Diagnostic[];
}

/** Key under which a named source is stored and looked up. */
export const AUTH_SOURCE = '{auth}';
