import { describe, expect, test } from "vitest";
import { classifyFrame } from "../../../src/protocol/messages.js";
import { answerFor, rejectionCases } from "./rejection-cases.js";

describe("every rejection fixture gets its exact JSON-RPC error", () => {
  test("there are rejection fixtures to check", () => {
    expect(rejectionCases.length).toBeGreaterThanOrEqual(10);
  });
  for (const c of rejectionCases) {
    test(`${c.name}: ${c.description}`, () => {
      const answer = answerFor(c.line);
      expect(answer).toBeDefined();
      expect(answer!.jsonrpc).toBe("2.0");
      expect(answer!.id).toEqual(c.expect.id);
      expect(answer!.error.code).toBe(c.expect.code);
      if (c.expect.code === -32700) expect(answer!.error.message.startsWith(c.expect.message)).toBe(true);
      else expect(answer!.error.message).toBe(c.expect.message);
    });
  }
});

test("a request, a notification, a result and an error response are classified as such", () => {
  expect(classifyFrame({ jsonrpc: "2.0", id: 1, method: "tools/list" }).kind).toBe("request");
  expect(classifyFrame({ jsonrpc: "2.0", id: "x", method: "tools/call", params: { name: "a" } }).kind).toBe("request");
  expect(classifyFrame({ jsonrpc: "2.0", method: "notifications/progress", params: {} }).kind).toBe("notification");
  expect(classifyFrame({ jsonrpc: "2.0", id: 1, result: {} }).kind).toBe("response");
  expect(classifyFrame({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "x" } }).kind).toBe("response");
});

test("a result that is not an object is invalid and echoes the id", () => {
  expect(classifyFrame({ jsonrpc: "2.0", id: 9, result: 3 })).toEqual({ kind: "invalid", id: 9, reason: "expected `result` to be an object, found number `3`" });
});

test("classification hands back the very object it was given, without copying", () => {
  const message = { jsonrpc: "2.0", id: 1, method: "ping" };
  const frame = classifyFrame(message);
  expect(frame.kind === "request" && frame.message).toBe(message);
});

test("a frame whose params are not an object is refused without quoting them (they may carry arguments)", () => {
  const frame = classifyFrame({ jsonrpc: "2.0", id: 1, method: "tools/call", params: "api_key=S3CR3T" });
  expect(frame).toEqual({ kind: "invalid", id: 1, reason: "expected `params` to be an object, found a string of 14 characters" });
  expect(classifyFrame({ jsonrpc: "2.0", id: 1, method: "x", params: 42 })).toMatchObject({ reason: "expected `params` to be an object, found a number" });
});
