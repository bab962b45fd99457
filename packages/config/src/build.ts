/**
 * Turns the event stream of the reader into the configuration model: knows
 * which stanzas nest where and what each directive's value type is, all
 * through the schema. Collects every error instead of stopping at the first.
 */
import { findOrAdd, placesOf, setValue, type AnyStanza } from './build-values.js';
import type { Diagnostic, DiagnosticCode, Origin } from './errors.js';
import { AUTH_SOURCE, type DomainStanza, type ProcessorStanza, type PatternListRule, type PatternListStanza, type SourceStanza, type Stanza, type VmtaConfig } from './model.js';
import type { ReadEvent } from './reader.js';
import { truncate } from './reader.js';
import {
  directiveDef,
  directiveNames,
  isScopeName,
  nestedScopes,
  pmtaScopesOf,
  scopeNames,
  stanzaArgKind,
  unsupportedReason,
} from './schema/access.js';
import { obsoleteReason } from './schema/obsolete.js';
import { notAppliedPatternActions, notAppliedReason, notAppliedReplyActions, notProducedRecordTypes } from './schema/not-applied.js';
import type { ScopeName } from './schema/schema.js';
import { suggest } from './suggest.js';
import {
  expandDomainMacros,
  resolveDomainMacros,
  tokenize,
  usesDomainMacro,
  valueTypes,
  ValueError,
  type CidrValue,
  type DomainMacro,
  type DomainPattern,
  type ListenerAddress,
  type PatternRule,
  type ReplyPattern,
  type ValueTypeName,
} from './values/index.js';


interface Frame {
  tag: string;
  /** The opening tag's value as written ("" when none). */
  arg: string;
  /** The opening tag as written, e.g. "<domain *>". */
  text: string;
  label: string;
  origin: Origin;
  /** null: an unsupported or invalid stanza whose content is skipped. */
  stanza: AnyStanza | null;
  /** The other <domain> stanzas a domain macro expanded to (`<domain aol.$tld>`): each directive is set in them too. */
  also?: AnyStanza[];
}


/** Settings of an <acct-file> that mean nothing when it is a pipe (`<acct-file |program>`). */
const PIPE_IGNORES = new Set(['max-size', 'move-interval', 'delete-after']);
export interface BuildResult {
  config: VmtaConfig;
  diagnostics: Diagnostic[];
}

const CLEAR = '""';

export function buildConfig(events: ReadEvent[], file: string, files: string[]): BuildResult {
  return new Builder(file, files).run(events);
}

function newStanza<S extends ScopeName>(scope: S, name: string, origin: Origin): Stanza<S> {
  return { scope, name, origin, settings: {}, origins: Object.create(null) };
}

class Builder {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly config: VmtaConfig;
  private readonly stack: Frame[];
  /** Lower-case macro name → its domains, from every top-level domain-macro (read before the rest). */
  private macros = new Map<string, string[]>();
  /** Expansions of the <domain> being opened, beyond the first (handed to its Frame). */
  private pendingAlso: AnyStanza[] | undefined;
  /**
   * The written-out <domain> stanzas of each list (global, a VMTA's, a pool's) by lower-cased pattern, so
   * that a <domain> seen again reopens its stanza in O(1): searching the list made a config of 8,000
   * <domain>s take 38 s to load.
   */
  private readonly domainIndex = new WeakMap<DomainStanza[], Map<string, DomainStanza>>();

  constructor(file: string, files: string[]) {
    const global = newStanza('global', '', { file, line: 0 });
    this.config = {
      file,
      files,
      global,
      listeners: [],
      users: Object.create(null),
      sources: [],
      vmtas: Object.create(null),
      pools: Object.create(null),
      domains: [],
      patternLists: Object.create(null),
      routingLists: Object.create(null),
      mxRollupLists: [],
      acctFiles: [],
      webhooks: {},
      addressLists: Object.create(null),
      listenerStanzas: [],
      warnings: [],
    };
    this.stack = [{ tag: '', arg: '', text: '', label: 'at top level', origin: global.origin, stanza: global }];
  }

