/** The SMTP sessions a token run holds open (one per source address), and closing them with their VMTA slots. */
import type { SmtpSession } from '../smtp-client/smtp-session.js';
import { releaseConnection, type Limiters, type VmtaLease } from './limits.js';

export interface OpenSession {
  session: SmtpSession;
  holder: string;
  /** The VMTA slot, renewed while the session lives (with limiters). */
  lease?: VmtaLease;
}

/** Closes every session of the run and gives back its VMTA slot; the map is empty afterwards. `graceMs`: how long a QUIT may take (0: close the socket at once). */
export async function closeSessions(sessions: Map<string, OpenSession>, limiters: Limiters | undefined, vmta: string, graceMs?: number): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(
    all.map(async (s) => {
      await s.session.close(graceMs).catch(() => undefined);
      if (s.lease) await s.lease.release();
      else if (limiters) await releaseConnection(limiters, vmta, s.holder).catch(() => undefined);
    }),
  );
}
