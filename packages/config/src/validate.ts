/**
 * Checks a built configuration: every stanza against its schema scope (ajv),
 * then references between stanzas (a name must name something).
 */
import { domainPolicy } from './policy/domain-policy.js';
import { namedSource } from './policy/source-policy.js';
import { hasPasswordUsers } from './policy/smtp-users.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Diagnostic, Origin } from './errors.js';
import { AUTH_SOURCE, type Stanza, type VmtaConfig } from './model.js';
import { directiveDef, directiveNames } from './schema/access.js';
import type { RefKind } from './schema/directive.js';
import { configSchema, type ScopeName } from './schema/schema.js';
import { validatePatternLists } from './validate-pattern-lists.js';
import { formatInterval } from './values/format.js';

const META_KEYWORDS = [
  'x-type',
  'x-default',
  'x-repeatable',
  'x-ref',
  'x-alias-of',
  'x-unsupported-values',
  'x-special-values',
  'x-nested',
  'x-arg',
  'x-unsupported',
];

let ajv: Ajv | undefined;
const validators = new Map<ScopeName, ValidateFunction>();

function validatorFor(scope: ScopeName): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    for (const keyword of META_KEYWORDS) ajv.addKeyword({ keyword });
    ajv.addSchema(configSchema);
  }
  let v = validators.get(scope);
  if (!v) {
    v = ajv.getSchema(`${configSchema.$id}#/$defs/${scope}`)!;
    validators.set(scope, v);
  }
  return v;
}

/** All stanzas of the configuration, nested <domain> stanzas included. */
export function allStanzas(config: VmtaConfig): Stanza<ScopeName>[] {
  const out: Stanza<ScopeName>[] = [config.global];
  out.push(...Object.values(config.users), ...config.sources, ...config.listenerStanzas, ...config.domains);
  for (const v of Object.values(config.vmtas)) out.push(v, ...v.domains);
  for (const p of Object.values(config.pools)) out.push(p, ...p.domains);
  out.push(...Object.values(config.patternLists), ...Object.values(config.routingLists), ...config.mxRollupLists, ...config.acctFiles, ...Object.values(config.addressLists), ...Object.values(config.webhooks));
  for (const p of [config.feedbackLoopProcessor, config.bounceProcessor]) if (p) out.push(p, ...p.addressLists);
  return out;
}

function originOf(stanza: Stanza<ScopeName>, instancePath: string): Origin {
  const [, directive, index] = instancePath.split('/');
  const origins = directive ? stanza.origins[directive] : undefined;
  return origins?.[Number(index ?? origins.length - 1)] ?? origins?.[origins.length - 1] ?? stanza.origin;
}

function meaningful(errors: ErrorObject[]): ErrorObject[] {
  return errors.filter((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.params.type === 'null'));
}

/** ajv's words, except a bound of a time interval, which is in ms inside: written as the operator writes it. */
function explain(scope: ScopeName, directive: string, e: ErrorObject): string {
  if ((e.keyword === 'minimum' || e.keyword === 'maximum') && directiveDef(scope, directive)?.type === 'time-interval') {
    return `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${formatInterval(Number(e.params.limit))}`;
  }
  return e.message ?? 'invalid';
}

export function validateSchema(config: VmtaConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const stanza of allStanzas(config)) {
    const validate = validatorFor(stanza.scope);
    if (validate(stanza.settings)) continue;
    const seen = new Set<string>();
    for (const e of meaningful(validate.errors ?? [])) {
      const directive = e.instancePath.split('/')[1] ?? '';
      if (seen.has(directive)) continue;
      seen.add(directive);
      const o = originOf(stanza, e.instancePath);
      out.push({
        severity: 'error',
        code: 'CONFIG_VALUE',
        file: o.file,
        line: o.line,
        message: `${directive || `<${stanza.scope}>`}: ${explain(stanza.scope, directive, e)}`,
      });
    }
  }
  return out;
}

function refTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { source?: unknown }).source === 'string') {
    return (value as { source: string }).source;
  }
  return undefined;
}

const REF_WHAT: Record<RefKind, string> = {
  'virtual-mta': '<virtual-mta>',
  'virtual-mta-or-pool': '<virtual-mta> or <virtual-mta-pool>',
  source: 'named <source>',
  'smtp-pattern-list': '<smtp-pattern-list>',
  'pattern-list': '<pattern-list>',
  'address-list': '<address-list>',
};

function refExists(config: VmtaConfig, kind: RefKind, name: string): boolean {
  const key = name.toLowerCase();
  switch (kind) {
    case 'virtual-mta':
      return key in config.vmtas;
    case 'virtual-mta-or-pool':
      return key in config.vmtas || key in config.pools;
    case 'source':
      return namedSource(config, name) !== undefined;
    case 'smtp-pattern-list':
      return key in config.patternLists;
    case 'pattern-list':
      return key in config.routingLists;
    case 'address-list':
      return key in config.addressLists;
  }
}