  run(events: ReadEvent[]): BuildResult {
    const macroEvents = this.readDomainMacros(events);
    for (const ev of events) {
      if (ev.kind === 'open') this.open(ev.name, ev.arg, ev.origin);
      else if (ev.kind === 'close') this.close(ev.name, ev.origin, ev.arg);
      else if (macroEvents.has(ev)) continue;
      else if (this.top.stanza?.scope === 'bounce-category-patterns') this.directive('pattern', ev.line ?? `${ev.name} ${ev.raw}`, ev.origin);
      else this.directive(ev.name, ev.raw, ev.origin);
    }
    while (this.stack.length > 1) {
      const f = this.stack.pop()!;
      this.report('error', 'CONFIG_UNCLOSED', f.origin, `${f.text} is not closed (missing </${f.tag}>)`);
    }
    return { config: this.config, diagnostics: this.diagnostics };
  }

  /**
   * PowerMTA defines a macro anywhere at the top level and uses it in any <domain> (§3.3.10): the
   * top-level domain-macro lines are read first, their macros of macros expanded, loops refused.
   * Returns the events handled here, which the main pass skips.
   */
  private readDomainMacros(events: readonly ReadEvent[]): Set<ReadEvent> {
    const handled = new Set<ReadEvent>();
    const defs: { macro: DomainMacro; origin: Origin }[] = [];
    let depth = 0;
    for (const ev of events) {
      if (ev.kind === 'open') depth++;
      else if (ev.kind === 'close') depth = Math.max(0, depth - 1);
      else if (depth === 0 && ev.name === 'domain-macro') {
        handled.add(ev);
        const def = directiveDef('global', ev.name)!;
        const value = this.parseValue(def.type, ev.raw, ev.origin, def.name) as DomainMacro | undefined;
        if (value === undefined) continue;
        defs.push({ macro: value, origin: ev.origin });
        setValue(this.config.global as AnyStanza, def, value, ev.origin);
      }
    }
    const { values, problems } = resolveDomainMacros(defs.map((d) => d.macro));
    for (const p of problems) this.report('error', 'CONFIG_VALUE', defs[p.index]!.origin, p.message);
    this.macros = values;
    return handled;
  }

  private report(severity: Diagnostic['severity'], code: DiagnosticCode, origin: Origin, message: string): void {
    this.diagnostics.push({ severity, code, file: origin.file, line: origin.line, message });
  }

  private get top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  private open(tag: string, arg: string, origin: Origin): void {
    const text = `<${tag}${arg ? ` ${truncate(arg)}` : ''}>`;
    const label = `in ${text}`;
    const skip = (): void => {
      this.stack.push({ tag, arg, text, label, origin, stanza: null });
    };
    const parent = this.top.stanza;
    if (!parent) return skip();
    const where = this.top.label;
    if (nestedScopes(parent.scope).includes(tag) && isScopeName(tag)) {
      this.pendingAlso = undefined;
      const stanza = this.stanzaFor(tag, arg, origin, parent);
      const also = this.pendingAlso;
      this.pendingAlso = undefined;
      this.stack.push({ tag, arg, text, label, origin, stanza, ...(also ? { also } : {}) });
      return;
    }
    if (isScopeName(tag)) {
      this.report('error', 'CONFIG_SYNTAX', origin, `<${tag}> is not allowed ${where}`);
      return skip();
    }
    const reason = unsupportedReason(parent.scope, tag);
    if (reason !== undefined) {
      this.report('warning', 'CONFIG_UNSUPPORTED', origin, `<${tag}> ${reason}; its content is ignored`);
      return skip();
    }
    const hint = suggest(tag, nestedScopes(parent.scope));
    this.report(
      'error',
      'CONFIG_UNKNOWN_STANZA',
      origin,
      `unknown stanza <${tag}> ${where}${hint ? ` (did you mean <${hint}>?)` : ''}`,
    );
    skip();
  }

