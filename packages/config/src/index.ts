export * from './errors.js';
export * from './model.js';
export * from './load.js';
export * from './dkim-keys.js';
export * from './policy/dkim.js';
export { configSchema, type ScopeName } from './schema/schema.js';
export type { ResolvedSettings, StanzaSettings } from './schema/types.js';
export { directiveDef, directiveNames, scopeNames, type DirectiveDef } from './schema/access.js';
export * from './policy/domain-policy.js';
export * from './policy/source-policy.js';
export * from './policy/vmta.js';
export * from './policy/reply-patterns.js';
export { DEFAULT_ORIGIN } from './policy/defaults.js';
export type { Resolved } from './policy/merge.js';
export { summarize } from './summary.js';
// Not through values/index.js: format.ts reads its ValueTypeMap, and a re-export there would be an import circle.
export { formatInterval, formatValue } from './values/format.js';
export * from './values/index.js';
export { notApplied, notAppliedReason } from './schema/not-applied.js';
