/**
 * Waiting for calls in flight when the front closes: `inFlight()` is polled every 20 ms on the
 * clock for at most `timeoutMs`; once it reaches zero the written answers get one more turn to
 * reach their sockets before the sessions close.
 */
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../logger.js";

const POLL_MS = 20;

/** Resolves when nothing is in flight or `timeoutMs` has passed (logged either way when it had to wait). */
export async function drainCalls(inFlight: () => number, clock: Clock, timeoutMs: number, log: Logger): Promise<void> {
  const pending = inFlight();
  if (pending > 0) {
    log.info("waiting for calls in flight", { event: "draining", inFlight: pending, timeoutMs });
    for (let waited = 0; inFlight() > 0 && waited < timeoutMs; waited += POLL_MS) await clock.sleep(POLL_MS);
    // The answers are written; let them reach the sockets before the sessions close.
    await clock.sleep(0);
  }
  const left = inFlight();
  if (left > 0) log.warn("closing with calls still in flight", { event: "drain_timeout", inFlight: left });
}
