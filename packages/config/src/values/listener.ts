import { parseCidr } from './cidr.js';
import { fail, parsePortNumber, singleWord } from './common.js';
import { ValueError } from './errors.js';
import type { ValueType } from './value-type.js';

export interface ListenerAddress {
  /** As written in the config. */
  text: string;
  /** Address to bind: '0.0.0.0' for 0/0, '::' for ::/0, else the IP. */
  address: string;
  port: number;
  /** True when the listener binds a wildcard address (0/0, ::/0, 0.0.0.0, ::). */
  any: boolean;
}

export interface ListenerSpec {
  address: ListenerAddress;
  /** Named `<source>` whose settings apply to clients of this listener. */
  source?: string;
}

export const LISTENER_ADDRESS_EXPECTED = 'ADDRESS:PORT, e.g. 0/0:25 (all addresses), 10.0.1.22:25 or [::1]:25';
export const LISTENER_SPEC_EXPECTED = 'ADDRESS:PORT [source=NAME], e.g. 0/0:25 or 10.0.1.22:2525 source=feeder';

/** `0/0:25`, `10.0.1.22:25`, `127.0.0.1:2525`, `[::1]:25`, `[::/0]:25`, `[::]:25`. */
export function parseListenerAddress(text: string): ListenerAddress {
  const bad = (reason?: string): Error => fail('listener-address', LISTENER_ADDRESS_EXPECTED, text, reason);
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw bad('missing "]"');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (!rest.startsWith(':')) throw bad('missing ":PORT" after the address');
    portText = rest.slice(1);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw bad('missing ":PORT"');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) throw bad('write IPv6 addresses in brackets, e.g. [::1]:25');
  }
  let cidr;
  try {
    cidr = parseCidr(host);
  } catch (e) {
    if (e instanceof ValueError) throw bad(`"${host}" is not an IP address or 0/0`);
    throw e;
  }
  const port = parsePortNumber(portText);
  if (port === undefined) throw bad(`"${portText}" is not a port number from 0 to 65535`);
  const hostBits = cidr.family === 4 ? 32 : 128;
  if (cidr.prefix === 0) {
    return { text, address: cidr.family === 4 ? '0.0.0.0' : '::', port, any: true };
  }
  if (cidr.prefix !== hostBits) throw bad('a listener binds one address or all of them (0/0), not a network');
  return { text, address: cidr.address, port, any: cidr.address === '0.0.0.0' || cidr.address === '::' };
}

const listenerAddressSchema = {
  type: 'object',
  properties: {
    text: { type: 'string', minLength: 1 },
    address: { type: 'string', minLength: 2 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    any: { type: 'boolean' },
  },
  required: ['text', 'address', 'port', 'any'],
  additionalProperties: false,
} as const;

export const listenerAddressType: ValueType<ListenerAddress> = {
  name: 'listener-address',
  expected: LISTENER_ADDRESS_EXPECTED,
  parse: (raw, words) =>
    parseListenerAddress(singleWord('listener-address', LISTENER_ADDRESS_EXPECTED, raw, words)),
  schema: listenerAddressSchema,
};

export const listenerSpecType: ValueType<ListenerSpec> = {
  name: 'listener-spec',
  expected: LISTENER_SPEC_EXPECTED,
  parse(raw, words) {
    const [first, ...options] = words;
    if (first === undefined) throw fail('listener-spec', LISTENER_SPEC_EXPECTED, raw, 'the value is empty');
    const spec: ListenerSpec = { address: parseListenerAddress(first) };
    for (const option of options) {
      const m = /^source=(\S+)$/i.exec(option);
      if (m?.[1] === undefined) {
        throw fail('listener-spec', LISTENER_SPEC_EXPECTED, raw, `unknown option "${option}"`);
      }
      if (spec.source !== undefined) throw fail('listener-spec', LISTENER_SPEC_EXPECTED, raw, 'source= given twice');
      spec.source = m[1];
    }
    return spec;
  },
  schema: {
    type: 'object',
    properties: { address: listenerAddressSchema, source: { type: 'string', minLength: 1 } },
    required: ['address'],
    additionalProperties: false,
  },
};
