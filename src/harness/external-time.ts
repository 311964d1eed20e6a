/**
 * How an external run moves the time of processes it did not build (`--time`):
 *
 * - `clock-file`: the gateway reads `TOOLGATE_CLOCK_FILE` (toolgate does: epoch ms, timers follow
 *   it). Exact times, no waiting.
 * - `faketime`: libfaketime (`LD_PRELOAD`, Debian's `faketime` package) fakes the unmodified
 *   process's system clock — wall clock, monotonic clock and so its timers — from a timestamp file
 *   (`FAKETIME_TIMESTAMP_FILE`, re-read on every call with `FAKETIME_NO_CACHE=1`). Exact times, no
 *   waiting, for any dynamically linked gateway (not for statically linked Go binaries).
 * - `real`: the real clock; the run really waits for each step's time (and for the next window
 *   boundary at the start), printing progress. Times are checked to a tolerance; steps later than
 *   `--max-real-wait-ms` are skipped.
 *
 * The simulator (`toolgate kommo-sim`) always follows the harness's clock file (or the real clock
 * in `real` mode), whatever the gateway uses; libfaketime is kept out of it.
 */
import { existsSync, renameSync, writeFileSync } from "node:fs";

export const TIME_MECHANISMS = ["clock-file", "faketime", "real"] as const;
export type TimeMechanism = (typeof TIME_MECHANISMS)[number];

export function isTimeMechanism(value: string): value is TimeMechanism {
  return (TIME_MECHANISMS as readonly string[]).includes(value);
}

/** Where Debian and others install libfaketime; `TOOLGATE_FAKETIME_LIB` overrides. */
const FAKETIME_LIBRARIES = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/faketime/libfaketime.so.1",
  "/usr/local/lib/faketime/libfaketime.so.1",
];

export function findFaketimeLibrary(env: Record<string, string | undefined>): string | undefined {
  const override = env.TOOLGATE_FAKETIME_LIB;
  if (override !== undefined) return existsSync(override) ? override : undefined;
  return FAKETIME_LIBRARIES.find((path) => existsSync(path));
}

/**
 * An absolute, frozen libfaketime timestamp in UTC: `2026-01-01 00:00:15.600500`. The extra half
 * millisecond keeps the process's millisecond reading exact: libfaketime parses the fraction as a
 * double, and `.600` alone reads back as 15 599 ms.
 */
export function faketimeStamp(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19).replace("T", " ")}.${String(((epochMs % 1000) + 1000) % 1000).padStart(3, "0")}500`;
}

export interface TimeFiles {
  /** Epoch ms, for `TOOLGATE_CLOCK_FILE` readers (the simulator always; the gateway in `clock-file`). */
  readonly clock: string;
  /** A libfaketime timestamp, for `faketime`. */
  readonly faketime: string;
}

/** Writes a file whole (write then rename), so a reader never sees half a number. */
function writeWhole(path: string, text: string): void {
  writeFileSync(`${path}.next`, text);
  renameSync(`${path}.next`, path);
}

/** Publishes a virtual time (epoch ms) to both files. */
export function publishTime(files: TimeFiles, epochMs: number): void {
  writeWhole(files.clock, String(epochMs));
  writeWhole(files.faketime, faketimeStamp(epochMs));
}

/** The environment the gateway process gets for a mechanism (`real`: none). */
export function gatewayTimeEnv(mechanism: TimeMechanism, files: TimeFiles, faketimeLibrary: string | undefined): Record<string, string> {
  switch (mechanism) {
    case "clock-file":
      return { TOOLGATE_CLOCK_FILE: files.clock };
    case "faketime":
      return { LD_PRELOAD: faketimeLibrary ?? "", FAKETIME_TIMESTAMP_FILE: files.faketime, FAKETIME_NO_CACHE: "1", TZ: "UTC" };
    case "real":
      return {};
  }
}

/** What the report says about the mechanism that ran. */
export function describeTime(mechanism: TimeMechanism): string {
  switch (mechanism) {
    case "clock-file":
      return "clock-file (TOOLGATE_CLOCK_FILE, moved by the harness)";
    case "faketime":
      return "faketime (libfaketime timestamp file, moved by the harness)";
    case "real":
      return "real (the real clock; the run waits)";
  }
}
