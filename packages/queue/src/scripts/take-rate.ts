/**
 * takeRate: takes up to n cells of a GCRA rate (see delivery-rate-limiter.ts). The theoretical
 * arrival time (TAT) is stored as "ms:rem" = ms + rem/count. d = (TAT - now) * count, so cell k
 * (1-based) of this call may go when d + (k - 1) * perMs <= (burst - 1) * perMs. Only the cells
 * allowed are counted.
 *
 * KEYS: 1 tat.
 * ARGV: 1 now (ms), 2 count, 3 perMs, 4 burst, 5 n (all integers, n >= 1).
 * Returns: { allowed } when all n were allowed, else { allowed, earliest time (ms) the next may go }.
 */
import { defineScript } from './script.js';

const lua = `
local now, count, per = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local burst, n = tonumber(ARGV[4]), tonumber(ARGV[5])
local ms, rem = now, 0
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, ':', 1, true)
  local tms, trem = tonumber(string.sub(v, 1, sep - 1)), tonumber(string.sub(v, sep + 1))
  if tms > now or (tms == now and trem > 0) then ms, rem = tms, trem end
end
local d = (ms - now) * count + rem
local allowed = burst - math.ceil(d / per)
if allowed > n then allowed = n end
if allowed < 0 then allowed = 0 end
if allowed > 0 then
  rem = rem + allowed * per
  local carry = rem % count
  ms = ms + (rem - carry) / count
  rem = carry
  -- Kept 1 s past the TAT: a TAT in the past means the same as none (idle), so the slack changes no
  -- answer; it only spares the state from expiring, in Redis' own clock, before a caller whose
  -- clock (or a test's simulated one) reads a little behind.
  redis.call('SET', KEYS[1], string.format('%d:%d', ms, rem), 'PX', math.max(1, ms - now + 1000))
end
if allowed == n then return {allowed} end
return {allowed, ms + math.ceil((rem - (burst - 1) * per) / count)}`;

export const takeRate = defineScript({
  name: 'vmtaTakeRate',
  numberOfKeys: 1,
  lua,
  args: (key: string, now: number, count: number, perMs: number, burst: number, n: number) => [key, now, count, perMs, burst, n],
  reply: (raw) => raw as [allowed: number, retryAtMs?: number],
});
