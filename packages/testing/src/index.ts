export * from './redis.js';
export * from './sentinel.js';