  private close(tag: string, origin: Origin, arg?: string): void {
    const depth = this.stack.map((f) => f.tag).lastIndexOf(tag);
    if (depth <= 0) {
      this.report('error', 'CONFIG_SYNTAX', origin, `</${tag}${arg ? ` ${truncate(arg)}` : ''}> without a matching <${tag}>`);
      return;
    }
    const opened = this.stack[depth]!;
    if (arg !== undefined && arg.toLowerCase() !== opened.arg.toLowerCase()) {
      this.report('error', 'CONFIG_SYNTAX', origin, `</${tag} ${truncate(arg)}> closes ${opened.text} (line ${opened.origin.line}): the names differ`);
      return;
    }
    while (this.stack.length - 1 > depth) {
      const f = this.stack.pop()!;
      this.report(
        'error',
        'CONFIG_UNCLOSED',
        f.origin,
        `${f.text} is not closed (missing </${f.tag}> before line ${origin.line})`,
      );
    }
    this.stack.pop();
  }

  private directive(name: string, raw: string, origin: Origin): void {
    const frame = this.top;
    const stanza = frame.stanza;
    if (!stanza) return;
    let def = directiveDef(stanza.scope, name);
    if (!def) return this.unknownDirective(stanza.scope, name, frame.label, origin);
    if (def.aliasOf) {
      this.report('warning', 'CONFIG_DEPRECATED', origin, `${name} is deprecated; use ${def.aliasOf}`);
      def = directiveDef(stanza.scope, def.aliasOf) ?? def;
    }
    const value = raw === CLEAR ? null : this.parseValue(def.type, raw, origin, def.name);
    if (value === undefined) {
      // `mail-from /x/ <pattern-list>` (a conditional list, §3.3.14) is refused above: its content,
      // up to its </pattern-list>, is skipped rather than read as more errors.
      if (stanza.scope === 'pattern-list' && /<\s*pattern-list\s*>\s*$/i.test(raw)) {
        this.stack.push({ tag: 'pattern-list', arg: '', text: '<pattern-list>', label: 'in <pattern-list>', origin, stanza: null });
      }
      return;
    }
    if (typeof value === 'string' && def.unsupportedValues.includes(value)) {
      this.report('warning', 'CONFIG_UNSUPPORTED', origin, `${def.name} ${value} is not supported yet`);
    }
    const notYet = value === null ? undefined : notAppliedReason(stanza.scope, def.name);
    if (notYet !== undefined) this.report('warning', 'CONFIG_NOT_APPLIED', origin, `${def.name} ${frame.label}: not applied yet (${notYet}); ignored`);
    if (stanza.scope === 'acct-file' && stanza.name.trimStart().startsWith('|') && PIPE_IGNORES.has(def.name)) {
      this.report('warning', 'CONFIG_NOT_APPLIED', origin, `${def.name} ${frame.label}: a piped accounting file is a program's input, nothing is rotated or deleted; ignored`);
    }
    if (def.type === 'records' && Array.isArray(value)) {
      for (const type of value as string[]) {
        const why = notProducedRecordTypes[type];
        if (why !== undefined) this.report('warning', 'CONFIG_NOT_APPLIED', origin, `records ${type} ${frame.label}: never written yet (${why})`);
      }
    }
    if (def.type === 'reply-pattern' && value !== null) {
      for (const { action } of (value as ReplyPattern).actions) {
        const why = notAppliedReplyActions[action];
        if (why !== undefined) this.report('warning', 'CONFIG_NOT_APPLIED', origin, `${action} in ${def.name} ${frame.label}: not applied yet (${why}); ignored`);
      }
    }
    if (def.type === 'bounce-category-pattern' && value !== null && (value as { custom?: string }).custom !== undefined) {
      const name = (value as { custom: string }).custom;
      this.report('warning', 'CONFIG_UNSUPPORTED', origin, `category "${name}" ${frame.label}: custom category names are not supported yet (records carry PowerMTA's categories); this line is ignored`);
    }
    if (def.type === 'mx-rollup' && value !== null && (value as { byIp?: true }).byIp === true) {
      this.report('warning', 'CONFIG_UNSUPPORTED', origin, `rollup-by-ip ${frame.label}: not supported yet; this entry rolls no domain up`);
    }
    if ((def.type === 'pattern-rule' || def.type === 'header-pattern-rule') && value !== null) {
      for (const { action } of (value as PatternRule).actions) {
        const why = notAppliedPatternActions[action];
        if (why !== undefined) this.report('warning', 'CONFIG_NOT_APPLIED', origin, `${action} in ${def.name} ${frame.label}: not applied yet (${why}); ignored`);
      }
      stanza.rules?.push({ kind: def.name as PatternListRule['kind'], rule: value as PatternRule, origin });
    }
    // `mail-from ""` clears the rules of that kind written so far, as it clears the setting.
    if (value === null && stanza.rules) stanza.rules = stanza.rules.filter((r) => r.kind !== def.name);
    setValue(stanza, def, value, origin);
    for (const other of frame.also ?? []) setValue(other, def, value, origin);
  }

