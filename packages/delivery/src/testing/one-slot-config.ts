/** For tests only: one VMTA (mta1 from 127.0.0.2) with max-smtp-out 1 toward a receiver on 127.0.0.10:port. */
import { loadConfigText, type VmtaConfig } from '@vmta/config';
import { mta1ConfigText } from './mta1-config.js';

export const oneSlotConfig = (port: number): VmtaConfig =>
  loadConfigText(
    mta1ConfigText({
      vmta: ['  max-smtp-out 1'],
      domain: [`  smtp-hosts [127.0.0.10]:${port}`, '  max-smtp-out 1', '  retry-after 1s', '  retry-recipients-after 1s'],
    }),
  );
