/**
 * Polls `probe` until it gives a value, for tests that wait on another process's state (a child
 * restarting, a list changing): bounded at `deadlineMs` of real time, never a fixed sleep; between
 * tries it yields a turn and runs `between` (e.g. a ping that lets notifications arrive).
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, between: () => Promise<unknown> = async () => undefined, deadlineMs = 30_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setImmediate(r));
    await between();
  }
  throw new Error(`gave up waiting: ${what}`);
}
