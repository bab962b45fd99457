/** Test helpers other packages may use in their tests, through this package's "./testing" export. */
export * from './dns/test-dns-server.js';
