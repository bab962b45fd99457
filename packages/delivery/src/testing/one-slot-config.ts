/** For tests only: one VMTA (mta1 from 127.0.0.2) with max-smtp-out 1 toward a receiver on 127.0.0.10:port. */
import { loadConfigText, type VmtaConfig } from '@vmta/config';

export const oneSlotConfig = (port: number): VmtaConfig =>
  loadConfigText(
    [
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.2 mta1.example.test',
      '  max-smtp-out 1',
      '</virtual-mta>',
      '<domain *>',
      `  smtp-hosts [127.0.0.10]:${port}`,
      '  max-smtp-out 1',
      '  retry-after 1s',
      '  retry-recipients-after 1s',
      '</domain>',
    ].join('\n'),
  );
