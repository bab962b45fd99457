/**
 * enableSourceIf: removes one disabled-source entry only if it still holds the value the caller
 * read (a timer ran out): a disable written again in between is kept, and of several processes
 * that saw the same expired entry exactly one gets 1 (and logs the re-enable).
 *
 * KEYS: 1 disabled-sources hash.
 * ARGV: 1 field (`<ip>|<queue>`), 2 the JSON value read.
 * Returns: 1 removed, 0 not (gone already or changed).
 */
import { defineScript } from './script.js';

const lua = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0`;

export const enableSourceIf = defineScript({
  name: 'vmtaEnableSourceIf',
  numberOfKeys: 1,
  lua,
  args: (key: string, field: string, value: string) => [key, field, value],
  reply: (raw) => raw === 1,
});
