/**
 * reassertLease: acquireLease read for a lease its holder believes it holds, after a reconnect that
 * may have been a failover losing it (written to the old primary, not replicated): kept (renewed),
 * re-added (a slot was free), or lost (every slot is held by others: another process took it in
 * the gap, and the holder's connection must go). The limit may be below the holders already in: a
 * lease still there is kept, a missing one is re-added only into a free slot.
 *
 * KEYS: 1 leases.
 * ARGV: 1 now (ms), 2 leaseMs, 3 limit ('inf' = no cap), 4 holder.
 * Returns: 'kept', 're-added' or 'lost'.
 */
import { ACQUIRE_LEASE_LUA } from './acquire-lease.js';
import { LEASE_HELD, LEASE_TAKEN } from './constants.js';
import { defineScript } from './script.js';

export type LeaseReassertion = 'kept' | 're-added' | 'lost';

export const reassertLease = defineScript({
  name: 'vmtaReassertLease',
  numberOfKeys: 1,
  lua: ACQUIRE_LEASE_LUA,
  args: (key: string, now: number, leaseMs: number, limit: string, holder: string) => [key, now, leaseMs, limit, holder],
  reply: (raw): LeaseReassertion => (raw === LEASE_HELD ? 'kept' : raw === LEASE_TAKEN ? 're-added' : 'lost'),
});
