/**
 * Whether processes write accounting records to the stream (the event stream): only when something
 * reads it, an `<acct-file>`, a `<webhook>`, or a platform's own consumer group (`event-stream yes`);
 * otherwise the stream would only fill Redis.
 */
import type { VmtaConfig } from '../model.js';

export function eventStreamWanted(config: VmtaConfig): boolean {
  return config.acctFiles.length > 0 || Object.keys(config.webhooks).length > 0 || config.global.settings['event-stream'] === true;
}
