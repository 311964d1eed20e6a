/**
 * The predicates under the front's request guards (`request-guards.ts`): is an `Origin` allowed
 * (DNS rebinding: a browser page must not reach a local gateway), is a `Host` a loopback name,
 * what an `Accept` allows, which `MCP-Protocol-Version` values are known. Pure functions over
 * header values.
 */

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h.endsWith(".localhost");
}

/** The hostname of a `Host` header value (`[::1]:8080` → `[::1]`, `a.b:80` → `a.b`). */
export function hostnameOfHost(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * True when a request with this `Origin` may proceed: no Origin (not a browser), a loopback
 * origin, or one listed in `--allowed-origins` (exact `scheme://host[:port]`, or `*`).
 */
export function originAllowed(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  if (allowed.has("*") || allowed.has(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  return isLoopbackHostname(url.hostname);
}

export interface AcceptInfo {
  readonly json: boolean;
  readonly sse: boolean;
}

/** What a POST's `Accept` allows; a missing header or `*∕*` accepts JSON. */
export function parseAccept(accept: string | undefined): AcceptInfo {
  if (accept === undefined || accept === "") return { json: true, sse: false };
  const json = accept.includes("application/json") || accept.includes("*/*") || accept.includes("application/*");
  const sse = accept.includes("text/event-stream");
  return { json, sse };
}

/** Revisions the front accepts in `MCP-Protocol-Version`. */
export const KNOWN_REVISIONS = new Set(["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]);
