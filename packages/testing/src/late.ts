/**
 * A stand-in for a value a `beforeAll` hook makes (a listener, a private Redis): a describe block
 * can name it once, at the top, and read it in its tests. Reading a property (or calling a method)
 * of `ref` reads it on the value set by then; before set() that throws.
 */
export interface Late<T extends object> {
  /** The stand-in: use it inside tests and hooks that run after set(). */
  readonly ref: T;
  set(value: T): void;
  /** The value, or undefined before set() (for an afterAll that runs although beforeAll failed). */
  get(): T | undefined;
}

export function late<T extends object>(what: string): Late<T> {
  let value: T | undefined;
  const current = (): T => {
    if (value === undefined) throw new Error(`${what} is made in beforeAll: read it inside a test`);
    return value;
  };
  const ref = new Proxy({} as T, {
    get(_target, key) {
      const v = current();
      const prop: unknown = Reflect.get(v, key, v);
      return typeof prop === 'function' ? (prop as (...args: unknown[]) => unknown).bind(v) : prop;
    },
    has: (_target, key) => Reflect.has(current(), key),
  });
  return {
    ref,
    set(v) {
      value = v;
    },
    get: () => value,
  };
}
