/**
 * Stage "dkim-sign": the message as it goes on the wire, with DKIM-Signature headers on top,
 * signed by mailauth (rsa-sha256 and ed25519-sha256, RFC 6376 / RFC 8463). Runs at delivery,
 * on the stored message (our header edits are done at reception), once per message and VMTA:
 * - the signature is deterministic: t= is the time the message was received, and RSA PKCS#1 v1.5
 *   and Ed25519 signatures of the same bytes are the same bytes; so a retry, or another process,
 *   gets the same header;
 * - the headers are kept in a bounded in-process cache keyed by message, VMTA, keys (with a
 *   fingerprint of each key, so a rotated key signs afresh) and options, so a retry or another
 *   queue of the same message on this process does not sign again.
 * Keys are read once per configuration: a reload (a new configuration object) reads them again.
 */
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import {
  chooseDkimKeys,
  DkimKeyError,
  domainKeysFor,
  readDomainKey,
  DKIM_UNSIGNABLE_HEADERS,
  type DkimHeaderItem,
  type DomainPolicy,
  type LoadedDomainKey,
  type ScopedDomainKey,
  type VmtaConfig,
} from '@vmta/config';
import type { Logger } from 'pino';

/** PowerMTA's list of headers always signed when present (§3.3.10.27). */
export const DKIM_DEFAULT_HEADERS: readonly string[] = [
  'from', 'sender', 'reply-to', 'subject', 'date', 'message-id', 'to', 'cc', 'mime-version', 'content-type',
  'content-transfer-encoding', 'content-id', 'content-description', 'resent-date', 'resent-from', 'resent-sender',
  'resent-to', 'resent-cc', 'resent-message-id', 'in-reply-to', 'references', 'list-id', 'list-help',
  'list-unsubscribe', 'list-subscribe', 'list-post', 'list-owner', 'list-archive',
];

export interface DkimMessage {
  id: string;
  body: Buffer;
  receivedAt: number;
  vmtaPool?: string;
}

interface RingKey extends ScopedDomainKey {
  kind: 'rsa' | 'ed25519';
  loaded: LoadedDomainKey;
}

export interface HeaderSection {
  /** Lowercased field names, in order. */
  names: string[];
  /** Unfolded value of the first field of a name. */
  first(name: string): string | undefined;
}

/** The header section of a message (up to the first empty line), unfolded. */
export function readHeaderSection(body: Buffer): HeaderSection {
  const end = body.indexOf('\r\n\r\n');
  const text = body.subarray(0, end < 0 ? body.length : end).toString('latin1');
  const fields: Array<[string, string]> = [];
  for (const line of text.split('\r\n')) {
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1]![1] += line;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1)]);
    }
  }
  return { names: fields.map(([n]) => n), first: (name) => fields.find(([n]) => n === name)?.[1] };
}

function domainOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const flat = (list: addressparser.AddressOrGroup[]): addressparser.Address[] =>
    list.flatMap((a) => ('group' in a && a.group ? flat(a.group) : [a as addressparser.Address]));
  const address = flat(addressparser(value)).find((a) => a.address)?.address ?? '';
  const at = address.lastIndexOf('@');
  return at < 0 ? undefined : address.slice(at + 1).toLowerCase().replace(/\.$/, '') || undefined;
}

/** The header names to sign: PowerMTA's defaults, then dkim-headers (names, and the message's fields that match a /regex/). */
export function dkimHeaderList(extra: readonly DkimHeaderItem[] | undefined, present: readonly string[]): string[] {
  const out = new Set(DKIM_DEFAULT_HEADERS);
  for (const item of extra ?? []) {
    if (item.kind === 'name') out.add(item.name);
    else {
      const re = new RegExp(item.regex.source, item.regex.flags);
      for (const name of present) if (re.test(name)) out.add(name);
    }
  }
  for (const name of DKIM_UNSIGNABLE_HEADERS) out.delete(name);
  return [...out];
}

export interface DkimSignerOptions {
  log?: Logger;
  /** Signature headers kept in memory (least recently used dropped first). Default 10,000. */
  cacheSize?: number;
}

