/**
 * suppressAdd: adds (or replaces) entries of one tenant's suppression store, indexes those that
 * expire, records the tenant, then removes up to 100 entries whose expiry has passed (the sweep rides
 * on writes; lookups ignore expired entries anyway).
 *
 * KEYS: 1 store hash, 2 expiry sorted set, 3 tenant set.
 * ARGV: 1 tenant, 2 now (ms), then per entry: address, value ("expiresMs|reason|addedMs|queue|reply"), expiresMs (0 = never).
 * Returns: the number of entries that were new.
 */
import { defineScript, type RedisArg } from './script.js';

const lua = `
local now = tonumber(ARGV[2])
local added = 0
for i = 3, #ARGV, 3 do
  local addr, value, exp = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  added = added + redis.call('HSET', KEYS[1], addr, value)
  if exp > 0 then redis.call('ZADD', KEYS[2], exp, addr) else redis.call('ZREM', KEYS[2], addr) end
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
  numberOfKeys: 3,
  lua,
  args: (store: string, expiry: string, tenants: string, tenant: string, now: number, entries: readonly SuppressAddEntry[]) => {
    const out: RedisArg[] = [store, expiry, tenants, tenant, now];
    for (const e of entries) out.push(e.address, e.value, e.expiresMs);
    return out;
  },
  reply: (raw) => Number(raw),
});
