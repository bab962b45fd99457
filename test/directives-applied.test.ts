/**
 * No directive accepted in silence: every directive the schema accepts is either applied
 * somewhere (APPLIED below names the module that reads it) or listed in packages/config's
 * not-applied table, which makes `vmta check` warn "not applied yet" with file:line.
 * A new directive in the schema fails this test until it is one or the other.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkConfigText, directiveDef, directiveNames, notApplied, notAppliedPatternActions, scopeNames, type ScopeName } from '@vmta/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const LISTENER = 'packages/listener/src';
const DELIVERY = 'packages/delivery/src';

/** Where each applied directive is read: a module that names it (settings['name'] or settings.name) where it uses its value. */
const APPLIED: { [S in ScopeName]?: Record<string, string> } = {
  global: {
    'smtp-listener': 'packages/config/src/listeners.ts',
    'smtp-server-tls-certificate': 'packages/config/src/listeners.ts',
    'host-name': `${LISTENER}/listener-runtime.ts`,
    'smtp-source-host': `${DELIVERY}/stages/select-source.ts`,
    'name-server': `${DELIVERY}/worker/delivery-service.ts`,
    postmaster: 'packages/config/src/policy/notice-sender.ts',
    'relay-domain': `${LISTENER}/policy/relay.ts`,
    'relay-address': `${LISTENER}/policy/relay.ts`,
    'http-mgmt-port': 'packages/http/src/server.ts',
    'http-access': 'packages/http/src/router.ts',
    'total-max-smtp-in': `${LISTENER}/listener-runtime.ts`,
    'http-api-key': 'packages/http/src/router.ts',
    'http-inject-port': `${LISTENER}/listener.ts`,
    'http-inject-tls-certificate': `${LISTENER}/inject/inject-server.ts`,
    'redis-wait-replicas': `${LISTENER}/listener.ts`,
    'redis-wait-timeout': `${LISTENER}/listener.ts`,
    'domain-key': 'packages/config/src/dkim-keys.ts',
    // Expanded into <domain> stanzas when the config is read (a <domain aol.$tld> is one stanza per name).
    'domain-macro': 'packages/config/src/build.ts',
    'auto-suppress': 'packages/config/src/policy/suppression.ts',
    'event-stream': 'packages/config/src/policy/event-stream.ts',
    'auto-suppress-categories': 'packages/config/src/policy/suppression.ts',
    'auto-suppress-expire': 'packages/config/src/policy/suppression.ts',
    'suppression-tenant': 'packages/config/src/policy/suppression.ts',
    'use-suppression-store': `${LISTENER}/suppression-stage.ts`,
    'body-compression': `${LISTENER}/listener.ts`,
  },
  'smtp-user': {
    password: `${LISTENER}/auth-stage.ts`,
    'authentication-method': `${LISTENER}/auth-stage.ts`,
    source: 'packages/config/src/policy/source-policy.ts',
    'http-inject-api-key': `${LISTENER}/inject/inject-auth.ts`,
    'http-inject-max-request-rate': `${LISTENER}/inject/inject-rate.ts`,
  },
  source: {
    'always-allow-relaying': `${LISTENER}/policy/relay.ts`,
    'require-auth': `${LISTENER}/envelope-stage.ts`,
    'allow-auth': `${LISTENER}/ehlo-features.ts`,
    'allow-starttls': `${LISTENER}/smtp-listener.ts`,
    'require-starttls-before-auth': `${LISTENER}/ehlo-features.ts`,
    'allow-unencrypted-plain-auth': `${LISTENER}/ehlo-features.ts`,
    'smtp-max-auth-failure-rate': `${LISTENER}/auth-stage.ts`,
    'default-virtual-mta': `${LISTENER}/policy/vmta-selection.ts`,
    'process-x-virtual-mta': `${LISTENER}/policy/vmta-selection.ts`,
    'retain-x-virtual-mta': `${LISTENER}/message-builder.ts`,
    'reject-invalid-virtual-mta': `${LISTENER}/policy/vmta-selection.ts`,
    'max-message-size': `${LISTENER}/ehlo-features.ts`,
    'max-rcpt-per-message': `${LISTENER}/envelope-stage.ts`,
    'add-received-header': `${LISTENER}/message-builder.ts`,
    'hide-message-source': `${LISTENER}/message-builder.ts`,
    'remove-received-headers': `${LISTENER}/message-builder.ts`,
    'smtp-service': `${LISTENER}/smtp-listener.ts`,
    'log-connections': `${LISTENER}/smtp-listener.ts`,
    'log-commands': `${LISTENER}/smtp-listener.ts`,
    'relay-debug': `${LISTENER}/policy/relay.ts`,
    'max-message-hops': `${LISTENER}/message-builder.ts`,
    'max-smtp-in-per-ip': `${LISTENER}/smtp-listener.ts`,
    'smtp-data-timeout': `${LISTENER}/smtp-listener.ts`,
    'pattern-list': `${LISTENER}/message-builder.ts`,
    'process-x-job': `${LISTENER}/policy/job-header.ts`,
    'retain-x-job': `${LISTENER}/policy/job-header.ts`,
    'jobid-header': `${LISTENER}/policy/job-header.ts`,
    'jobid-prefix': `${LISTENER}/policy/job-header.ts`,
    'suppression-lists': `${LISTENER}/suppression-stage.ts`,
    'accept-invalid-recipients': `${LISTENER}/suppression-stage.ts`,
  },
  'smtp-listener': {
    'immediate-tls': 'packages/config/src/listeners.ts',
    source: 'packages/config/src/listeners.ts',
    'tls-certificate': 'packages/config/src/listeners.ts',
  },
  'virtual-mta': {
    'smtp-source-host': `${DELIVERY}/stages/select-source.ts`,
    'host-name': `${DELIVERY}/stages/select-source.ts`,
    'max-smtp-out': `${DELIVERY}/worker/limits.ts`,
    'domain-key': 'packages/config/src/dkim-keys.ts',
  },
  'virtual-mta-pool': { 'virtual-mta': 'packages/config/src/policy/vmta.ts', 'domain-key': 'packages/config/src/dkim-keys.ts' },
  domain: {
    'use-starttls': `${DELIVERY}/stages/tls-policy.ts`,
    'dkim-sign': `${DELIVERY}/stages/dkim-sign.ts`,
    'dkim-identity': `${DELIVERY}/stages/dkim-sign.ts`,
    'dkim-headers': `${DELIVERY}/stages/dkim-sign.ts`,
    'dkim-headers-canon': `${DELIVERY}/stages/dkim-sign.ts`,
    'dkim-body-canon': `${DELIVERY}/stages/dkim-sign.ts`,
    'require-starttls': `${DELIVERY}/stages/tls-policy.ts`,
    'smtp-hosts': `${DELIVERY}/stages/route.ts`,
    'default-smtp-port': `${DELIVERY}/stages/route.ts`,
    'retry-after': `${DELIVERY}/worker/token-processor.ts`,
    'retry-recipients-after': `${DELIVERY}/worker/expiry.ts`,
    'bounce-after': `${DELIVERY}/worker/expiry.ts`,
    'bounce-upon-no-mx': `${DELIVERY}/stages/route.ts`,
    'max-smtp-out': `${DELIVERY}/worker/limits.ts`,
    'max-msg-per-connection': `${DELIVERY}/worker/token-processor.ts`,
    'max-rcpt-per-transaction': `${DELIVERY}/worker/limits.ts`,
    'max-msg-rate': `${DELIVERY}/worker/limits.ts`,
    'max-connect-rate': `${DELIVERY}/worker/limits.ts`,
    'connect-timeout': `${DELIVERY}/smtp-client/connect.ts`,
    'smtp-greeting-timeout': `${DELIVERY}/smtp-client/connect.ts`,
    'data-send-timeout': `${DELIVERY}/smtp-client/connect.ts`,
    'connection-idle-timeout': `${DELIVERY}/smtp-client/connect.ts`,
    'smtp-pattern-list': `${DELIVERY}/worker/traffic-shaping.ts`,
    'backoff-max-msg-rate': `${DELIVERY}/stages/backoff-policy.ts`,
    'backoff-retry-after': `${DELIVERY}/stages/backoff-policy.ts`,
    'backoff-max-smtp-out': `${DELIVERY}/stages/backoff-policy.ts`,
    'backoff-max-msg-per-connection': `${DELIVERY}/stages/backoff-policy.ts`,
    'backoff-to-normal-after': `${DELIVERY}/stages/backoff-policy.ts`,
    'backoff-to-normal-after-delivery': `${DELIVERY}/worker/traffic-shaping.ts`,
    'reenable-source-ip-after': `${DELIVERY}/stages/pattern-actions.ts`,
    'disabled-source-ip-notify': `${DELIVERY}/worker/source-gate.ts`,
    'max-cold-virtual-mta-msg': `${DELIVERY}/stages/warm-up.ts`,
    'backoff-notify': `${DELIVERY}/worker/traffic-shaping.ts`,
    'queue-priority': `${DELIVERY}/worker/limits.ts`,
    'reroute-to-virtual-mta': `${DELIVERY}/stages/backoff-policy.ts`,
    'backoff-reroute-to-virtual-mta': `${DELIVERY}/stages/backoff-policy.ts`,
    'backoff-recovery-steps': `${DELIVERY}/stages/backoff-recovery.ts`,
    'backoff-recovery-step-time': `${DELIVERY}/stages/backoff-recovery.ts`,
    'smtp-tls-verify-certificate': `${DELIVERY}/stages/tls-policy.ts`,
    'smtp-tls-allow-tlsv1': `${DELIVERY}/stages/tls-policy.ts`,
    'smtp-tls-allow-tlsv1.1': `${DELIVERY}/stages/tls-policy.ts`,
    'smtp-tls-ca-file': `${DELIVERY}/smtp-client/connect.ts`,
    'mx-address-limit': `${DELIVERY}/stages/route.ts`,
    'mx-session-limit': `${DELIVERY}/smtp-client/connect.ts`,
    'smtp-attempt-timeout': `${DELIVERY}/worker/token-processor.ts`,
    'queue-to': 'packages/config/src/policy/mx-rollup.ts',
    'disable-mx-rollup': 'packages/config/src/policy/mx-rollup.ts',
  },
  'mx-rollup-list': { mx: 'packages/config/src/policy/mx-rollup.ts' },
  'smtp-pattern-list': { reply: 'packages/config/src/policy/reply-patterns.ts' },
  'pattern-list': {
    'mail-from': `${LISTENER}/policy/pattern-routing.ts`,
    'rcpt-to': `${LISTENER}/policy/pattern-routing.ts`,
    header: `${LISTENER}/policy/pattern-routing.ts`,
  },
  'bounce-category-patterns': { pattern: 'packages/config/src/policy/reply-patterns.ts' },
  'address-list': {
    address: `${LISTENER}/address-lists.ts`,
    domain: `${LISTENER}/address-lists.ts`,
    'address-file': `${LISTENER}/address-lists.ts`,
  },
  'feedback-loop-processor': {
    address: 'packages/config/src/policy/processors.ts',
    domain: 'packages/config/src/policy/processors.ts',
    'suppress-complaints': 'packages/config/src/policy/processors.ts',
    'deliver-unmatched-email': 'packages/config/src/policy/processors.ts',
    'deliver-matched-email': 'packages/config/src/policy/processors.ts',
    'forward-errors-to': 'packages/config/src/policy/processors.ts',
    'forward-unmatched-to': 'packages/config/src/policy/processors.ts',
  },
  'bounce-processor': {
    address: 'packages/config/src/policy/processors.ts',
    domain: 'packages/config/src/policy/processors.ts',
    'deliver-unmatched-email': 'packages/config/src/policy/processors.ts',
    'deliver-matched-email': 'packages/config/src/policy/processors.ts',
    'forward-errors-to': 'packages/config/src/policy/processors.ts',
    'forward-unmatched-to': 'packages/config/src/policy/processors.ts',
  },
  webhook: {
    url: `${DELIVERY}/webhooks/webhook-settings.ts`,
    events: `${DELIVERY}/webhooks/webhook-settings.ts`,
    secret: `${DELIVERY}/webhooks/webhook-settings.ts`,
    timeout: `${DELIVERY}/webhooks/webhook-settings.ts`,
    concurrency: `${DELIVERY}/webhooks/webhook-settings.ts`,
    'retry-initial': `${DELIVERY}/webhooks/webhook-settings.ts`,
    'retry-max': `${DELIVERY}/webhooks/webhook-settings.ts`,
    'batch-size': `${DELIVERY}/webhooks/webhook-settings.ts`,
    'batch-wait': `${DELIVERY}/webhooks/webhook-settings.ts`,
  },
  'acct-file': {
    records: `${DELIVERY}/accounting/record-format.ts`,
    'record-fields': `${DELIVERY}/accounting/record-format.ts`,
    'move-interval': `${DELIVERY}/accounting/accounting-writer.ts`,
    'max-size': `${DELIVERY}/accounting/accounting-writer.ts`,
    'delete-after': `${DELIVERY}/accounting/accounting-writer.ts`,
  },
};

