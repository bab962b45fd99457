/**
 * Building blocks of the configuration JSON Schema. A directive is a schema
 * property that also carries `x-type` (how the parser converts its text), and
 * optionally `x-default` (the default as an operator writes it), `x-repeatable`,
 * `x-ref` (what kind of object its value names), `x-alias-of` (deprecated name)
 * and `x-unsupported-values`.
 */
import type { ValueTypeName } from '../values/index.js';

export type RefKind = 'virtual-mta' | 'virtual-mta-or-pool' | 'source' | 'smtp-pattern-list' | 'pattern-list' | 'address-list';

export interface DirectiveOptions {
  'x-default'?: string;
  'x-repeatable'?: true;
  'x-ref'?: RefKind;
  'x-alias-of'?: string;
  'x-unsupported-values'?: readonly string[];
  'x-special-values'?: readonly string[];
  minimum?: number;
  maximum?: number;
}

export function directive<const T extends ValueTypeName, const O extends DirectiveOptions = {}>(
  type: T,
  description: string,
  options?: O,
) {
  const { minimum, maximum, ...meta } = (options ?? {}) as DirectiveOptions;
  const value: Record<string, unknown> = { $ref: `#/$defs/values/${type}` };
  if (minimum !== undefined || maximum !== undefined) value.type = 'number';
  if (minimum !== undefined) value.minimum = minimum;
  if (maximum !== undefined) value.maximum = maximum;
  const one = meta['x-repeatable'] ? { type: 'array', items: value } : value;
  return {
    description,
    'x-type': type,
    ...meta,
    anyOf: [one, { type: 'null' }],
  } as unknown as { description: string; 'x-type': T; anyOf: unknown[] } & O;
}

/** A stanza scope: its directives, the stanzas that may nest in it and what its argument is. */
export function scope<const P extends Record<string, unknown>, const N extends readonly string[] = []>(
  description: string,
  properties: P,
  extra?: { nested?: N; arg?: ValueTypeName | 'name' | 'source-key'; unsupported?: Record<string, string> },
) {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    properties,
    'x-nested': (extra?.nested ?? []) as N,
    'x-arg': extra?.arg ?? null,
    'x-unsupported': extra?.unsupported ?? {},
  } as const;
}
