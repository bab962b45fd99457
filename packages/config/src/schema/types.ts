/** TypeScript types derived from the schema, so code reads settings by the operators' directive names. */
import type { ConfigSchema, ScopeName } from './schema.js';
import type { ValueTypeName, ParsedValueOf } from '../values/index.js';

type Props<S extends ScopeName> = ConfigSchema['$defs'][S]['properties'];

type ValueFor<P> = P extends { 'x-type': infer T extends ValueTypeName }
  ? P extends { 'x-repeatable': true }
    ? ParsedValueOf<T>[]
    : ParsedValueOf<T>
  : never;

/** Settings as written in one stanza: absent = not set, null = cleared with "". */
export type StanzaSettings<S extends ScopeName> = {
  -readonly [K in keyof Props<S>]?: ValueFor<Props<S>[K]> | null;
};

type WithDefault<S extends ScopeName> = {
  [K in keyof Props<S>]: Props<S>[K] extends { 'x-default': string } ? K : never;
}[keyof Props<S>];

/** Settings after inheritance and defaults: directives with a default are always present. */
export type ResolvedSettings<S extends ScopeName> = {
  -readonly [K in WithDefault<S>]: ValueFor<Props<S>[K]>;
} & {
  -readonly [K in Exclude<keyof Props<S>, WithDefault<S>>]?: ValueFor<Props<S>[K]>;
};

export type DirectiveName<S extends ScopeName> = keyof Props<S> & string;
