/**
 * HTTP fields for a rate-limited `tools/call` answered as JSON (docs/architecture.md#the-denial-payload; the IETF RateLimit header draft):
 * `Retry-After` in whole seconds (rounded up, at least 1) and the IETF draft-10 fields
 * `RateLimit: "counter";r=0;t=23` and `RateLimit-Policy: "counter";q=10;w=60`. `t` equals
 * `Retry-After`, so Retry-After never points earlier than `t`. The facts come from the denial's
 * `_meta["toolgate/decision"]`; the body stays the tool result the model reads.
 */
import { DECISION_META_KEY } from "../../protocol/denial.js";
import { isJsonObject, type JsonRpcMessage } from "../../protocol/messages.js";

const WINDOW_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

export interface RateLimitFields {
  readonly "retry-after": string;
  readonly ratelimit: string;
  readonly "ratelimit-policy": string;
}

/** The fields for an answer, or undefined when it is not a rate-limit denial. */
export function rateLimitFields(message: JsonRpcMessage): RateLimitFields | undefined {
  const result = (message as { result?: unknown }).result;
  if (!isJsonObject(result) || result.isError !== true) return undefined;
  const meta = result._meta;
  if (!isJsonObject(meta)) return undefined;
  const decision = meta[DECISION_META_KEY];
  if (!isJsonObject(decision) || decision.code !== "rate_limited") return undefined;
  const { counter, retryAfterMs, remaining, max, window } = decision;
  if (typeof counter !== "string" || typeof retryAfterMs !== "number") return undefined;
  const seconds = retryAfterSeconds(retryAfterMs);
  const name = sfString(counter);
  const r = typeof remaining === "number" && remaining >= 0 ? Math.floor(remaining) : 0;
  const w = typeof window === "number" ? window : typeof window === "string" ? WINDOW_SECONDS[window] : undefined;
  const policy = typeof max === "number" && w !== undefined ? `${name};q=${Math.floor(max)};w=${w}` : `${name};q=${typeof max === "number" ? Math.floor(max) : 0}`;
  return { "retry-after": String(seconds), ratelimit: `${name};r=${r};t=${seconds}`, "ratelimit-policy": policy };
}

/** Whole seconds, rounded up, never below 1 (a client must not retry into a closed window). */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

/** A Structured Fields string: printable ASCII only, `"` and `\` escaped. */
export function sfString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else out += "?";
  }
  return `${out}"`;
}
