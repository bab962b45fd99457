import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseValue, valueTypes, type ValueTypeName } from './index.js';

/** Valid inputs for every value type; the Record type makes the compiler demand an entry per type. */
const samples: Record<ValueTypeName, string[]> = {
  boolean: ['yes', 'false'],
  string: ['feeder', '"two words"'],
  text: ['anything goes here'],
  integer: ['0', '1000'],
  limit: ['0', '1000', 'unlimited'],
  port: ['0', '25', '65535'],
  'time-interval': ['1w2d12h', '300', '0'],
  'time-interval-list': ['10m,10m,1h'],
  size: ['40K', '123', 'unlimited'],
  rate: ['unlimited', '0', '83/10m'],
  cidr: ['0/0', '10/8', '::1', '2001:db8::/32'],
  'listener-address': ['0/0:25', '[::1]:25', '[::/0]:2525'],
  'domain-macro': ['topLevel com, de, co.uk', 'tld $com, .net'],
  'domain-pattern': ['*', 'example.com', '*.example.com', '[*.]example.com', '[10.0.0.0/8]', '[IPv6:::1]'],
  regex: ['/^5\\d\\d/', '/(?-i)Case/'],
  'address-or-regex': ['bounce@example.com', '/^bounce-/'],
  email: ['postmaster@example.com'],
  'email-list': ['ops@example.com', 'ops@example.com, noc@example.org'],
  'bounce-category-pattern': ['/user unknown/ bad-mailbox', '/(?-i)Over Quota/ quota-issues', '// other', '/^2.\\d.\\d/ success'],
  hostname: ['mail.example.com'],
  'host-list': ['h1, h2; [10.1.1.1]:2525; lookup-mx:other.com; last:26'],
  'source-host': ['10.0.0.5 mail.example.com', '0/0 mta.example.com'],
  'name-server': ['8.8.8.8', '[::1]:5353'],
  'domain-key': ['s1,example.com,/k.pem', 's1,*,/k.pem'],
  'http-access': ['127.0.0.1 admin', '0/0 none'],
  'http-api-key': ['0123456789abcdefghij', '0123456789abcdefghij operator'],
  certificate: ['/c.pem', '/c.pem secret'],
  'listener-spec': ['0/0:25', '10.0.1.22:2525 source=feeder'],
  'reply-pattern': ['/^421/ mode=backoff, disable-source-ip reenable-after=1h skip-mx', '/x/ mode=normal'],
  'pattern-rule': ['/^billing@/ virtual-mta=mta2', 'a@b.example virtual-mta=p,recipient-priority=90', '/x/ call-to:other'],
  'header-pattern-rule': ['X-Tenant /^\\s*acme/ virtual-mta=mta2'],
  'mx-rollup': ['mx1.example.com example.rollup', '*.yahoodns.net yahoo.rollup'],
  records: ['d,b,t,tq,r,f', 'd,b,rb,rs'],
  'event-types': ['d,b,f,rb,s', 'D, s'],
  'bounce-category-list': ['bad-mailbox,bad-domain', 'Quota-Issues'],
  'record-fields': ['d *,!dsnDiag,header_X-Name'],
  'auth-method': ['password', 'system'],
  'dkim-sign': ['yes', 'no', 'if-x-dkim-options-present'],
  'dkim-canon': ['simple', 'Relaxed'],
  'dkim-identity': ['sender-or-from', 'strict-from', '@esp.example', 'bounce@esp.example', 'esp.example'],
  'dkim-headers': ['X-Campaign', 'foo, /bar/, Baz'],
  'address-entry': ['foo', 'Foo@Example.com', '/^abuse@/'],
  'name-list': ['list1', 'a, b,c'],
  'reason-interval': ['bad-mailbox 90d', 'manual 0'],
  'suppression-tenant': ['smtp-user', 'source', 'global'],
  'body-compression': ['deflate', 'zstd', 'none', 'ZSTD'],
};

const rows = Object.entries(samples).flatMap(([name, raws]) => raws.map((raw) => [name as ValueTypeName, raw] as const));

describe('valueTypes', () => {
  it.each(Object.entries(valueTypes))('registers %s under its own name with an expected text', (name, type) => {
    expect(type.name).toBe(name);
    expect(type.expected.length).toBeGreaterThan(3);
  });

  it.each(rows)('turns %s %j into plain JSON data', (name, raw) => {
    const value = parseValue(name, raw);
    expect(JSON.parse(JSON.stringify(value))).toEqual(value);
  });

  const ajv = new Ajv2020({ strict: true, allErrors: true });
  it.each(Object.entries(valueTypes))('has a strict-mode valid JSON schema for %s', (_name, type) => {
    expect(() => ajv.compile(type.schema)).not.toThrow();
  });

  it.each(rows)('validates the parsed %s %j against its schema', (name, raw) => {
    const validate = ajv.compile(valueTypes[name].schema);
    const value = parseValue(name, raw);
    expect(validate(value), ajv.errorsText(validate.errors)).toBe(true);
  });

  it.each<[ValueTypeName, unknown]>([
    ['boolean', 'yes'],
    ['integer', -1],
    ['port', 70000],
    ['time-interval-list', []],
    ['size', 'lots'],
    ['rate', { count: 1, perMs: 0 }],
    ['rate', { count: 1 }],
    ['cidr', { text: '10/8', address: '10.0.0.0', prefix: 8, family: 5, any: false }],
    ['regex', { source: 'x', flags: 'g' }],
    ['reply-pattern', { regex: { source: 'x', flags: 'i' }, actions: [{ action: 'explode' }] }],
    ['pattern-rule', { match: { kind: 'exact', text: 'x' }, actions: [{ action: 'recipient-priority', value: 101 }] }],
    ['header-pattern-rule', { match: { kind: 'exact', text: 'x' }, actions: [{ action: 'virtual-mta', value: 'a' }] }],
    ['records', ['d', 'd']],
    ['event-types', ['x']],
    ['auth-method', 'kerberos'],
    ['dkim-sign', 'maybe'],
    ['dkim-identity', { kind: 'identity', identity: 'x' }],
    ['dkim-headers', []],
  ])('rejects a malformed parsed %s value %j in its schema', (name, value) => {
    expect(ajv.validate(valueTypes[name].schema, value)).toBe(false);
  });
});
