import { describe, expect, it } from 'vitest';
import { parseRedisUrl, waitPolicy } from './redis-url.js';

describe('parseRedisUrl', () => {
  it.each([
    ['redis://127.0.0.1:6379', { kind: 'single', url: 'redis://127.0.0.1:6379', waitInUrl: {} }],
    ['redis://h:1/2?wait-replicas=1&wait-timeout=250', { kind: 'single', url: 'redis://h:1/2', waitInUrl: { replicas: 1, timeoutMs: 250 } }],
    ['redis://h:1?family=6&wait-replicas=2', { kind: 'single', url: 'redis://h:1?family=6', waitInUrl: { replicas: 2 } }],
    ['rediss://u:p@h/3', { kind: 'single', url: 'rediss://u:p@h/3', waitInUrl: {} }],
    ['/run/redis.sock', { kind: 'single', url: '/run/redis.sock', waitInUrl: {} }],
    ['redis://[::1]:6379/', { kind: 'single', url: 'redis://[::1]:6379/', waitInUrl: {} }],
    [
      'redis-sentinel://10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster',
      {
        kind: 'sentinel',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
          { host: '::1', port: 26380 },
        ],
        name: 'mymaster',
        db: 0,
        waitInUrl: {},
      },
    ],
    [
      'redis-sentinel://u:p%40ss@s1:1,s2:2/m/3?wait-replicas=0&sentinel-password=sp',
      {
        kind: 'sentinel',
        sentinels: [
          { host: 's1', port: 1 },
          { host: 's2', port: 2 },
        ],
        name: 'm',
        db: 3,
        username: 'u',
        password: 'p@ss',
        sentinelPassword: 'sp',
        waitInUrl: { replicas: 0 },
      },
    ],
    ['redis-sentinel://:secret@s1/m', { kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], name: 'm', db: 0, password: 'secret', waitInUrl: {} }],
  ])('%s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual(expected);
  });

  it.each([
    ['redis-sentinel://s1:26379', /needs the master name/],
    ['redis-sentinel:///m', /names no Sentinel/],
    ['redis-sentinel://s1:99999/m', /out of range/],
    ['redis-sentinel://s1/m/x', /database number/],
    ['redis-sentinel://s1/m/0/extra', /expected/],
    ['redis-sentinel://s1/m?wait=1', /unknown parameter "wait"/],
    ['redis-sentinel://s1/m?wait-replicas=one', /wait-replicas must be a whole number/],
    ['redis://h?wait-replicas=1&wait-timeout=0', /wait forever/],
    ['redis-sentinel://s1/m?wait-timeout=0', /wait forever/],
    ['garbage', /^REDIS_URL: "garbage" is not a Redis URL: give redis:\/\//],
    ['http://redis.internal:6379', /is not a Redis URL/],
    ['127.0.0.1:6379', /is not a Redis URL/],
    ['redis://h:99999', /^REDIS_URL: "redis:\/\/h:99999" is not a URL/],
    ['redis://:s3cret@h o st', /^REDIS_URL: "redis:\/\/\*\*\*@h o st" is not a URL/],
    ['redis://', /names no host/],
    ['redis://h:6379/zero', /the path is the database number/],
  ])('refuses %s', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });
});

describe('waitPolicy: the URL, else the redis-wait-* directives, else the default, each value on its own', () => {
  it.each([
    ['redis://h', {}, { replicas: 0, timeoutMs: 1000 }],
    ['redis://h', { replicas: 2, timeoutMs: 3000 }, { replicas: 2, timeoutMs: 3000 }],
    ['redis://h?wait-replicas=0', { replicas: 2, timeoutMs: 3000 }, { replicas: 0, timeoutMs: 3000 }],
    ['redis://h?wait-timeout=250', { replicas: 1, timeoutMs: 3000 }, { replicas: 1, timeoutMs: 250 }],
    ['redis-sentinel://s1/m', {}, { replicas: 1, timeoutMs: 1000 }],
    ['redis-sentinel://s1/m', { replicas: 0 }, { replicas: 0, timeoutMs: 1000 }],
    ['redis-sentinel://s1/m', { timeoutMs: 5000 }, { replicas: 1, timeoutMs: 5000 }],
    ['redis-sentinel://s1/m?wait-replicas=2', { replicas: 1, timeoutMs: 2000 }, { replicas: 2, timeoutMs: 2000 }],
  ])('%s with %j', (url, directives, expected) => {
    expect(waitPolicy(parseRedisUrl(url), directives)).toEqual(expected);
  });

  it.each([
    ['redis://h?wait-timeout=0', { replicas: 1 }, 'redis-wait-replicas 1 with REDIS_URL wait-timeout=0'],
    ['redis://h?wait-replicas=2', { timeoutMs: 0 }, 'REDIS_URL wait-replicas=2 with redis-wait-timeout 0'],
    ['redis-sentinel://s1/m', { timeoutMs: 0 }, '1 replica (the Sentinel default) with redis-wait-timeout 0'],
  ])('refuses replicas with a timeout of 0 wherever the two come from: %s with %j', (url, directives, named) => {
    expect(() => waitPolicy(parseRedisUrl(url), directives)).toThrow(`${named} would wait forever before 250; give a timeout, or redis-wait-replicas 0`);
  });
});
