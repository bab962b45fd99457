import { addressEntryType, nameListType, reasonIntervalType, suppressionTenantType, type AddressEntry, type ReasonInterval, type SuppressionTenantMode } from './address-list.js';
import { bodyCompressionType, type BodyCompressionMode } from './body-compression.js';
import { eventTypesType, recordFieldsType, recordsType, type EventTypeName, type RecordFields, type RecordType } from './accounting.js';
import { cidrType, type CidrValue } from './cidr.js';
import {
  certificateType,
  domainKeyType,
  httpAccessType,
  type CertificateValue,
  type DomainKey,
  type HttpAccess,
} from './directives.js';
import { dkimCanonType, dkimHeadersType, dkimIdentityType, dkimSignType, type DkimCanon, type DkimHeaderItem, type DkimIdentity, type DkimSignMode } from './dkim.js';
import { domainPatternType, type DomainPattern } from './domain-pattern.js';
import { httpApiKeyType, type HttpApiKey } from './http-api-key.js';
import {
  hostListType,
  nameServerType,
  sourceHostType,
  type HostList,
  type NameServer,
  type SourceHost,
} from './hosts.js';
import { listenerAddressType, listenerSpecType, type ListenerAddress, type ListenerSpec } from './listener.js';
import { rateType, type RateValue } from './rate.js';
import { addressOrRegexType, regexType, type AddressOrRegex, type RegexValue } from './regex.js';
import { replyPatternType, type ReplyPattern } from './reply-pattern.js';
import { headerPatternRuleType, patternRuleType, type PatternRule } from './pattern-rule.js';
import { bounceCategoryListType, bounceCategoryPatternType, type BounceCategory, type BounceCategoryPattern } from './bounce-category.js';
import { mxRollupType, type MxRollupEntry } from './mx-rollup.js';
import { domainMacroType, type DomainMacro } from './domain-macro.js';
import {
  authMethodType,
  booleanType,
  emailType,
  emailListType,
  hostnameType,
  integerType,
  limitType,
  portType,
  stringType,
  textType,
  type AuthMethod,
} from './scalars.js';
import { sizeType, type SizeValue } from './size.js';
import { timeIntervalListType, timeIntervalType } from './time-interval.js';
import { tokenize } from './tokenize.js';
import type { ValueType, ValueTypeName } from './value-type.js';

export { ValueError } from './errors.js';
export { tokenize };
export type { ValueType, ValueTypeName } from './value-type.js';

export type { BodyCompressionMode } from './body-compression.js';
export { parseAddressEntry, type AddressEntry, type ReasonInterval, type SuppressionTenantMode } from './address-list.js';
export { parseRecords, RECORD_TYPES, type RecordFields, type RecordType } from './accounting.js';
export { cidrContains, isCidrValue, parseCidr, type CidrValue } from './cidr.js';
export {
  parseDomainKey,
  type CertificateValue,
  type DomainKey,
  type HttpAccess,
  type HttpAccessLevel,
} from './directives.js';
export type { HttpApiKey } from './http-api-key.js';
export type { DkimCanon, DkimHeaderItem, DkimIdentity, DkimSignMode } from './dkim.js';
export {
  domainMatches,
  domainSpecificity,
  parseDomainPattern,
  type DomainPattern,
  type DomainPatternKind,
} from './domain-pattern.js';
export {
  parseHostList,
  parseNameServer,
  type HostList,
  type HostListItem,
  type NameServer,
  type SourceHost,
} from './hosts.js';
export { parseListenerAddress, type ListenerAddress, type ListenerSpec } from './listener.js';
export { parseRate, type RateLimit, type RateValue } from './rate.js';
export { expandDomainMacros, parseDomainMacro, resolveDomainMacros, usesDomainMacro, type DomainMacro, type MacroProblem, type ResolvedMacros } from './domain-macro.js';
export { isCatchAll, parseRegex, toRegExp, type AddressOrRegex, type RegexValue } from './regex.js';
export { parseHeaderPatternRule, parsePatternRule, type PatternAction, type PatternMatch, type PatternRule } from './pattern-rule.js';
export { BOUNCE_CATEGORIES, SUCCESS_CATEGORY, parseBounceCategoryPattern, type BounceCategory, type BounceCategoryPattern, type PatternCategory } from './bounce-category.js';
export { parseMxRollup, type MxRollupEntry } from './mx-rollup.js';
export { parseReplyPattern, type ReplyAction, type ReplyFlagAction, type ReplyPattern } from './reply-pattern.js';
export { parseEmail, parseHostName, type AuthMethod } from './scalars.js';
export { parseSize, type SizeValue } from './size.js';
export { parseTimeInterval, parseTimeIntervalList } from './time-interval.js';
export { normalizeIp, type IpFamily, type NormalizedIp } from './ip.js';