  private unknownDirective(scope: ScopeName, name: string, where: string, origin: Origin): void {
    const obsolete = obsoleteReason(scope, name);
    if (obsolete !== undefined) {
      this.report('warning', 'CONFIG_DEPRECATED', origin, `${name} ${where}: ${obsolete}; ignored`);
      return;
    }
    const reason = unsupportedReason(scope, name);
    if (reason !== undefined) {
      this.report('warning', 'CONFIG_UNSUPPORTED', origin, `${name} ${where}: ${reason}; ignored`);
      return;
    }
    const places = placesOf(name, scope);
    if (places !== undefined) {
      this.report('error', 'CONFIG_MISPLACED_DIRECTIVE', origin, `"${name}" is not allowed ${where} (it belongs in ${places})`);
      return;
    }
    const pmtaPlaces = pmtaScopesOf(name).filter((s) => s !== scope);
    if (pmtaPlaces.length > 0) {
      const list = pmtaPlaces.map((s) => (s === 'global' ? 'the top level' : `<${s}>`)).join(' or ');
      this.report('error', 'CONFIG_MISPLACED_DIRECTIVE', origin, `"${name}" is not allowed ${where} (PowerMTA takes it in ${list} only)`);
      return;
    }
    // A misspelling of this stanza's directives first; else of a directive of another stanza, and where that one belongs.
    const hint = suggest(name, directiveNames(scope));
    const other = hint === undefined ? suggest(name, new Set(scopeNames.filter((s) => s !== scope).flatMap(directiveNames))) : undefined;
    const otherPlaces = other === undefined ? undefined : placesOf(other, scope);
    const didYouMean = hint ? ` (did you mean "${hint}"?)` : other && otherPlaces ? ` (did you mean "${other}"? it belongs in ${otherPlaces})` : '';
    this.report('error', 'CONFIG_UNKNOWN_DIRECTIVE', origin, `unknown directive "${name}" ${where}${didYouMean}`);
  }

  /** Returns the parsed value, or undefined after reporting an error. */
  private parseValue(type: ValueTypeName, raw: string, origin: Origin, what: string): unknown {
    try {
      if (raw === '') throw new ValueError(`needs a value (${valueTypes[type].expected})`);
      let words: string[];
      try {
        words = tokenize(raw);
      } catch (quoteError) {
        // A /regex/ may hold an unbalanced quote: types that read `raw` still get their chance.
        try {
          return valueTypes[type].parse(raw, []);
        } catch {
          throw quoteError;
        }
      }
      return valueTypes[type].parse(raw, words);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      this.report('error', 'CONFIG_VALUE', origin, `${what}: ${err.message}`);
      return undefined;
    }
  }

