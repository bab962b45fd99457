/**
 * suppressAdd: adds (or replaces) entries of one tenant's suppression store, indexes those that
 * expire, records the tenant, then removes up to 100 entries whose expiry has passed (the sweep rides
 * on writes; lookups ignore expired entries anyway).
 *
 * When the accounting stream exists (an <acct-file>, a <webhook> or `event-stream yes` reads it),
 * each entry is also one `s` record there (SUPPRESSION_FIELDS), the suppression event.
 *
 * KEYS: 1 store hash, 2 expiry sorted set, 3 tenant set, 4 accounting stream.
 * ARGV: 1 tenant, 2 now (ms), 3 now as ISO time, then per entry: address, value ("expiresMs|reason|addedMs|queue|reply"), expiresMs (0 = never).
 * Returns: the number of entries that were new.
 */
import { SUPPRESSION_FIELDS } from '../accounting-records.js';
import { ACCOUNTING_MAXLEN } from './constants.js';
import { defineScript, type RedisArg } from './script.js';

const F = SUPPRESSION_FIELDS;
const lua = `
local now = tonumber(ARGV[2])
local added = 0
local events = redis.call('EXISTS', KEYS[4]) == 1
for i = 4, #ARGV, 3 do
  local addr, value, exp = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  added = added + redis.call('HSET', KEYS[1], addr, value)
  if exp > 0 then redis.call('ZADD', KEYS[2], exp, addr) else redis.call('ZREM', KEYS[2], addr) end
  if events then
    local p1 = string.find(value, '|', 1, true)
    local p2 = string.find(value, '|', p1 + 1, true)
    local p3 = string.find(value, '|', p2 + 1, true)
    local p4 = string.find(value, '|', p3 + 1, true)
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', '${ACCOUNTING_MAXLEN}', '*',
      '${F[0]}', 's', '${F[1]}', ARGV[3], '${F[2]}', addr, '${F[3]}', ARGV[1], '${F[4]}', string.sub(value, p1 + 1, p2 - 1),
      '${F[5]}', string.sub(value, p3 + 1, p4 - 1), '${F[6]}', string.sub(value, p4 + 1), '${F[7]}', exp > 0 and tostring(exp) or '')
  end
end
redis.call('SADD', KEYS[3], ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
for _, addr in ipairs(due) do
  local v = redis.call('HGET', KEYS[1], addr)
  if v then
    local exp = tonumber(string.sub(v, 1, string.find(v, '|', 1, true) - 1))
    if exp > 0 and exp <= now then redis.call('HDEL', KEYS[1], addr) end
  end
  redis.call('ZREM', KEYS[2], addr)
end
return added`;

export interface SuppressAddEntry {
  address: string;
  value: string;
  expiresMs: number;
}

export const suppressAdd = defineScript({
  name: 'vmtaSuppressAdd',
  numberOfKeys: 4,
  lua,
  args: (store: string, expiry: string, tenants: string, stream: string, tenant: string, now: number, entries: readonly SuppressAddEntry[]) => {
    const out: RedisArg[] = [store, expiry, tenants, stream, tenant, now, new Date(now).toISOString()];
    for (const e of entries) out.push(e.address, e.value, e.expiresMs);
    return out;
  },
  reply: (raw) => Number(raw),
});
