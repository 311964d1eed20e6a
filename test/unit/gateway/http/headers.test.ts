import { expect, test } from "vitest";
import { rateLimitFields, retryAfterSeconds, sfString } from "../../../../src/gateway/http/rate-limit-headers.js";
import { hostnameOfHost, isLoopbackHostname, originAllowed, parseAccept } from "../../../../src/gateway/http/request-checks.js";
import type { JsonRpcMessage } from "../../../../src/protocol/messages.js";

const denial = (decision: Record<string, unknown>): JsonRpcMessage => ({
  jsonrpc: "2.0",
  id: 1,
  result: { content: [{ type: "text", text: "[POLICY DENIED] …" }], isError: true, _meta: { "toolgate/decision": decision } },
});

const seedDenial = { decision: "deny", code: "rate_limited", counter: "stop_salesbot_rate", scope: "grant", window: "minute", max: 10, remaining: 0, retryAfterMs: 23_000 };

test("a rate-limit denial gets Retry-After and the draft-10 RateLimit fields", () => {
  expect(rateLimitFields(denial(seedDenial))).toEqual({
    "retry-after": "23",
    ratelimit: '"stop_salesbot_rate";r=0;t=23',
    "ratelimit-policy": '"stop_salesbot_rate";q=10;w=60',
  });
});

test("Retry-After rounds up to whole seconds and is never below 1", () => {
  expect(retryAfterSeconds(22_001)).toBe(23);
  expect(retryAfterSeconds(23_000)).toBe(23);
  expect(retryAfterSeconds(1)).toBe(1);
  expect(retryAfterSeconds(0)).toBe(1);
  expect(rateLimitFields(denial({ ...seedDenial, retryAfterMs: 400 }))!.ratelimit).toBe('"stop_salesbot_rate";r=0;t=1');
});

test("windows in seconds and by name map to w; counter names are escaped Structured Field strings", () => {
  expect(rateLimitFields(denial({ ...seedDenial, window: 90, max: 3 }))!["ratelimit-policy"]).toBe('"stop_salesbot_rate";q=3;w=90');
  expect(rateLimitFields(denial({ ...seedDenial, window: "day" }))!["ratelimit-policy"]).toBe('"stop_salesbot_rate";q=10;w=86400');
  expect(sfString('a"b\\c')).toBe('"a\\"b\\\\c"');
  expect(sfString("é\n")).toBe('"??"');
});

test("other answers get no rate-limit fields", () => {
  expect(rateLimitFields(denial({ ...seedDenial, code: "denied" }))).toBeUndefined();
  expect(rateLimitFields({ jsonrpc: "2.0", id: 1, result: { content: [] } })).toBeUndefined();
  expect(rateLimitFields({ jsonrpc: "2.0", id: 1, error: { code: -1, message: "x" } })).toBeUndefined();
  expect(rateLimitFields({ jsonrpc: "2.0", method: "notifications/progress" })).toBeUndefined();
});

test("loopback origins and listed origins pass; others, and malformed ones, do not", () => {
  const allowed = new Set(["https://app.example.com"]);
  for (const o of [undefined, "http://localhost", "http://localhost:3000", "http://127.0.0.1:8080", "https://[::1]:9", "http://127.4.5.6", "http://a.localhost", "https://app.example.com"]) {
    expect(originAllowed(o, allowed), String(o)).toBe(true);
  }
  for (const o of ["http://evil.example.com", "https://app.example.com:8443", "null", "file://", "http://localhost.evil.com", "http://127.0.0.1.evil.com"]) {
    expect(originAllowed(o, allowed), o).toBe(false);
  }
  expect(originAllowed("http://evil.example.com", new Set(["*"]))).toBe(true);
});

test("Host values name loopback hosts with or without a port", () => {
  expect(isLoopbackHostname(hostnameOfHost("127.0.0.1:8080"))).toBe(true);
  expect(isLoopbackHostname(hostnameOfHost("[::1]:8080"))).toBe(true);
  expect(isLoopbackHostname(hostnameOfHost("LOCALHOST"))).toBe(true);
  expect(isLoopbackHostname(hostnameOfHost("evil.example.com:80"))).toBe(false);
  expect(isLoopbackHostname(hostnameOfHost(""))).toBe(false);
});

test("Accept decides between JSON and SSE; a missing header or */* means JSON", () => {
  expect(parseAccept("application/json, text/event-stream")).toEqual({ json: true, sse: true });
  expect(parseAccept("text/event-stream")).toEqual({ json: false, sse: true });
  expect(parseAccept(undefined)).toEqual({ json: true, sse: false });
  expect(parseAccept("*/*")).toEqual({ json: true, sse: false });
  expect(parseAccept("text/html")).toEqual({ json: false, sse: false });
});
