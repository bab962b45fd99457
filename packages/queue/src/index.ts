export * from './keys.js';
export * from './errors.js';
export * from './message.js';
export * from './message-id.js';
export * from './message-store.js';
export * from './rate-counter.js';
export * from './redis.js';
