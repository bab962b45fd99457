/** The SMTP sessions a token run holds open (one per source address), and closing them with their VMTA slots. */
import type { SmtpSession } from '../smtp-client/smtp-session.js';
import { releaseConnection, type Limiters, type VmtaLease } from './limits.js';
import type { SessionPark } from './session-park.js';

export interface OpenSession {
  session: SmtpSession;
  holder: string;
  /** The VMTA slot, renewed while the session lives (with limiters). */
  lease?: VmtaLease;
  /** Who may take it over once this run's queue has no more mail (session-park.ts). */
  parkKey: string;
}

/** Closes every session of the run and gives back its VMTA slot; the map is empty afterwards. `graceMs`: how long a QUIT may take (0: close the socket at once). */
export async function closeSessions(sessions: Map<string, OpenSession>, limiters: Limiters | undefined, vmta: string, graceMs?: number, park?: SessionPark<VmtaLease>): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(
    all.map(async (s) => {
      // The queue has no more mail: a clean session waits a moment for another queue instead of QUIT, keeping its VMTA lease for the taker.
      if (park?.park(s.parkKey, s.session, s.lease)) return;
      await s.session.close(graceMs).catch(() => undefined);
      if (s.lease) await s.lease.release();
      else if (limiters) await releaseConnection(limiters, vmta, s.holder).catch(() => undefined);
    }),
  );
}
