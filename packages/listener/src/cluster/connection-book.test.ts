import { describe, expect, it } from 'vitest';
import { ConnectionBook, pickChild, type ChildLoad } from './connection-book.js';

describe('pickChild', () => {
  const cases: Array<{ name: string; children: ChildLoad[]; loads: Record<number, number>; want: number | undefined }> = [
    { name: 'no child', children: [], loads: {}, want: undefined },
    { name: 'none ready', children: [{ slot: 0, ready: false }, { slot: 1, ready: false }], loads: {}, want: undefined },
    { name: 'the least loaded', children: [{ slot: 0, ready: true }, { slot: 1, ready: true }], loads: { 0: 3, 1: 2 }, want: 1 },
    { name: 'the lowest slot on a tie', children: [{ slot: 1, ready: true }, { slot: 0, ready: true }], loads: { 0: 2, 1: 2 }, want: 0 },
    { name: 'a child not ready is skipped, however idle', children: [{ slot: 0, ready: false }, { slot: 1, ready: true }], loads: { 0: 0, 1: 9 }, want: 1 },
    { name: 'an empty child first', children: [{ slot: 0, ready: true }, { slot: 1, ready: true }, { slot: 2, ready: true }], loads: { 0: 1, 1: 1 }, want: 2 },
  ];
  for (const c of cases) {
    it(`picks ${c.name}`, () => {
      expect(pickChild(c.children, (s) => c.loads[s] ?? 0)).toBe(c.want);
    });
  }
});

describe('ConnectionBook', () => {
  type Step = ['admit', number, string, number] | ['release', number] | ['drop', number];
  const cases: Array<{ name: string; steps: Step[]; total: number; clients: Record<string, number>; loads: Record<number, number>; lastHanded?: { total: number; fromClient: number } }> = [
    {
      name: 'counts before the connection are handed to the child',
      steps: [['admit', 1, 'a', 0], ['admit', 2, 'a', 1], ['admit', 3, 'b', 0]],
      total: 3,
      clients: { a: 2, b: 1 },
      loads: { 0: 2, 1: 1 },
      lastHanded: { total: 2, fromClient: 0 },
    },
    {
      name: 'the same client on two children counts once per connection',
      steps: [['admit', 1, 'a', 0], ['admit', 2, 'a', 1], ['admit', 3, 'a', 1]],
      total: 3,
      clients: { a: 3 },
      loads: { 0: 1, 1: 2 },
      lastHanded: { total: 2, fromClient: 2 },
    },
    { name: 'a release frees the client and the child', steps: [['admit', 1, 'a', 0], ['admit', 2, 'a', 0], ['release', 1]], total: 1, clients: { a: 1 }, loads: { 0: 1 } },
    { name: 'a second release changes nothing', steps: [['admit', 1, 'a', 0], ['release', 1], ['release', 1]], total: 0, clients: { a: 0 }, loads: { 0: 0 } },
    { name: 'an unknown release changes nothing', steps: [['admit', 1, 'a', 0], ['release', 7]], total: 1, clients: { a: 1 }, loads: { 0: 1 } },
    {
      name: 'a dead child takes its connections with it, the others stay',
      steps: [['admit', 1, 'a', 0], ['admit', 2, 'a', 1], ['admit', 3, 'b', 0], ['drop', 0]],
      total: 1,
      clients: { a: 1, b: 0 },
      loads: { 0: 0, 1: 1 },
    },
    { name: 'a late release of a dropped child changes nothing', steps: [['admit', 1, 'a', 0], ['drop', 0], ['release', 1], ['admit', 2, 'a', 1]], total: 1, clients: { a: 1 }, loads: { 0: 0, 1: 1 } },
    { name: 'an id admitted twice counts once', steps: [['admit', 1, 'a', 0], ['admit', 1, 'a', 0]], total: 1, clients: { a: 1 }, loads: { 0: 1 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const book = new ConnectionBook();
      let handed: { total: number; fromClient: number } | undefined;
      for (const s of c.steps) {
        if (s[0] === 'admit') handed = book.admit(s[1], s[2], s[3]);
        else if (s[0] === 'release') book.release(s[1]);
        else book.dropSlot(s[1]);
      }
      expect(book.total).toBe(c.total);
      for (const [client, n] of Object.entries(c.clients)) expect(book.fromClient(client)).toBe(n);
      for (const [slot, n] of Object.entries(c.loads)) expect(book.load(Number(slot))).toBe(n);
      if (c.lastHanded) expect(handed).toEqual(c.lastHanded);
    });
  }
});