export function validateReferences(config: VmtaConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  const error = (o: Origin, message: string) =>
    out.push({ severity: 'error', code: 'CONFIG_REFERENCE', file: o.file, line: o.line, message });
  for (const stanza of allStanzas(config)) {
    for (const name of directiveNames(stanza.scope)) {
      const def = directiveDef(stanza.scope, name)!;
      const raw = (stanza.settings as Record<string, unknown>)[name];
      if (!def.ref || raw === undefined || raw === null) continue;
      const values = def.repeatable || Array.isArray(raw) ? (raw as unknown[]) : [raw];
      values.forEach((value, i) => {
        const target = refTarget(value);
        if (target === undefined || def.specialValues.includes(target)) return;
        const o = stanza.origins[name]?.[def.repeatable ? i : 0] ?? stanza.origin;
        if (def.ref === 'source' && target.toLowerCase() === AUTH_SOURCE && stanza.scope !== 'smtp-user') {
          // Its settings (relaying, usually) are for clients that authenticated; a listener must not hand them to everyone.
          error(o, `${name} "${target}": <source {auth}> applies to authenticated clients only; name a source of its own`);
        } else if (!refExists(config, def.ref!, target)) {
          error(o, `${name} "${target}" names no ${REF_WHAT[def.ref!]}`);
        }
      });
    }
  }
  out.push(...validatePatternLists(config, (kind, name) => refExists(config, kind, name)));
  out.push(...validateRollups(config));
  out.push(...validateCatchAll(config));
  out.push(...validateRequireAuth(config));
  for (const [key, pool] of Object.entries(config.pools)) {
    if (key in config.vmtas) error(pool.origin, `<virtual-mta-pool ${pool.name}> has the name of a <virtual-mta>`);
    if (!pool.settings['virtual-mta']?.length) error(pool.origin, `<virtual-mta-pool ${pool.name}> has no virtual-mta members`);
  }
  return out;
}

/** Lines of <bounce-category-patterns> after a catch-all `//` line can never match: say so at each. */
function validateCatchAll(config: VmtaConfig): Diagnostic[] {
  const stanza = config.bounceCategoryPatterns;
  const lines = stanza?.settings.pattern ?? [];
  const at = lines.findIndex((p) => p.regex.source === '' && p.custom === undefined && p.category !== 'success');
  if (stanza === undefined || at < 0) return [];
  const catchAll = stanza.origins.pattern?.[at] ?? stanza.origin;
  return lines.slice(at + 1).flatMap((p, i) => {
    if (p.custom !== undefined || p.category === 'success') return [];
    const o = stanza.origins.pattern?.[at + 1 + i] ?? stanza.origin;
    return [
      {
        severity: 'warning' as const,
        code: 'CONFIG_REFERENCE' as const,
        file: o.file,
        line: o.line,
        message: `this <bounce-category-patterns> line never matches: the catch-all // at ${catchAll.file}:${catchAll.line} comes before it (first match wins)`,
      },
    ];
  });
}

/** A rollup name with only wildcard entries has no hosts to connect to without smtp-hosts on <domain NAME.rollup>: nothing is rolled into it. */
function validateRollups(config: VmtaConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const list of config.mxRollupLists) {
    (list.settings.mx ?? []).forEach((entry, i) => {
      if (seen.has(entry.name) || entry.byIp === true) return;
      seen.add(entry.name);
      if (domainPolicy(config, entry.name).settings['smtp-hosts'] !== undefined) return;
      const o = list.origins.mx?.[i] ?? list.origin;
      out.push({
        severity: 'warning',
        code: 'CONFIG_REFERENCE',
        file: o.file,
        line: o.line,
        message: `mx ${entry.wildcard ? '*.' : ''}${entry.host} ${entry.name}: ${entry.name} lists only wildcard hosts and <domain ${entry.name}> has no smtp-hosts; no domain is rolled up into it`,
      });
    });
  }
  return out;
}

/** require-auth with no <smtp-user> that has a password: every client of that source gets 530, and no AUTH is offered. */
function validateRequireAuth(config: VmtaConfig): Diagnostic[] {
  if (hasPasswordUsers(config)) return [];
  return allStanzas(config)
    .filter((s) => s.scope === 'source' && (s.settings as Record<string, unknown>)['require-auth'] === true)
    .map((s) => {
      const o = s.origins['require-auth']?.[0] ?? s.origin;
      return {
        severity: 'warning' as const,
        code: 'CONFIG_REFERENCE' as const,
        file: o.file,
        line: o.line,
        message: `require-auth yes in <source ${s.name}>, but no <smtp-user> has a password: every client of this source is refused (530) and no AUTH is offered`,
      };
    });
}