  private stanzaFor(scope: ScopeName, arg: string, origin: Origin, parent: AnyStanza): AnyStanza | null {
    const kind = stanzaArgKind(scope);
    // PowerMTA's processors hold an unnamed <address-list> of the addresses they take mail for.
    if (scope === 'address-list' && (parent.scope === 'feedback-loop-processor' || parent.scope === 'bounce-processor')) {
      const list = newStanza('address-list', arg, origin);
      (parent as ProcessorStanza<'feedback-loop-processor'>).addressLists.push(list);
      return list;
    }
    if (kind !== null && arg === '') {
      this.report('error', 'CONFIG_SYNTAX', origin, `<${scope}> needs ${kind === 'name' ? 'a name' : `a ${kind}`}`);
      return null;
    }
    const c = this.config;
    switch (scope) {
      case 'smtp-user':
        return (c.users[arg] ??= newStanza('smtp-user', arg, origin));
      case 'virtual-mta':
        if (!this.checkName(arg, origin, scope)) return null;
        return (c.vmtas[arg.toLowerCase()] ??= { ...newStanza('virtual-mta', arg, origin), domains: [] });
      case 'virtual-mta-pool':
        if (!this.checkName(arg, origin, scope)) return null;
        return (c.pools[arg.toLowerCase()] ??= { ...newStanza('virtual-mta-pool', arg, origin), domains: [] });
      case 'smtp-pattern-list':
        if (!this.checkName(arg, origin, scope)) return null;
        return (c.patternLists[arg.toLowerCase()] ??= newStanza('smtp-pattern-list', arg, origin));
      case 'pattern-list': {
        if (!this.checkName(arg, origin, scope)) return null;
        const list: PatternListStanza = (c.routingLists[arg.toLowerCase()] ??= { ...newStanza('pattern-list', arg, origin), rules: [] });
        return list;
      }
      case 'bounce-category-patterns':
        return (c.bounceCategoryPatterns ??= newStanza('bounce-category-patterns', '', origin));
      case 'mx-rollup-list': {
        const list = newStanza('mx-rollup-list', arg, origin);
        c.mxRollupLists.push(list);
        return list;
      }
      case 'address-list':
        if (!this.checkName(arg, origin, scope)) return null;
        return (c.addressLists[arg.toLowerCase()] ??= newStanza('address-list', arg, origin));
      case 'feedback-loop-processor':
        return (c.feedbackLoopProcessor ??= { ...newStanza('feedback-loop-processor', '', origin), addressLists: [] });
      case 'bounce-processor':
        return (c.bounceProcessor ??= { ...newStanza('bounce-processor', '', origin), addressLists: [] });
      case 'webhook':
        if (!this.checkName(arg, origin, scope)) return null;
        return (c.webhooks[arg.toLowerCase()] ??= newStanza('webhook', arg, origin));
      case 'acct-file':
        return findOrAdd(c.acctFiles, (s) => s.name === arg, () => newStanza('acct-file', arg, origin));
      case 'smtp-listener': {
        const address = this.parseValue('listener-address', arg, origin, '<smtp-listener>') as ListenerAddress | undefined;
        if (!address) return null;
        return findOrAdd(
          c.listenerStanzas,
          (s) => s.address.address === address.address && s.address.port === address.port,
          () => ({ ...newStanza('smtp-listener', arg, origin), address }),
        );
      }
      case 'domain': {
        if (RESERVED_QUEUE.test(arg)) {
          // PowerMTA's reserved queue names ("cannot start with { and end with }", §3.3.11.5): {gmImprinter},
          // {bounceProcessor}, {feedbackLoop}, ... vmta has no such queues. The directives are still
          // checked (a detached stanza) but applied nowhere.
          this.report('warning', 'CONFIG_UNSUPPORTED', origin, `<domain ${truncate(arg)}>: ${arg} is one of PowerMTA's internal queues, which vmta does not have; not supported yet, its directives are ignored`);
          return { ...newStanza('domain', arg, origin), pattern: { text: arg, kind: 'exact', base: arg.toLowerCase() } } as AnyStanza;
        }
        if (usesDomainMacro(arg)) return this.macroDomainStanzas(arg, origin, parent);
        const pattern = this.parseValue('domain-pattern', arg, origin, '<domain>') as DomainPattern | undefined;
        if (!pattern) return null;
        const list = parent.scope === 'global' ? c.domains : (parent.domains ?? []);
        let index = this.domainIndex.get(list);
        if (!index) this.domainIndex.set(list, (index = new Map()));
        const key = pattern.text.toLowerCase();
        let stanza = index.get(key);
        if (!stanza) {
          stanza = { ...newStanza('domain', arg, origin), pattern };
          list.push(stanza);
          index.set(key, stanza);
        }
        return stanza;
      }
      case 'source':
        return this.sourceStanza(arg, origin);
      default:
        return null;
    }
  }

