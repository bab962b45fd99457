import { cidrSchema, parseCidr, type CidrValue } from './cidr.js';
import { fail, isHostName, normalizeHostName, valueText } from './common.js';
import type { ValueType } from './value-type.js';

export interface DomainKey {
  selector: string;
  /** Lowercased domain, or '*' for any sender domain. */
  domain: string;
  keyFile: string;
}

export type HttpAccessLevel = 'none' | 'monitor' | 'operator' | 'admin';
export interface HttpAccess {
  cidr: CidrValue;
  level: HttpAccessLevel;
  /**
   * `monitor,deny-logs` (PowerMTA §3.3.1.36.3: "monitor access level can be qualified with deny-logs").
   * vmta's monitor serves no log files (logs go to stdout), so there is nothing more to deny.
   */
  denyLogs?: true;
}

export interface CertificateValue {
  file: string;
  password?: string;
}

export const DOMAIN_KEY_EXPECTED = 'SELECTOR,DOMAIN-or-*,KEYFILE, e.g. s1,example.com,/etc/vmta/s1.example.com.pem';
export const HTTP_ACCESS_EXPECTED = 'CIDR {none|monitor[,deny-logs]|operator|admin}, e.g. 127.0.0.1 admin';
export const CERTIFICATE_EXPECTED = 'FILE [PASSWORD]';

const SELECTOR_RE = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/i;
const HTTP_LEVELS: readonly HttpAccessLevel[] = ['none', 'monitor', 'operator', 'admin'];

export function parseDomainKey(text: string): DomainKey {
  const bad = (reason?: string): Error => fail('domain-key', DOMAIN_KEY_EXPECTED, text, reason);
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length < 3) throw bad('expected three comma-separated parts');
  const [selector = '', domain = ''] = parts;
  const keyFile = parts.slice(2).join(',');
  if (!SELECTOR_RE.test(selector)) throw bad(`"${selector}" is not a valid selector`);
  if (domain !== '*' && !isHostName(domain)) throw bad(`"${domain}" is not a domain name or *`);
  if (keyFile === '') throw bad('the key file is missing');
  return { selector, domain: domain === '*' ? '*' : normalizeHostName(domain), keyFile };
}

export const domainKeyType: ValueType<DomainKey> = {
  name: 'domain-key',
  expected: DOMAIN_KEY_EXPECTED,
  parse: (raw, words) => parseDomainKey(valueText(raw, words)),
  schema: {
    type: 'object',
    properties: {
      selector: { type: 'string', minLength: 1 },
      domain: { type: 'string', minLength: 1 },
      keyFile: { type: 'string', minLength: 1 },
    },
    required: ['selector', 'domain', 'keyFile'],
    additionalProperties: false,
  },
};

export const httpAccessType: ValueType<HttpAccess> = {
  name: 'http-access',
  expected: HTTP_ACCESS_EXPECTED,
  parse(raw, words) {
    const [cidrText, levelText, ...rest] = words;
    if (cidrText === undefined || levelText === undefined || rest.length > 0) {
      throw fail('http-access', HTTP_ACCESS_EXPECTED, raw, 'expected a CIDR and an access level');
    }
    const lower = levelText.toLowerCase();
    const denyLogs = lower === 'monitor,deny-logs';
    const level = denyLogs ? 'monitor' : HTTP_LEVELS.find((l) => l === lower);
    if (level === undefined) throw fail('http-access', HTTP_ACCESS_EXPECTED, raw, `unknown access level "${levelText}"`);
    return denyLogs ? { cidr: parseCidr(cidrText), level, denyLogs } : { cidr: parseCidr(cidrText), level };
  },
  schema: {
    type: 'object',
    properties: { cidr: cidrSchema, level: { type: 'string', enum: [...HTTP_LEVELS] }, denyLogs: { type: 'boolean', const: true } },
    required: ['cidr', 'level'],
    additionalProperties: false,
  },
};

export const certificateType: ValueType<CertificateValue> = {
  name: 'certificate',
  expected: CERTIFICATE_EXPECTED,
  parse(raw, words) {
    const [file, password, ...rest] = words;
    if (file === undefined || file === '' || rest.length > 0) {
      throw fail('certificate', CERTIFICATE_EXPECTED, raw, 'expected a file name and an optional password');
    }
    return password === undefined ? { file } : { file, password };
  },
  schema: {
    type: 'object',
    properties: { file: { type: 'string', minLength: 1 }, password: { type: 'string' } },
    required: ['file'],
    additionalProperties: false,
  },
};
