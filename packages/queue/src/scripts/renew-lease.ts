/**
 * renewLease: extends a holder's live connection lease (see acquireLease) to now + leaseMs, after
 * dropping expired leases. The key expires with its last lease.
 *
 * KEYS: 1 leases.
 * ARGV: 1 now (ms), 2 leaseMs, 3 holder.
 * Returns: LEASE_HELD, or LEASE_NOT_HELD when the lease was lost (expired or released).
 */
import { DROP_EXPIRED_LEASES, EXPIRE_WITH_LAST_LEASE } from './acquire-lease.js';
import { LEASE_HELD, LEASE_NOT_HELD } from './constants.js';
import { defineScript } from './script.js';

const lua = `${DROP_EXPIRED_LEASES}
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) then return ${LEASE_NOT_HELD} end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[3])${EXPIRE_WITH_LAST_LEASE}
return ${LEASE_HELD}`;

export const renewLease = defineScript({
  name: 'vmtaRenewLease',
  numberOfKeys: 1,
  lua,
  args: (key: string, now: number, leaseMs: number, holder: string) => [key, now, leaseMs, holder],
  reply: (raw) => raw === LEASE_HELD,
});
