import { describe, expect, it } from 'vitest';
import { wantsNextSlot } from './next-slot.js';

describe('wantsNextSlot', () => {
  it.each([
    // remaining, claimed, slot, max-smtp-out, wanted
    [0, 1, 0, 20, false], // one message, taken: nothing for another connection
    [1, 1, 0, 20, false], // two due, one taken: this run takes the other next
    [2, 1, 0, 20, true], // three due, one taken: more left than one connection's share
    [8, 2, 0, 5, true], // a backlog spread over five connections
    [8, 2, 4, 5, false], // the last slot wakes none
    [50, 50, 0, 1, false], // max-smtp-out 1: no second slot
    [51, 50, 0, 2, true],
  ])('remaining %i after claiming %i on slot %i of %i: %s', (remaining, claimed, slot, maxSmtpOut, wanted) => {
    expect(wantsNextSlot({ remaining, claimed, slot, maxSmtpOut })).toBe(wanted);
  });
});
