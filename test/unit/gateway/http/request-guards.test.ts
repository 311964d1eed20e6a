/**
 * The front's request guards as values: each lets a request pass (`undefined`) or names the
 * refusal (status, JSON-RPC code, message, headers), without a server.
 */
import { expect, test } from "vitest";
import { parseAccept } from "../../../../src/gateway/http/request-checks.js";
import {
  acceptGuard,
  bodyTooLarge,
  contentTypeGuard,
  declaredLengthGuard,
  headerMismatchGuard,
  hostGuard,
  originGuard,
  protocolVersionGuard,
  streamAcceptGuard,
  unauthorized,
} from "../../../../src/gateway/http/request-guards.js";

const ALLOWED = new Set(["https://app.example.com"]);

test("no Origin, a loopback Origin and a listed one pass; any other is refused with 403", () => {
  for (const origin of [undefined, "http://127.0.0.1:3000", "http://localhost", "https://app.example.com"]) expect(originGuard(origin, ALLOWED), String(origin)).toBeUndefined();
  expect(originGuard("http://evil.example", ALLOWED)).toEqual({ status: 403, code: -32000, message: "forbidden: Origin `http://evil.example` is not allowed; allowed are loopback origins and --allowed-origins" });
});

test("a loopback Host passes; another Host, or none, is refused with 403", () => {
  for (const host of ["127.0.0.1:8080", "localhost", "[::1]:80"]) expect(hostGuard(host), host).toBeUndefined();
  expect(hostGuard("evil.example:80")).toEqual({ status: 403, code: -32000, message: "forbidden: Host `evil.example:80` is not a loopback name; this gateway listens on loopback only" });
  expect(hostGuard(undefined)?.message).toBe("forbidden: Host `` is not a loopback name; this gateway listens on loopback only");
});

test("a request without a valid bearer token is refused with 401 and a challenge that says why", () => {
  expect(unauthorized("missing")).toEqual({ status: 401, code: -32000, message: "unauthorized: send `Authorization: Bearer <token>`", headers: { "www-authenticate": 'Bearer realm="toolgate"' } });
  expect(unauthorized("malformed")).toEqual({
    status: 401,
    code: -32000,
    message: "unauthorized: the Authorization header is not `Bearer <token>`",
    headers: { "www-authenticate": 'Bearer realm="toolgate", error="invalid_token"' },
  });
  expect(unauthorized("invalid")).toEqual({ status: 401, code: -32000, message: "unauthorized: the bearer token matches no grant", headers: { "www-authenticate": 'Bearer realm="toolgate", error="invalid_token"' } });
});

test("a POST must say application/json; anything else, or nothing, is refused with 415 naming what was found", () => {
  expect(contentTypeGuard("application/json; charset=utf-8")).toBeUndefined();
  expect(contentTypeGuard("text/plain")).toEqual({ status: 415, code: -32000, message: "unsupported media type: expected `Content-Type: application/json`, found `text/plain`" });
  expect(contentTypeGuard(undefined)?.message).toBe("unsupported media type: expected `Content-Type: application/json`, found `nothing`");
});

test("a declared Content-Length over the limit is refused with 413 and a closing connection; at the limit it passes", () => {
  expect(declaredLengthGuard("100", 100)).toBeUndefined();
  expect(declaredLengthGuard(undefined, 100)).toBeUndefined();
  expect(declaredLengthGuard("101", 100)).toEqual(bodyTooLarge(100));
  expect(bodyTooLarge(100)).toEqual({ status: 413, code: -32600, message: "payload too large: a request body may have at most 100 bytes (--max-body-bytes)", headers: { connection: "close" } });
});

test("a known MCP-Protocol-Version, or none, passes; an unknown one is refused with 400 listing the known ones", () => {
  for (const version of [undefined, "2025-11-25", "2026-07-28"]) expect(protocolVersionGuard(version), String(version)).toBeUndefined();
  expect(protocolVersionGuard("1999-01-01")).toEqual({
    status: 400,
    code: -32000,
    message: "bad request: unsupported MCP-Protocol-Version `1999-01-01`; expected one of 2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28",
  });
});

