import { valueTypes } from '../values/index.js';

/** JSON Schema of every parsed value type, keyed by type name (`$defs/values/<type>`). */
export const valueSchemas: Record<string, unknown> = Object.fromEntries(
  Object.entries(valueTypes).map(([name, type]) => [name, type.schema]),
);
