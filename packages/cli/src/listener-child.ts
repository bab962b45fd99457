/**
 * The entry of a child of a multi-process listener (`vmta start --listener-processes N`): the usual
 * listener on the connections the primary hands it (@vmta/listener's cluster/child.ts). Started by the
 * primary only (listener-cluster.ts), never by hand.
 */
import { checkConfigFile, formatDiagnostic } from '@vmta/config';
import { runListenerChild, startListener } from '@vmta/listener';
import { pino } from 'pino';
import { CHILD_SPEC_ENV, type ListenerChildSpec } from './listener-cluster.js';

const spec = JSON.parse(process.env[CHILD_SPEC_ENV] ?? 'null') as ListenerChildSpec | null;
if (!spec) {
  process.stderr.write('listener-child: started without VMTA_LISTENER_CHILD (the primary of vmta start --listener-processes starts it)\n');
  process.exit(2);
}
// As in `vmta start`: asynchronous writes gathered up to 4 KB or 100 ms.
const logDestination = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
const rootLog = pino({ base: { pid: process.pid, slot: spec.slot } }, logDestination);
const log = rootLog.child({ component: 'main' });

const load = () => {
  const checked = checkConfigFile(spec.file);
  for (const w of checked.warnings) log.warn({ event: 'config-warning' }, formatDiagnostic(w));
  if (!checked.config) for (const e of checked.errors) log.error({ event: 'config-error' }, formatDiagnostic(e));
  return checked.config;
};

const exit = (code: number) => {
  logDestination.flushSync();
  process.exit(code);
};

const config = load();
if (!config) exit(1);
runListenerChild({
  log: rootLog,
  start: () => startListener({ config: config!, redisUrl: spec.redisUrl, prefix: spec.prefix, logger: rootLog, adopt: true, ...(spec.inject ? {} : { inject: false }) }),
  reload: async (listener) => {
    const next = load();
    if (!next) return false;
    await listener.reload(next);
    return true;
  },
  exit,
}).catch((err: unknown) => {
  log.error({ event: 'listener-start-failed', code: (err as { code?: string }).code, err: (err as Error).message }, 'cannot start the listener child');
  exit(1);
});
