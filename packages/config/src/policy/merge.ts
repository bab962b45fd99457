/** Merging stanzas from general to specific: later layers override, "" (null) clears, defaults fill the rest. */
import type { Origin } from '../errors.js';
import type { Stanza } from '../model.js';
import type { ScopeName } from '../schema/schema.js';
import type { ResolvedSettings } from '../schema/types.js';
import { DEFAULT_ORIGIN, defaultsOf } from './defaults.js';

export interface Resolved<S extends ScopeName> {
  settings: ResolvedSettings<S>;
  /** Where each effective value came from (file:line, or the built-in default). */
  origins: Record<string, Origin>;
  /** Names of the stanzas that applied, general first. */
  applied: string[];
}

export function mergeLayers<S extends ScopeName>(scope: S, layers: readonly Stanza<S>[]): Resolved<S> {
  const settings: Record<string, unknown> = {};
  const origins: Record<string, Origin> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.settings as Record<string, unknown>)) {
      if (value === undefined) continue;
      if (value === null) {
        delete settings[key];
        delete origins[key];
      } else {
        settings[key] = value;
        const o = layer.origins[key];
        origins[key] = o?.[o.length - 1] ?? layer.origin;
      }
    }
  }
  for (const [key, value] of Object.entries(defaultsOf(scope))) {
    if (!(key in settings)) {
      settings[key] = value;
      origins[key] = DEFAULT_ORIGIN;
    }
  }
  return {
    settings: settings as ResolvedSettings<S>,
    origins,
    // A <domain> a macro gave shows as written: "<domain aol.$tld> as aol.co.uk".
    applied: layers.map((l) => {
      const macro = (l as { macro?: unknown }).macro;
      return typeof macro === 'string' ? `<${l.scope} ${macro}> as ${l.name}` : `<${l.scope} ${l.name}>`;
    }),
  };
}