/** Results of a <pattern-list> rule (`virtual-mta=`, ...) and where each is applied; the same rule as APPLIED. */
const APPLIED_PATTERN_RESULTS: Record<string, string> = {
  'virtual-mta': `${LISTENER}/policy/pattern-routing.ts`,
  'call-to': `${LISTENER}/policy/pattern-routing.ts`,
  // Read there into the decision; message-builder.ts hands it to the enqueue (@vmta/queue priority.ts).
  'recipient-priority': `${LISTENER}/policy/pattern-routing.ts`,
};

const has = (table: { [S in ScopeName]?: object }, scope: ScopeName, name: string): boolean =>
  Object.prototype.hasOwnProperty.call(table[scope] ?? {}, name);

const every = scopeNames.flatMap((scope) => directiveNames(scope).map((name) => ({ scope, name, def: directiveDef(scope, name)! })));

describe('no directive accepted in silence', () => {
  it.each(every.map((e) => [e.scope, e.name] as const))('<%s> %s is applied or warned about', (scope, name) => {
    const alias = directiveDef(scope, name)!.aliasOf;
    // A deprecated alias is stored under its target (build.ts): it is whatever its target is.
    const target = alias ?? name;
    const applied = has(APPLIED, scope, target);
    const warned = has(notApplied, scope, target);
    expect({ scope, name, applied, warned }).toEqual({ scope, name, applied: !warned, warned: !applied });
  });

  it.each(every.filter((e) => has(APPLIED, e.scope, e.name)).map((e) => [e.scope, e.name, APPLIED[e.scope]![e.name]!] as const))(
    '<%s> %s is read in %s',
    (_scope, name, file) => {
      const full = path.join(root, file);
      expect(existsSync(full), `${file} does not exist: update APPLIED`).toBe(true);
      // settings['name'], settings["name"] or settings.name
      const mention = /^[a-z]\w*$/i.test(name) ? `['"]${name}['"]|\\.${name}\\b` : `['"]${name}['"]`;
      expect(readFileSync(full, 'utf8')).toMatch(new RegExp(mention));
    },
  );

  it('lists in the not-applied table only directives the schema has', () => {
    for (const [scope, table] of Object.entries(notApplied)) {
      for (const name of Object.keys(table)) expect(directiveDef(scope as ScopeName, name), `<${scope}> ${name}`).toBeDefined();
    }
  });
});

