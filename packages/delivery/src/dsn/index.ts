/** Delivery status notifications: what the package exports of them. */
export { buildDsn, dsnStatus, DEFAULT_MAX_RETURN_BYTES, type BuildDsnInput, type DsnRecipient } from './build-dsn.js';
export { BounceNotifier, type BounceNotifierOptions } from './bounce-notifier.js';
export { isNullSender, returnsFullMessage, wantsNotice, type DsnAction } from './notify-policy.js';
