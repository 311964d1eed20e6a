import { expect, test } from "vitest";
import {
  discoverResultFromInitialize,
  discoverSpeaksModern,
  identityFromInitialize,
  identityFromMeta,
  initializeParams,
  initializeResultFromDiscover,
  legacyRevisionFor,
  modernEnvelope,
  toLegacyResult,
  toModernResult,
  untranslatable,
  withEnvelope,
  withoutEnvelope,
} from "../../../src/protocol/era-translation.js";

const V = "io.modelcontextprotocol/protocolVersion";
const INFO = "io.modelcontextprotocol/clientInfo";
const CAPS = "io.modelcontextprotocol/clientCapabilities";
const SERVER = "io.modelcontextprotocol/serverInfo";

test("a 2025-era initialize becomes the 2026-07-28 envelope, without capabilities for server-to-client requests", () => {
  const identity = identityFromInitialize({ protocolVersion: "2025-06-18", clientInfo: { name: "a", version: "1" }, capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true }, experimental: { x: {} } } });
  expect(modernEnvelope(identity)).toEqual({ [V]: "2026-07-28", [INFO]: { name: "a", version: "1" }, [CAPS]: { experimental: { x: {} } } });
});

test("a 2026-07-28 request's _meta becomes the params of a 2025-era initialize", () => {
  const identity = identityFromMeta({ _meta: { [V]: "2026-07-28", [INFO]: { name: "m", version: "2" }, [CAPS]: { sampling: {} } } });
  expect(initializeParams(identity)).toEqual({ protocolVersion: "2025-11-25", clientInfo: { name: "m", version: "2" }, capabilities: {} });
});

test("a caller without client info is introduced as toolgate", () => {
  expect(identityFromMeta(undefined).clientInfo).toEqual({ name: "toolgate", version: "0.1.0" });
  expect(identityFromInitialize({}).clientInfo).toEqual({ name: "toolgate", version: "0.1.0" });
});

test("the envelope is merged into _meta and keeps the caller's progress token", () => {
  const envelope = { [V]: "2026-07-28" };
  expect(withEnvelope({ name: "t", _meta: { progressToken: 4 } }, envelope)).toEqual({ name: "t", _meta: { progressToken: 4, [V]: "2026-07-28" } });
  expect(withEnvelope(undefined, envelope)).toEqual({ _meta: envelope });
});

test("stripping the envelope keeps other _meta keys and drops an emptied _meta", () => {
  expect(withoutEnvelope({ name: "t", _meta: { [V]: "2026-07-28", [INFO]: {}, progressToken: 1 } })).toEqual({ name: "t", _meta: { progressToken: 1 } });
  expect(withoutEnvelope({ name: "t", _meta: { [V]: "2026-07-28", [CAPS]: {} } })).toEqual({ name: "t" });
  const untouched = { name: "t", _meta: { progressToken: 1 } };
  expect(withoutEnvelope(untouched)).toBe(untouched);
});

test("an initialize answer built from server/discover echoes a known 2025 revision and carries capabilities, server info and instructions", () => {
  const discover = { supportedVersions: ["2026-07-28"], capabilities: { tools: { listChanged: true } }, instructions: "be nice", resultType: "complete", _meta: { [SERVER]: { name: "kommo-mcp-server", version: "3.0.0" } } };
  expect(initializeResultFromDiscover(discover, "2025-06-18")).toEqual({
    protocolVersion: "2025-06-18",
    capabilities: { tools: { listChanged: true } },
    serverInfo: { name: "kommo-mcp-server", version: "3.0.0" },
    instructions: "be nice",
  });
  expect(initializeResultFromDiscover(discover, "1999-01-01").protocolVersion).toBe("2025-11-25");
  expect(legacyRevisionFor(undefined)).toBe("2025-11-25");
});

test("a server/discover answer built from initialize lists 2026-07-28 and is complete and uncacheable", () => {
  expect(discoverResultFromInitialize({ protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "s", version: "1" } })).toEqual({
    supportedVersions: ["2026-07-28"],
    capabilities: { tools: {} },
    resultType: "complete",
    ttlMs: 0,
    cacheScope: "private",
    _meta: { [SERVER]: { name: "s", version: "1" } },
  });
});

test("only a discover result listing a 2026-07-28-or-later revision counts as modern", () => {
  expect(discoverSpeaksModern({ supportedVersions: ["2026-07-28"] })).toBe(true);
  expect(discoverSpeaksModern({ supportedVersions: ["2025-11-25"] })).toBe(false);
  expect(discoverSpeaksModern({})).toBe(false);
});

test("a 2025-era result gains resultType, and cache hints only on cacheable methods", () => {
  expect(toModernResult({ tools: [] }, "tools/list", undefined)).toEqual({ tools: [], resultType: "complete", ttlMs: 0, cacheScope: "private" });
  expect(toModernResult({ content: [] }, "tools/call", { name: "s" })).toEqual({ content: [], resultType: "complete", _meta: { [SERVER]: { name: "s" } } });
  expect(toModernResult({ content: [], _meta: { a: 1 } }, undefined, undefined)).toEqual({ content: [], _meta: { a: 1 }, resultType: "complete" });
});

test("a complete 2026-07-28 result loses resultType, cache hints and server info, and keeps the rest of _meta", () => {
  const result = { tools: [], resultType: "complete", ttlMs: 0, cacheScope: "private", _meta: { [SERVER]: { name: "s" }, "toolgate/decision": { code: "x" } } };
  expect(toLegacyResult(result)).toEqual({ ok: true, result: { tools: [], _meta: { "toolgate/decision": { code: "x" } } } });
  const plain = { content: [] };
  expect(toLegacyResult(plain)).toEqual({ ok: true, result: plain });
});

test("a 2026-07-28 result that is not complete has no 2025-era form", () => {
  expect(toLegacyResult({ resultType: "input_required", inputRequests: {} })).toEqual({ ok: false, resultType: "input_required" });
});

test("an untranslatable method is -32601 and a shape is -32600, both naming the method and both eras", () => {
  const method = untranslatable(3, "method", "resources/subscribe", "2025", "2026-07-28", "the method does not exist in MCP 2026-07-28");
  expect(method).toEqual({
    jsonrpc: "2.0",
    id: 3,
    error: {
      code: -32601,
      message: "toolgate cannot translate `resources/subscribe` from 2025-era MCP (initialize, sessions) to MCP 2026-07-28: the method does not exist in MCP 2026-07-28",
      data: { "toolgate/error": "untranslatable", method: "resources/subscribe", from: "2025", to: "2026-07-28" },
    },
  });
  expect(untranslatable(4, "shape", "tools/call", "2026-07-28", "2025", "x").error.code).toBe(-32600);
});
