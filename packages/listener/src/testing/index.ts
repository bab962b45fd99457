/**
 * Test helpers for tests of this package and of the root test/ folder, through this package's
 * "./testing" export. Production code never imports them (scripts/check-layers.mjs).
 */
export * from './smtp-test-kit.js';
export * from './shared-listener.js';