describe('no <pattern-list> result accepted in silence', () => {
  it.each(Object.entries(APPLIED_PATTERN_RESULTS))('%s is read in %s and not in the not-applied table', (name, file) => {
    expect(readFileSync(path.join(root, file), 'utf8')).toContain(`'${name}'`);
    expect(Object.keys(notAppliedPatternActions)).not.toContain(name);
  });

  it('knows every result the rule syntax accepts', () => {
    const rule = readFileSync(path.join(root, 'packages/config/src/values/pattern-rule.ts'), 'utf8');
    const accepted = [...rule.matchAll(/action: '([a-z-]+)'/g)].map((m) => m[1]!);
    expect(accepted.length).toBeGreaterThan(0);
    for (const name of new Set(accepted)) expect(name in APPLIED_PATTERN_RESULTS || name in notAppliedPatternActions, name).toBe(true);
  });
});

describe('vmta check on a directive not applied yet', () => {
  it('warns with file and line, and the configuration still loads', () => {
    const text = [
      'host-name mx.example',
      '<smtp-pattern-list p>',
      '  reply /421/ mode=backoff disable-source-ip',
      '</smtp-pattern-list>',
      '<domain *>',
      '  queue-priority 80',
      '  backoff-retry-after 1h',
      '  smtp-pattern-list p',
      '  max-smtp-out 5',
      '</domain>',
      '<pattern-list r>',
      '  rcpt-to /x/ recipient-priority=90',
      '</pattern-list>',
      '<domain q.example>',
      '  dkim-query-method dns/txt',
      '</domain>',
    ].join('\n');
    const result = checkConfigText(text, 'pmta.conf');
    expect(result.errors).toEqual([]);
    // disable-source-ip, queue-priority and recipient-priority= are applied: only dkim-query-method is warned.
    expect(result.warnings.map((w) => [w.code, `${w.file}:${w.line}`, w.message.replace(/ \(.*\)/, '')])).toEqual([
      ['CONFIG_UNSUPPORTED', 'pmta.conf:15', 'dkim-query-method in <domain q.example>: not applied yet; ignored'],
    ]);
  });
});
