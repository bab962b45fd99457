/** Whether SMTP AUTH can succeed at all: some `<smtp-user>` has a password (`authentication-method password`). */
import type { VmtaConfig } from '../model.js';

const usersOf = new WeakMap<VmtaConfig, boolean>();

/** True when some `<smtp-user>` has a password; remembered per loaded configuration (pure). */
export function hasPasswordUsers(config: VmtaConfig): boolean {
  let has = usersOf.get(config);
  if (has === undefined) {
    has = Object.values(config.users).some(
      (u) => typeof u.settings.password === 'string' && u.settings.password !== '' && (u.settings['authentication-method'] ?? 'password') === 'password',
    );
    usersOf.set(config, has);
  }
  return has;
}
