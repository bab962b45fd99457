export * from './redis-server.js';
export * from './errors.js';
export { findRedisServer, getFreePort } from './redis-net.js';