  /**
   * `<domain aol.$tld>`: one <domain> per name the macros give, each marked with the pattern as
   * written (a <domain> written out wins over an expanded one: domain-policy.ts). The directives of
   * the stanza are set in every one of them (Frame.also).
   */
  private macroDomainStanzas(arg: string, origin: Origin, parent: AnyStanza): AnyStanza | null {
    let names: string[];
    try {
      names = expandDomainMacros(arg, this.macros);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      this.report('error', 'CONFIG_VALUE', origin, `<domain>: ${e.message}`);
      return null;
    }
    const stanzas: DomainStanza[] = [];
    for (const name of names) {
      const pattern = this.parseValue('domain-pattern', name, origin, `<domain ${truncate(arg)}> (expanded to ${name})`) as DomainPattern | undefined;
      if (pattern) stanzas.push({ ...newStanza('domain', name, origin), pattern, macro: arg });
    }
    if (stanzas.length === 0) return null;
    const list = parent.scope === 'global' ? this.config.domains : (parent.domains ?? []);
    list.push(...stanzas);
    this.pendingAlso = stanzas.slice(1) as AnyStanza[];
    return stanzas[0] as AnyStanza;
  }

  private checkName(arg: string, origin: Origin, scope: ScopeName): boolean {
    if (/^[\w.@{}-]+$/.test(arg)) return true;
    this.report('error', 'CONFIG_SYNTAX', origin, `<${scope} ${truncate(arg)}>: a name may hold letters, digits and . _ - only`);
    return false;
  }

  private sourceStanza(arg: string, origin: Origin): SourceStanza | null {
    const list = this.config.sources;
    if (arg.toLowerCase() === AUTH_SOURCE) {
      return findOrAdd(list, (s) => s.kind === 'auth', () => ({ ...newStanza('source', AUTH_SOURCE, origin), kind: 'auth' }));
    }
    if (/^[\d.:/a-fA-F]+$/.test(arg) && /[\d]/.test(arg) && /[.:/]/.test(arg)) {
      const cidr = this.parseValue('cidr', arg, origin, '<source>') as CidrValue | undefined;
      if (!cidr) return null;
      return findOrAdd(
        list,
        (s) => s.kind === 'cidr' && s.cidr!.any === cidr.any && s.cidr!.address === cidr.address && s.cidr!.prefix === cidr.prefix,
        () => ({ ...newStanza('source', arg, origin), kind: 'cidr', cidr }),
      );
    }
    if (!this.checkName(arg, origin, 'source')) return null;
    const lower = arg.toLowerCase();
    return findOrAdd(
      list,
      (s) => s.kind === 'named' && s.name.toLowerCase() === lower,
      () => ({ ...newStanza('source', arg, origin), kind: 'named' }),
    );
  }
}

/** `{name}`: a queue of PowerMTA's own, never a recipient domain. */
const RESERVED_QUEUE = /^\{[\w.-]+\}$/;
