/** The shape of one Lua script of the queue: its text, the order of its KEYS and ARGV, and its reply. */

/** One argument of a script call, as ioredis sends it. */
export type RedisArg = string | number | Buffer;

export interface ScriptDefinition<A extends unknown[], R> {
  /** The command name ioredis defines for the script on a connection. */
  name: string;
  /** How many of the arguments are KEYS; undefined when a call passes the count first (a variable number of keys). */
  numberOfKeys?: number;
  lua: string;
  /** Call the script's Buffer variant (ioredis `<name>Buffer`): bulk replies come back as bytes (a body). */
  buffers?: boolean;
  /** KEYS, then ARGV, in the order the script reads them. */
  args(...input: A): RedisArg[];
  /** The raw reply as callers use it. */
  reply(raw: unknown): R;
}

/** A script definition, typed by its inputs and its reply (an identity function, for inference). */
export function defineScript<A extends unknown[], R>(definition: ScriptDefinition<A, R>): ScriptDefinition<A, R> {
  return definition;
}
