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

  it.each([
    // remaining, claimed (paced), slot, max-smtp-out, batch, wanted
    [0, 6, 0, 20, 50, false], // a fast connection took all six due: nothing left
    [0, 50, 0, 20, 50, false], // took a full batch, nothing left
    [1, 6, 0, 20, 50, false], // one left: no more than the share (1) of seven
    [30, 50, 0, 20, 50, true], // eighty due, fifty taken: thirty left is more than the share (4)
    [30, 50, 19, 20, 50, false], // the last slot wakes none
    [2, 3, 0, 20, 50, true], // five due, three taken: two left is more than the share (1)
  ])('paced: remaining %i after claiming %i on slot %i of %i (batch %i): %s', (remaining, claimed, slot, maxSmtpOut, batch, wanted) => {
    expect(wantsNextSlot({ remaining, claimed, slot, maxSmtpOut, batch })).toBe(wanted);
  });
  it('measures an unpaced claim (the share) as before', () => {
    for (const [remaining, claimed, maxSmtpOut] of [[1, 1, 20], [2, 1, 20], [8, 2, 5], [51, 50, 2], [2000, 50, 20]] as const) {
      expect(wantsNextSlot({ remaining, claimed, slot: 0, maxSmtpOut, batch: 50 })).toBe(wantsNextSlot({ remaining, claimed, slot: 0, maxSmtpOut }));
    }
  });
});