test("a POST must accept JSON or SSE (406 otherwise); a GET stream must accept SSE", () => {
  expect(acceptGuard(parseAccept("application/json"))).toBeUndefined();
  expect(acceptGuard(parseAccept("text/event-stream"))).toBeUndefined();
  expect(acceptGuard(parseAccept(undefined))).toBeUndefined();
  expect(acceptGuard(parseAccept("text/plain"))).toEqual({ status: 406, code: -32000, message: "not acceptable: the client must accept `application/json` or `text/event-stream`" });
  expect(streamAcceptGuard(parseAccept("text/event-stream"))).toBeUndefined();
  expect(streamAcceptGuard(parseAccept("application/json"))).toEqual({ status: 406, code: -32000, message: "not acceptable: a GET stream needs `Accept: text/event-stream`" });
});

const call = { id: 6, method: "tools/call", params: { name: "echo", _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } } };

test("2026-07-28 headers that agree with the body pass", () => {
  expect(headerMismatchGuard({ "mcp-method": "tools/call", "mcp-name": "echo", "mcp-protocol-version": "2026-07-28" }, call)).toBeUndefined();
  expect(headerMismatchGuard({ "mcp-method": "resources/read", "mcp-name": "kommo://a" }, { id: 1, method: "resources/read", params: { uri: "kommo://a" } })).toBeUndefined();
  expect(headerMismatchGuard({ "mcp-method": "tools/list" }, { method: "tools/list" })).toBeUndefined();
});

test("each 2026-07-28 header that disagrees with the body, or is missing, is refused with 400 and -32020 under the request's id", () => {
  const refused = (headers: Record<string, string>, message: { id?: number; method: string; params?: Record<string, unknown> } = call) => headerMismatchGuard(headers, message);
  expect(refused({})).toEqual({ status: 400, code: -32020, message: "header mismatch: a 2026-07-28 request must carry `Mcp-Method`", id: 6 });
  expect(refused({ "mcp-method": "tools/list" })?.message).toBe("header mismatch: `Mcp-Method: tools/list` does not match the body's method `tools/call`");
  expect(refused({ "mcp-method": "tools/call" })?.message).toBe("header mismatch: a `tools/call` request must carry `Mcp-Name`");
  expect(refused({ "mcp-method": "tools/call", "mcp-name": "other" })?.message).toBe("header mismatch: `Mcp-Name: other` does not match the body's `echo`");
  expect(refused({ "mcp-method": "tools/call", "mcp-name": "echo", "mcp-protocol-version": "2025-11-25" })?.message).toBe(
    "header mismatch: `MCP-Protocol-Version: 2025-11-25` does not match the body's revision `2026-07-28`",
  );
  expect(refused({}, { method: "notifications/x" })?.id).toBeNull();
});

test("a 2026-07-28 Mcp-Name in its Base64 form is decoded before it is compared; a broken or wrong one is refused", () => {
  const named = { id: 6, method: "tools/call", params: { name: "ferramenta_中文" } };
  const b64 = (s: string): string => `=?base64?${Buffer.from(s, "utf8").toString("base64")}?=`;
  expect(headerMismatchGuard({ "mcp-method": "tools/call", "mcp-name": b64("ferramenta_中文") }, named)).toBeUndefined();
  expect(headerMismatchGuard({ "mcp-method": "tools/call", "mcp-name": b64("ferramenta_other") }, named)?.code).toBe(-32020);
  expect(headerMismatchGuard({ "mcp-method": "tools/call", "mcp-name": "=?base64?%%%?=" }, named)?.code).toBe(-32020);
  // A plain name that looks like the Base64 form must itself travel encoded.
  expect(headerMismatchGuard({ "mcp-method": "tools/call", "mcp-name": "=?base64?SGk=?=" }, { id: 1, method: "tools/call", params: { name: "=?base64?SGk=?=" } })?.code).toBe(-32020);
  expect(headerMismatchGuard({ "mcp-method": "tools/call", "mcp-name": b64("=?base64?SGk=?=") }, { id: 1, method: "tools/call", params: { name: "=?base64?SGk=?=" } })).toBeUndefined();
});
