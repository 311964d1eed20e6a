/**
 * Time is injected. This is the only module that reads the system clock or sets real timers;
 * everything else takes a `Clock`.
 */
import { readFileSync } from "node:fs";

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the UTC epoch. */
  nowMs(): number;
  /** Runs `fn` once after `delayMs` on this clock. */
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  /** Resolves after `delayMs` on this clock. */
  sleep(delayMs: number): Promise<void>;
}

function realTimer(fn: () => void, delayMs: number): TimerHandle {
  const handle = setTimeout(fn, Math.max(0, delayMs));
  handle.unref?.();
  return { cancel: () => clearTimeout(handle) };
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer: realTimer,
  sleep: (delayMs) => new Promise((resolve) => realTimer(resolve, delayMs)),
};

/** How often (real ms) a file clock with pending timers looks at its file. */
export const FILE_CLOCK_POLL_MS = 5;

/**
 * A clock whose "now" is read from a file holding epoch milliseconds. It exists so that a harness
 * can move the time of a child process (`toolgate serve`, `toolgate kommo-sim`) without sleeping:
 * write a new number into the file and the next decision sees it. Timers follow the file too: a
 * timer fires once the file's time reaches its due time (the file is polled every
 * `FILE_CLOCK_POLL_MS` real ms while timers are pending), so an upstream timeout or a held
 * approval ends when the harness moves time past it, never on the real clock. Selected with the
 * environment variable `TOOLGATE_CLOCK_FILE`.
 */
export function fileClock(path: string): Clock {
  const read = (): number => {
    const text = readFileSync(path, "utf8").trim();
    const value = Number(text);
    if (!Number.isFinite(value)) {
      throw new Error(`${path}: expected epoch milliseconds, found \`${text}\``);
    }
    return value;
  };
  read();
  interface FileTimer {
    readonly dueMs: number;
    readonly seq: number;
    readonly fn: () => void;
  }
  const timers = new Set<FileTimer>();
  let seq = 0;
  let poller: ReturnType<typeof setInterval> | undefined;
  const fire = (): void => {
    let nowMs: number;
    try {
      nowMs = read();
    } catch {
      return; // a half-written file: look again at the next poll
    }
    const due = [...timers].filter((t) => t.dueMs <= nowMs).sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq);
    for (const timer of due) {
      if (!timers.delete(timer)) continue; // cancelled by an earlier timer's callback
      timer.fn();
    }
    if (timers.size === 0 && poller !== undefined) {
      clearInterval(poller);
      poller = undefined;
    }
  };
  const setTimer = (fn: () => void, delayMs: number): TimerHandle => {
    const timer: FileTimer = { dueMs: read() + Math.max(0, delayMs), seq: seq++, fn };
    timers.add(timer);
    if (poller === undefined) {
      poller = setInterval(fire, FILE_CLOCK_POLL_MS);
      poller.unref?.();
    }
    return { cancel: () => void timers.delete(timer) };
  };
  return { nowMs: read, setTimer, sleep: (delayMs) => new Promise((resolve) => setTimer(resolve, delayMs)) };
}

/** The process clock: `TOOLGATE_CLOCK_FILE` when set (a documented test hook), else the system clock. */
export function processClock(env: Record<string, string | undefined> = process.env): Clock {
  const file = env.TOOLGATE_CLOCK_FILE;
  return file ? fileClock(file) : systemClock;
}

/**
 * Runs `fn` once the event loop has finished the I/O callbacks of this turn and every promise
 * they settled (Node's check phase); not a timer: no time passes on any clock. Transports use
 * it to write what one turn produced in one system call.
 */
export function afterThisTurn(fn: () => void): void {
  setImmediate(fn);
}

/** Monotonic high-resolution time in nanoseconds, for measurements only (never for decisions). */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const POOL_BYTES = 4_096;
const pool = new Uint8Array(POOL_BYTES);
let poolOffset = POOL_BYTES;

/**
 * Random bytes as hex, for identifiers. Lives here so that randomness has one entry point. Bytes
 * come from a pool refilled by `crypto.getRandomValues` 4 KiB at a time: one system call per
 * call cost about 7 µs on the gateway's hot path (a decision id per `tools/call`).
 */
export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
  if (poolOffset + bytes > POOL_BYTES) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  let out = "";
  for (let i = poolOffset; i < poolOffset + bytes; i++) out += HEX[pool[i]!]!;
  poolOffset += bytes;
  return out;
}
