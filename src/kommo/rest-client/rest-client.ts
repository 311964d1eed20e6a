/**
 * The Kommo REST v4 client the simulated MCP server uses, shaped after the real server's axios
 * instance: base URL + `Authorization: Bearer <token>`, JSON in and out, a per-request timeout,
 * and retries for reads only (GET on 429/502/503/504 or no response), honouring `Retry-After`.
 * Time runs on the injected `Clock`; nothing here sleeps on real time by itself.
 */
import { randomHex, type Clock } from "../../core/clock.js";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface KommoRestClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly clock: Clock;
  /** Defaults to the global `fetch` (so msw `setupServer` can answer it). */
  readonly fetch?: FetchLike;
  /** Per attempt, on `clock` (default 15000, like `KOMMO_TIMEOUT_MS`). */
  readonly timeoutMs?: number;
  /** Retries for reads (default 3, like `KOMMO_MAX_RETRIES`). */
  readonly maxRetries?: number;
  /** Extra wait added to the exponential backoff; default 0–99 ms at random. */
  readonly jitterMs?: () => number;
}

export type QueryValue = string | number | boolean | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

export interface KommoResponse {
  readonly status: number;
  /** Parsed JSON when the body is JSON, else the raw text (`""` for 204/202 with no body). */
  readonly data: unknown;
  readonly headers: Headers;
}

export type KommoRestErrorKind = "http" | "timeout" | "network";

/** A failed Kommo call: an HTTP error status, a timeout, or no response at all. */
export class KommoRestError extends Error {
  readonly kind: KommoRestErrorKind;
  readonly status: number | undefined;
  readonly method: string;
  readonly path: string;

  constructor(kind: KommoRestErrorKind, method: string, path: string, status?: number, options?: { cause?: unknown }) {
    super(
      kind === "http"
        ? `kommo answered ${status} to ${method} ${path}`
        : kind === "timeout"
          ? `kommo did not answer ${method} ${path} in time`
          : `kommo could not be reached for ${method} ${path}`,
      options,
    );
    this.name = "KommoRestError";
    this.kind = kind;
    this.status = status;
    this.method = method;
    this.path = path;
  }
}

export interface KommoRestClient {
  get(path: string, query?: Query): Promise<KommoResponse>;
  post(path: string, body?: unknown): Promise<KommoResponse>;
  patch(path: string, body: unknown): Promise<KommoResponse>;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_RETRIES = 3;
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const MAX_BACKOFF_MS = 4_000;

export function createKommoRestClient(options: KommoRestClientOptions): KommoRestClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const jitterMs = options.jitterMs ?? randomJitterMs;
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const { clock } = options;
  const headers = {
    Authorization: `Bearer ${options.token}`,
    "Content-Type": "application/json",
    Accept: "application/json, text/plain, */*",
    "User-Agent": "axios/1.19.0",
  };

  async function attempt(method: string, path: string, url: string, body: unknown): Promise<KommoResponse> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = clock.setTimer(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const init: RequestInit = { method, headers, signal: controller.signal };
      if (body !== undefined) init.body = JSON.stringify(body);
      const response = await doFetch(url, init);
      const text = await response.text();
      const result: KommoResponse = { status: response.status, data: parseBody(text), headers: response.headers };
      if (response.status < 200 || response.status >= 300) {
        throw Object.assign(new KommoRestError("http", method, path, response.status), { response: result });
      }
      return result;
    } catch (error) {
      if (error instanceof KommoRestError) throw error;
      if (timedOut) throw new KommoRestError("timeout", method, path, undefined, { cause: error });
      throw new KommoRestError("network", method, path, undefined, { cause: error });
    } finally {
      timer.cancel();
    }
  }

  async function request(method: string, path: string, query: Query | undefined, body: unknown): Promise<KommoResponse> {
    const url = baseUrl + path + serializeQuery(query);
    for (let retry = 0; ; retry++) {
      try {
        return await attempt(method, path, url, body);
      } catch (error) {
        const failure = error as KommoRestError & { response?: KommoResponse };
        const retryable = failure.kind !== "http" || RETRYABLE_STATUSES.has(failure.status ?? 0);
        if (method !== "GET" || !retryable || retry >= maxRetries) throw error;
        const retryAfterMs = parseRetryAfterMs(failure.response?.headers.get("retry-after") ?? null, clock.nowMs());
        const backoffMs = Math.min(250 * 2 ** retry, MAX_BACKOFF_MS);
        await clock.sleep(retryAfterMs ?? backoffMs + jitterMs());
      }
    }
  }

  return {
    get: (path, query) => request("GET", path, query, undefined),
    post: (path, body) => request("POST", path, undefined, body),
    patch: (path, body) => request("PATCH", path, undefined, body),
  };
}

/**
 * `Retry-After` as seconds or an HTTP date → milliseconds to wait, or undefined when absent or
 * unreadable. As in the real server (`Number(value)`), an empty or blank value reads as 0 seconds.
 */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const atMs = Date.parse(value);
  return Number.isNaN(atMs) ? undefined : Math.max(0, atMs - nowMs);
}

/** Query string as axios builds it from `params`: undefined values dropped, `:$,[]` kept, spaces as `+`. */
export function serializeQuery(query: Query | undefined): string {
  if (!query) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    parts.push(`${axiosEncode(key)}=${axiosEncode(String(value))}`);
  }
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

function axiosEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/%3A/gi, ":")
    .replace(/%24/g, "$")
    .replace(/%2C/gi, ",")
    .replace(/%20/g, "+")
    .replace(/%5B/gi, "[")
    .replace(/%5D/gi, "]");
}

function parseBody(text: string): unknown {
  if (text === "") return "";
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function randomJitterMs(): number {
  return Number.parseInt(randomHex(2), 16) % 100;
}
