/**
 * The fake Kommo REST API v4: an in-memory CRM behind Kommo's wire behaviour (bearer token, HAL
 * envelopes, 204 for empty lists, problem+json errors, 7 requests/second per token, per-endpoint
 * faults). `handle` is fetch-style, so msw (`rest-api/msw-handlers.ts`) and a node http(s) server
 * (`rest-api/rest-server.ts`) can both serve it.
 */
import type { Clock } from "../../core/clock.js";
import { CrmStore } from "../crm/crm-store.js";
import { EffectLog } from "../crm/effect-log.js";
import { loadDefaultSeed } from "../crm/load-seed.js";
import type { CrmSeed } from "../crm/seed-schema.js";
import { sleepUnlessAborted, waitForAbort } from "./abortable.js";
import { handleControlRoute } from "./control-routes.js";
import { FaultInjector } from "./faults.js";
import type { FaultSpec } from "./faults.js";
import { HAL_JSON, HttpAnswer, PROBLEM_JSON, problem, problemBody } from "./problem.js";
import { queryRecord } from "./query.js";
import { RateLimiter } from "./rate-limit.js";
import { RequestLog } from "./request-log.js";
import { matchRoute } from "./router.js";
import { kommoRoutes } from "./routes/index.js";

export { loadDefaultSeed } from "../crm/load-seed.js";
export type { CrmSeed } from "../crm/seed-schema.js";
export { CrmStore } from "../crm/crm-store.js";
export { EffectLog } from "../crm/effect-log.js";
export type { Effect, EffectFilter, EffectKind } from "../crm/effect-log.js";
export { RequestLog } from "./request-log.js";
export type { LoggedRequest, RequestFilter } from "./request-log.js";
export { FaultInjector } from "./faults.js";
export type { FaultSpec } from "./faults.js";

export const DEFAULT_TOKEN = "sim-token";
export const DEFAULT_BASE_URL = "https://sim.kommo.test";
export const DEFAULT_RATE_LIMIT_PER_SECOND = 7;

export interface FakeKommoOptions {
  clock: Clock;
  /** Default: `fixtures/crm/seed.json` (`loadDefaultSeed()`). */
  seed?: CrmSeed;
  /** The accepted bearer token; default "sim-token". */
  token?: string;
  /** Default "https://sim.kommo.test". */
  baseUrl?: string;
  /** Default 7; 0 disables. Counted per token in fixed 1-second windows aligned to epoch seconds on `clock`. */
  rateLimitPerSecond?: number;
}

export interface FakeKommo {
  readonly baseUrl: string;
  readonly token: string;
  readonly crm: CrmStore;
  readonly effects: EffectLog;
  readonly requests: RequestLog;
  readonly faults: FaultInjector;
  /** The whole fake API, fetch-style (control routes `/__log`, `/__reset`, `/__faults`, `/__effects` included). */
  handle(request: Request): Promise<Response>;
  /** Back to the seed; logs, effects, faults and rate-limit windows cleared. */
  reset(): void;
}

const METHODS_WITHOUT_BODY = new Set(["GET", "HEAD"]);

function lowercaseHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key.toLowerCase()] = value;
  });
  return out;
}

function bearerToken(header: string | null): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? "");
  return match?.[1]?.trim();
}

/** The answer of an injected fault that has a status. */
function faultResponse(spec: FaultSpec & { status: number }): Response {
  const nullBody = spec.status === 204 || spec.status === 205 || spec.status === 304;
  const headers: Record<string, string> = {};
  let body: string | null = null;
  if (spec.body !== undefined && !nullBody) {
    body = typeof spec.body === "string" ? spec.body : JSON.stringify(spec.body);
    headers["content-type"] = typeof spec.body === "string" ? "text/plain; charset=utf-8" : spec.status >= 400 ? PROBLEM_JSON : HAL_JSON;
  } else if (spec.status >= 400) {
    body = JSON.stringify(problemBody(spec.status, "Injected fault"));
    headers["content-type"] = PROBLEM_JSON;
  }
  return new Response(body, { status: spec.status, headers: { ...headers, ...(spec.headers ?? {}) } });
}

export function createFakeKommo(options: FakeKommoOptions): FakeKommo {
  const clock = options.clock;
  const token = options.token ?? DEFAULT_TOKEN;
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  const crm = new CrmStore(options.seed ?? loadDefaultSeed(), clock);
  const effects = new EffectLog();
  const requests = new RequestLog();
  const faults = new FaultInjector();
  const perSecond = options.rateLimitPerSecond ?? DEFAULT_RATE_LIMIT_PER_SECOND;
  const limiter = new RateLimiter(perSecond);

  async function answer(request: Request, url: URL, method: string, body: unknown, bodyIsJson: boolean, arrivedAtMs: number): Promise<Response> {
    const presented = bearerToken(request.headers.get("authorization"));
    if (presented === undefined) return problem(401, "Authorization header with a Bearer token is required");
    if (presented !== token) return problem(401, "Invalid user name or password");
    if (!limiter.admit(presented, arrivedAtMs)) return problem(429, `Too many requests: the limit is ${perSecond} requests per second`, { "retry-after": "1" });

    const fault = faults.take(method, url.pathname);
    if (fault) {
      if (fault.latencyMs !== undefined && fault.latencyMs > 0) await sleepUnlessAborted(clock, fault.latencyMs, request.signal);
      if (fault.timeout) return waitForAbort(request.signal);
      if (fault.status !== undefined) return faultResponse({ ...fault, status: fault.status });
    }
    if (!bodyIsJson) return problem(400, "The request body is not valid JSON");

    const response = await route(method, url, body);
    if (fault?.answerLatencyMs !== undefined && fault.answerLatencyMs > 0) await clock.sleep(fault.answerLatencyMs);
    return response;
  }

  async function route(method: string, url: URL, body: unknown): Promise<Response> {
    const match = matchRoute(kommoRoutes, method, url.pathname);
    switch (match.kind) {
      case "not-found":
        return problem(404, `No route for ${method} ${url.pathname}`);
      case "method-not-allowed":
        return problem(405, `Method ${method} is not allowed on ${url.pathname}`, { allow: match.allowed.join(", ") });
      case "found":
        try {
          return await match.route.handle({ crm, effects, clock, url, params: match.params, body });
        } catch (error) {
          if (error instanceof HttpAnswer) return error.response;
          throw error;
        }
    }
  }

  const fake: FakeKommo = {
    baseUrl,
    token,
    crm,
    effects,
    requests,
    faults,
    async handle(request: Request): Promise<Response> {
      const url = new URL(request.url);
      const control = await handleControlRoute(fake, request, url.pathname);
      if (control) return control;
      const method = request.method.toUpperCase();
      const bodyText = METHODS_WITHOUT_BODY.has(method) ? "" : await request.text();
      let body: unknown;
      let bodyIsJson = true;
      if (bodyText.trim() !== "") {
        try {
          body = JSON.parse(bodyText);
        } catch {
          bodyIsJson = false;
        }
      }
      const arrivedAtMs = clock.nowMs();
      const entry = requests.record({
        atMs: arrivedAtMs,
        method,
        path: url.pathname,
        query: queryRecord(url.searchParams),
        body,
        bodyText,
        headers: lowercaseHeaders(request.headers),
        status: 0,
      });
      const response = await answer(request, url, method, body, bodyIsJson, arrivedAtMs);
      entry.status = response.status;
      return response;
    },
    reset(): void {
      crm.reset();
      effects.clear();
      requests.clear();
      faults.clear();
      limiter.clear();
    },
  };
  return fake;
}
