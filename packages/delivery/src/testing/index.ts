/**
 * Test servers for tests of this package, of other packages and of the root test/ folder, through
 * this package's "./testing" export. Production code never imports them (scripts/check-layers.mjs).
 */
export * from './test-dns-server.js';
export * from './test-smtp-receiver.js';
export * from './dkim-test-kit.js';
export * from './test-tls.js';
export * from './delivery-processes.js';
export * from './delivery-testbed.js';
export * from './mta1-config.js';
export * from './shaping-testbed.js';
export * from './test-webhook-receiver.js';
export * from './lane-events.js';
