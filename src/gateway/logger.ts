/**
 * Structured logs: one JSON object per line on stderr — `time`, `level`, `msg`, then fields.
 * Lines are queued and written together on a zero-delay timer of the clock, so logging never
 * sits on a request's path. Callers never pass argument values or tokens; the gateway's own
 * lines (`{level, event, message, …}`) are accepted as they are: `message` becomes `msg`.
 */
import type { Clock } from "../core/clock.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  /** A gateway-style line: `level` (default info), `message` or `msg`, `event`, other fields. */
  readonly line: (line: object) => void;
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
  enabled(level: LogLevel): boolean;
  /** Writes everything queued; resolves once the sink has taken it. */
  flush(): Promise<void>;
}

export interface JsonLoggerOptions {
  readonly write: (text: string, done?: () => void) => void;
  readonly clock: Clock;
  readonly level?: LogLevel;
  /** Added to every line (e.g. `{source: "toolgate"}`). */
  readonly base?: object;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createJsonLogger(options: JsonLoggerOptions): Logger {
  const min = RANK[options.level ?? "info"];
  const base = options.base ?? {};
  let queued = "";
  let scheduled = false;
  const flushNow = (done?: () => void): void => {
    scheduled = false;
    const text = queued;
    queued = "";
    if (text === "") {
      done?.();
      return;
    }
    options.write(text, done);
  };
  const emit = (level: LogLevel, msg: string, fields: object | undefined): void => {
    if (RANK[level] < min) return;
    queued += `${JSON.stringify({ time: new Date(options.clock.nowMs()).toISOString(), level, msg, ...base, ...fields })}\n`;
    if (!scheduled) {
      scheduled = true;
      options.clock.setTimer(() => flushNow(), 0);
    }
  };
  const logger: Logger = {
    line: (line) => {
      const { level, message, msg, ...fields } = line as { level?: unknown; message?: unknown; msg?: unknown };
      const lvl: LogLevel = typeof level === "string" && isLogLevel(level) ? level : "info";
      const text = typeof message === "string" ? message : typeof msg === "string" ? msg : String((fields as { event?: unknown }).event ?? "");
      emit(lvl, text, fields);
    },
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    enabled: (level) => RANK[level] >= min,
    flush: () => new Promise((resolve) => flushNow(resolve)),
  };
  return logger;
}