/** The parsed (JSON) value of each value type. */
export interface ValueTypeMap {
  boolean: boolean;
  string: string;
  text: string;
  integer: number;
  limit: number | 'unlimited';
  port: number;
  /** Milliseconds. */
  'time-interval': number;
  /** Milliseconds. */
  'time-interval-list': number[];
  /** Bytes. */
  size: SizeValue;
  rate: RateValue;
  cidr: CidrValue;
  'listener-address': ListenerAddress;
  'domain-pattern': DomainPattern;
  'domain-macro': DomainMacro;
  regex: RegexValue;
  'address-or-regex': AddressOrRegex;
  email: string;
  'email-list': string[];
  'bounce-category-pattern': BounceCategoryPattern;
  'bounce-category-list': BounceCategory[];
  hostname: string;
  'host-list': HostList;
  'source-host': SourceHost;
  'name-server': NameServer;
  'domain-key': DomainKey;
  'http-access': HttpAccess;
  'http-api-key': HttpApiKey;
  certificate: CertificateValue;
  'listener-spec': ListenerSpec;
  'reply-pattern': ReplyPattern;
  'pattern-rule': PatternRule;
  'header-pattern-rule': PatternRule;
  'mx-rollup': MxRollupEntry;
  records: RecordType[];
  'event-types': EventTypeName[];
  'record-fields': RecordFields;
  'auth-method': AuthMethod;
  'dkim-sign': DkimSignMode;
  'dkim-canon': DkimCanon;
  'dkim-identity': DkimIdentity;
  'dkim-headers': DkimHeaderItem[];
  'address-entry': AddressEntry;
  'name-list': string[];
  'reason-interval': ReasonInterval;
  'suppression-tenant': SuppressionTenantMode;
  'body-compression': BodyCompressionMode;
}

/** The parsed value of value type `N`. */
export type ParsedValueOf<N extends ValueTypeName> = ValueTypeMap[N];

export const valueTypes: { readonly [N in ValueTypeName]: ValueType<ValueTypeMap[N]> } = {
  boolean: booleanType,
  string: stringType,
  text: textType,
  integer: integerType,
  limit: limitType,
  port: portType,
  'time-interval': timeIntervalType,
  'time-interval-list': timeIntervalListType,
  size: sizeType,
  rate: rateType,
  cidr: cidrType,
  'listener-address': listenerAddressType,
  'domain-pattern': domainPatternType,
  'domain-macro': domainMacroType,
  regex: regexType,
  'address-or-regex': addressOrRegexType,
  email: emailType,
  'email-list': emailListType,
  'bounce-category-pattern': bounceCategoryPatternType,
  'bounce-category-list': bounceCategoryListType,
  hostname: hostnameType,
  'host-list': hostListType,
  'source-host': sourceHostType,
  'name-server': nameServerType,
  'domain-key': domainKeyType,
  'http-access': httpAccessType,
  'http-api-key': httpApiKeyType,
  certificate: certificateType,
  'listener-spec': listenerSpecType,
  'reply-pattern': replyPatternType,
  'pattern-rule': patternRuleType,
  'header-pattern-rule': headerPatternRuleType,
  'mx-rollup': mxRollupType,
  records: recordsType,
  'event-types': eventTypesType,
  'record-fields': recordFieldsType,
  'auth-method': authMethodType,
  'dkim-sign': dkimSignType,
  'dkim-canon': dkimCanonType,
  'dkim-identity': dkimIdentityType,
  'dkim-headers': dkimHeadersType,
  'address-entry': addressEntryType,
  'name-list': nameListType,
  'reason-interval': reasonIntervalType,
  'suppression-tenant': suppressionTenantType,
  'body-compression': bodyCompressionType,
};

/** Parses `raw` as the given type, tokenizing it first (convenience for callers and tests). */
export function parseValue<N extends ValueTypeName>(name: N, raw: string): ValueTypeMap[N] {
  const type = valueTypes[name] as ValueType<ValueTypeMap[N]>;
  return type.parse(raw, tokenize(raw));
}
