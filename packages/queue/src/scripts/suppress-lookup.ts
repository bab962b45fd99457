/**
 * suppressLookup: the values of one address in the tenant's suppression hash and the global one
 * (`*`), in one command. Two HGETs on a pipeline were the same round trip, but ioredis builds every
 * pipeline by copying each script of the connection onto it: about 2 % of the listener's CPU at
 * one lookup per RCPT (bench profile, one connection per message).
 *
 * KEYS: the hashes to read, in order (the tenant's, then `*`; only `*` for the global tenant).
 * ARGV: 1 the lower-cased address.
 * Returns: one value per key, nil where the address is not in that hash.
 */
import { defineScript } from './script.js';

const lua = `
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HGET', KEYS[i], ARGV[1]) end
return out`;

export const suppressLookup = defineScript({
  name: 'vmtaSuppressLookup',
  lua,
  args: (keys: readonly string[], address: string) => [keys.length, ...keys, address],
  reply: (raw) => (raw as (string | null)[]).map((v) => (typeof v === 'string' ? v : undefined)),
});
