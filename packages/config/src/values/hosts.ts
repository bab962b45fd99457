import { parseCidr, cidrSchema, type CidrValue } from './cidr.js';
import { fail, isHostName, normalizeHostName, parsePortNumber, valueText } from './common.js';
import { normalizeIp } from './ip.js';
import { parseHostName } from './scalars.js';
import type { ValueType } from './value-type.js';

export type HostListItem =
  | { kind: 'host'; host: string; port?: number }
  | { kind: 'ip'; ip: string; port?: number }
  | { kind: 'lookup-mx'; domain: string };
/** Preference levels in order; the hosts inside one level are equivalent. */
export type HostList = HostListItem[][];

export interface SourceHost {
  cidr: CidrValue;
  hostName: string;
}

export interface NameServer {
  ip: string;
  port: number;
}

export const HOST_LIST_EXPECTED =
  'hosts separated by "," (same preference) or ";" (next preference), each host, host:port, [ip], [ip]:port or lookup-mx:domain, e.g. mx1.example.com, mx2.example.com; [10.1.1.1]:2525';
export const SOURCE_HOST_EXPECTED = 'IP-or-CIDR HOSTNAME, e.g. 10.0.0.5 mail.example.com';
export const NAME_SERVER_EXPECTED = 'IP[:PORT], e.g. 8.8.8.8, 10.0.0.53:5353, 2001:db8::53 or [2001:db8::53]:53';

/** Splits `[ip]:port` / `[ip]`; undefined when the text does not start with "[". */
function splitBracketed(text: string): { inner: string; portText?: string } | 'bad' | undefined {
  if (!text.startsWith('[')) return undefined;
  const close = text.indexOf(']');
  if (close < 0) return 'bad';
  const rest = text.slice(close + 1);
  const inner = text.slice(1, close).replace(/^ipv6:/i, '');
  if (rest === '') return { inner };
  if (!rest.startsWith(':')) return 'bad';
  return { inner, portText: rest.slice(1) };
}

function parseHostItem(item: string, whole: string): HostListItem {
  const bad = (reason: string): Error => fail('host-list', HOST_LIST_EXPECTED, whole, reason);
  if (item === '') throw bad('an entry between separators is empty');
  if (/\s/.test(item)) throw bad(`"${item}": separate hosts with "," or ";"`);
  const mx = /^lookup-mx:(.*)$/i.exec(item);
  if (mx !== null) {
    const domain = mx[1] ?? '';
    if (!isHostName(domain)) throw bad(`"${domain}" is not a domain name`);
    return { kind: 'lookup-mx', domain: normalizeHostName(domain) };
  }
  const port = (portText: string | undefined): number | undefined => {
    if (portText === undefined) return undefined;
    const n = parsePortNumber(portText, 1);
    if (n === undefined) throw bad(`"${portText}" is not a port number from 1 to 65535`);
    return n;
  };
  const bracketed = splitBracketed(item);
  if (bracketed === 'bad') throw bad(`"${item}" is not [ip] or [ip]:port`);
  if (bracketed !== undefined) {
    const ip = normalizeIp(bracketed.inner);
    if (ip === undefined) throw bad(`"${bracketed.inner}" is not an IP address`);
    const p = port(bracketed.portText);
    return p === undefined ? { kind: 'ip', ip: ip.address } : { kind: 'ip', ip: ip.address, port: p };
  }
  const parts = item.split(':');
  if (parts.length > 2) throw bad(`"${item}": write IPv6 addresses in brackets, e.g. [2001:db8::1]:25`);
  const [name = '', portText] = parts;
  const p = port(portText);
  const ip = normalizeIp(name);
  if (ip !== undefined) return p === undefined ? { kind: 'ip', ip: ip.address } : { kind: 'ip', ip: ip.address, port: p };
  if (!isHostName(name)) throw bad(`"${name}" is not a host name`);
  const host = normalizeHostName(name);
  return p === undefined ? { kind: 'host', host } : { kind: 'host', host, port: p };
}

/** `h1, h2; [10.1.1.1]:2525; last`: commas separate hosts of one preference, semicolons the levels. */
export function parseHostList(text: string): HostList {
  return text.split(';').map((level) => level.split(',').map((item) => parseHostItem(item.trim(), text)));
}

/** `IP`, `IP:PORT`, `IPv6`, `[IPv6]:PORT`; port defaults to 53. */
export function parseNameServer(text: string): NameServer {
  const bad = (reason?: string): Error => fail('name-server', NAME_SERVER_EXPECTED, text, reason);
  let ipText = text;
  let portText: string | undefined;
  const bracketed = splitBracketed(text);
  if (bracketed === 'bad') throw bad();
  if (bracketed !== undefined) {
    ipText = bracketed.inner;
    portText = bracketed.portText;
  } else if (text.split(':').length === 2) {
    [ipText = '', portText] = text.split(':');
  }
  const ip = normalizeIp(ipText);
  if (ip === undefined) throw bad(`"${ipText}" is not an IP address`);
  if (portText === undefined) return { ip: ip.address, port: 53 };
  const port = parsePortNumber(portText, 1);
  if (port === undefined) throw bad(`"${portText}" is not a port number from 1 to 65535`);
  return { ip: ip.address, port };
}

const portSchema = { type: 'integer', minimum: 1, maximum: 65535 } as const;

export const hostListType: ValueType<HostList> = {
  name: 'host-list',
  expected: HOST_LIST_EXPECTED,
  parse: (raw, words) => parseHostList(valueText(raw, words)),
  schema: {
    type: 'array',
    minItems: 1,
    items: {
      type: 'array',
      minItems: 1,
      items: {
        anyOf: [
          {
            type: 'object',
            properties: { kind: { type: 'string', const: 'host' }, host: { type: 'string', minLength: 1 }, port: portSchema },
            required: ['kind', 'host'],
            additionalProperties: false,
          },
          {
            type: 'object',
            properties: { kind: { type: 'string', const: 'ip' }, ip: { type: 'string', minLength: 2 }, port: portSchema },
            required: ['kind', 'ip'],
            additionalProperties: false,
          },
          {
            type: 'object',
            properties: { kind: { type: 'string', const: 'lookup-mx' }, domain: { type: 'string', minLength: 1 } },
            required: ['kind', 'domain'],
            additionalProperties: false,
          },
        ],
      },
    },
  },
};

export const sourceHostType: ValueType<SourceHost> = {
  name: 'source-host',
  expected: SOURCE_HOST_EXPECTED,
  parse(raw, words) {
    const [cidrText, hostText, ...rest] = words;
    if (cidrText === undefined || hostText === undefined || rest.length > 0) {
      throw fail('source-host', SOURCE_HOST_EXPECTED, raw, 'expected exactly two words');
    }
    return { cidr: parseCidr(cidrText), hostName: parseHostName(hostText) };
  },
  schema: {
    type: 'object',
    properties: { cidr: cidrSchema, hostName: { type: 'string', minLength: 1 } },
    required: ['cidr', 'hostName'],
    additionalProperties: false,
  },
};

export const nameServerType: ValueType<NameServer> = {
  name: 'name-server',
  expected: NAME_SERVER_EXPECTED,
  parse(raw, words) {
    if (words.length !== 1 || words[0] === undefined) throw fail('name-server', NAME_SERVER_EXPECTED, raw);
    return parseNameServer(words[0]);
  },
  schema: {
    type: 'object',
    properties: { ip: { type: 'string', minLength: 2 }, port: portSchema },
    required: ['ip', 'port'],
    additionalProperties: false,
  },
};
