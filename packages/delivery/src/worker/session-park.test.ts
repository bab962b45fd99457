import { describe, expect, it } from 'vitest';
import type { SmtpSession } from '../smtp-client/smtp-session.js';
import { parkMaxPerHop, SESSION_PARK_MAX_PER_HOP, SessionPark } from './session-park.js';

describe('parkMaxPerHop: as many parked sessions per next hop as the process runs at once', () => {
  it.each([
    ['the default concurrency of 100', 100, 100],
    ['a concurrency above the floor', 250, 250],
    ['a small concurrency keeps the floor', 5, SESSION_PARK_MAX_PER_HOP],
    ['a fractional concurrency is rounded down', 40.7, 40],
  ])('%s', (_name, concurrency, max) => {
    expect(parkMaxPerHop(concurrency)).toBe(max);
  });

  it('parks up to the cap for one next hop and refuses the next (that one is closed as before)', () => {
    const park = new SessionPark(60_000, parkMaxPerHop(25));
    const session = { parkable: true } as unknown as SmtpSession;
    for (let i = 0; i < 25; i++) expect(park.park(`10.0.0.1:25|mx.example|${i}`, session)).toBe(true);
    expect(park.park('10.0.0.1:25|mx.example|last', session)).toBe(false);
    // Another next hop has its own count.
    expect(park.park('10.0.0.2:25|mx2.example|0', session)).toBe(true);
    expect(park.stats.parked).toBe(26);
  });
});
