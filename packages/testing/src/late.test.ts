import { describe, expect, it } from 'vitest';
import { late } from './late.js';

describe('late: a stand-in for a value a beforeAll hook makes', () => {
  it('throws when read before the value is set, and reads the value set by then', () => {
    const l = late<{ n: number }>('the thing');
    expect(() => l.ref.n).toThrow('the thing is made in beforeAll: read it inside a test');
    expect(l.get()).toBeUndefined();
    l.set({ n: 1 });
    expect(l.ref.n).toBe(1);
    l.set({ n: 2 });
    expect(l.ref.n).toBe(2);
  });

  it('calls methods and getters on the value itself (private fields work)', () => {
    class Counter {
      #count = 0;
      get count(): number {
        return this.#count;
      }
      bump(): number {
        return ++this.#count;
      }
    }
    const l = late<Counter>('the counter');
    const c = new Counter();
    l.set(c);
    const { bump } = l.ref;
    expect(bump()).toBe(1);
    expect(l.ref.bump()).toBe(2);
    expect(l.ref.count).toBe(2);
    expect('bump' in l.ref).toBe(true);
    expect(l.get()).toBe(c);
  });
});
