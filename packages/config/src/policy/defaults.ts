/** Default settings of a scope, parsed once from the schema's `x-default` texts. */
import type { Origin } from '../errors.js';
import { directiveDef, directiveNames } from '../schema/access.js';
import type { ScopeName } from '../schema/schema.js';
import { tokenize, valueTypes } from '../values/index.js';

/** Origin of a value that nobody set: the built-in default. */
export const DEFAULT_ORIGIN: Origin = Object.freeze({ file: '(default)', line: 0 });

const cache = new Map<ScopeName, Readonly<Record<string, unknown>>>();

export function defaultsOf(scope: ScopeName): Readonly<Record<string, unknown>> {
  let d = cache.get(scope);
  if (!d) {
    const out: Record<string, unknown> = {};
    for (const name of directiveNames(scope)) {
      const text = directiveDef(scope, name)!.default;
      if (text !== undefined) out[name] = valueTypes[directiveDef(scope, name)!.type].parse(text, tokenize(text));
    }
    d = Object.freeze(out);
    cache.set(scope, d);
  }
  return d;
}
