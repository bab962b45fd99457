/**
 * Reads `what` every 50 ms until `ok` holds of its value or `timeoutMs` passed, and returns the
 * last value read: the test asserts on it, so a timeout fails with the value it saw.
 */
export async function pollUntil<T>(what: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