export class DkimSigner {
  private readonly rings = new WeakMap<VmtaConfig, Map<string, LoadedDomainKey | DkimKeyError>>();
  private readonly cache = new Map<string, string>();
  private readonly cacheSize: number;
  /** How many signatures were computed (not taken from the cache). */
  signed = 0;

  constructor(private readonly options: DkimSignerOptions = {}) {
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  /** The message to send for this queue: signed when dkim-sign says so and a key matches, else `message.body` itself. */
  async sign(message: DkimMessage, vmta: string, policy: DomainPolicy, config: VmtaConfig): Promise<Buffer> {
    const mode = policy['dkim-sign'];
    if (mode === false) return message.body;
    const headers = readHeaderSection(message.body);
    if (mode === 'if-x-dkim-options-present' && !headers.names.includes('x-dkim-options')) return message.body;
    const keys = this.keysFor(config, vmta, message.vmtaPool);
    const choices = chooseDkimKeys(keys, { sender: domainOf(headers.first('sender')), from: domainOf(headers.first('from')) }, policy['dkim-identity']);
    if (choices.length === 0) return message.body;
    const canon = `${policy['dkim-headers-canon']}/${policy['dkim-body-canon']}`;
    const headerList = dkimHeaderList(policy['dkim-headers'], headers.names);
    const id = choices.map((c) => `${c.key.selector}.${c.signingDomain}:${c.key.loaded.fingerprint}:${c.identity ?? ''}`).join(',');
    // The body's length tells the message as received from its 7-bit form for a next hop without 8BITMIME.
    const cacheKey = `${message.id}|${message.body.length}|${vmta.toLowerCase()}|${id}|${canon}|${headerList.join(':')}`;
    let signatures = this.cache.get(cacheKey);
    if (signatures !== undefined) {
      this.cache.delete(cacheKey);
    } else {
      const [first, ...more] = choices.map((c) => ({
        signingDomain: c.signingDomain,
        selector: c.key.selector,
        // The parsed key (mailauth patched to take a KeyObject: patches/mailauth@7.1.0.patch), not its PEM:
        // parsing a PEM costs about as much as the signature itself.
        privateKey: c.key.loaded.key,
        canonicalization: canon,
        headerList,
        ...(c.identity !== undefined ? { identity: c.identity } : {}),
      }));
      const result = await dkimSign(message.body, {
        ...first!,
        signTime: new Date(message.receivedAt),
        signatureData: [first!, ...more],
      });
      for (const e of result.errors ?? []) {
        this.options.log?.warn({ event: 'dkim-error', queueId: message.id, vmta, selector: e.selector, domain: e.signingDomain, err: e.err?.message }, 'DKIM signature not made');
      }
      signatures = result.signatures;
      this.signed++;
    }
    this.cache.set(cacheKey, signatures);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return signatures === '' ? message.body : Buffer.concat([Buffer.from(signatures), message.body]);
  }

  /** The VMTA's keys that could be read, in order; a key that cannot be read any more is logged once per configuration and skipped. */
  private keysFor(config: VmtaConfig, vmta: string, pool?: string): RingKey[] {
    let ring = this.rings.get(config);
    if (!ring) {
      ring = new Map();
      this.rings.set(config, ring);
    }
    const out: RingKey[] = [];
    for (const k of domainKeysFor(config, vmta, pool)) {
      let loaded = ring.get(k.keyFile);
      if (loaded === undefined) {
        try {
          loaded = readDomainKey(k.keyFile);
        } catch (err) {
          if (!(err instanceof DkimKeyError)) throw err;
          loaded = err;
          this.options.log?.error({ event: 'dkim-key-error', code: err.code, file: err.file, err: err.message }, 'DKIM key unusable: mail it would sign goes unsigned');
        }
        ring.set(k.keyFile, loaded);
      }
      if (!(loaded instanceof DkimKeyError)) out.push({ ...k, kind: loaded.kind, loaded });
    }
    return out;
  }
}
