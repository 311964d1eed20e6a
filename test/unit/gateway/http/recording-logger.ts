/** A JSON logger on a test's clock that keeps every line it writes, parsed, for the test to read. */
import type { Clock } from "../../../../src/core/clock.js";
import { createJsonLogger, type Logger } from "../../../../src/gateway/logger.js";

export function recordingLogger(clock: Clock): { readonly log: Logger; readonly lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createJsonLogger({
    write: (text, done) => {
      lines.push(...text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>));
      done?.();
    },
    clock,
  });
  return { log, lines };
}
