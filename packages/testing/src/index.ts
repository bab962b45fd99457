export * from './redis.js';
export * from './sentinel.js';
export * from './netns.js';
export * from './seeded-random.js';
export * from './late.js';
export * from './poll-until.js';
